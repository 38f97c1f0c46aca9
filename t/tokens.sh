#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The pass against the pinned current librdkafka (2.15.1), delegation
# tokens (KafkaUpstreamSASLTokenAuth) included, run by t/run-tests.sh after
# the main passes, as the test user, with the brokers up and their KU_*
# variables exported:
#
# 1. librdkafka  librdkafka/build.sh: 2.15.1 with librdkafka/0*.patch, into
#                KU_TOKENS_RDKAFKA (default: its cache in /tmp, kept when
#                built from the same patch and build script).
# 2. build       the module again in a copy of the tree (KU_TOKENS_WORK,
#                default <tree>.tokens) with the normal build's configure
#                arguments plus --with-librdkafka=KU_TOKENS_RDKAFKA
#                --with-delegation-tokens.
# 3. tokens      kafka.sh create-token on the Kafka 4.1.1 and the 3.9.1
#                broker (DelegationTokenCommand, logged in as bob over
#                SCRAM), one more created and expired at once; exported as
#                KU_TOKEN_ID/_HMAC, KU_KAFKA3_TOKEN_ID/_HMAC and
#                KU_EXPIRED_TOKEN_ID/_HMAC for t/conf/secure-vhost-tokens.inc.
# 4. OAuth       t/oauth/servers.sh start: a real OAuth2 server and a
#                JWT-validating Kafka broker for t/13_oauth.t (KU_OAUTH_*
#                exported), stopped when this script exits.
# 5. suite       Apache::Test, MPM event: the suite as the main passes run
#                it, then t/09_tokens.t and t/13_oauth.t once more with
#                httpd -D KU_TOKENS -D KU_OAUTH (their virtual hosts, left
#                out of the first run: every section would get a producer
#                per virtual host and child); the
#                files in KU_TOKENS_TESTS (default: the whole suite); its
#                output goes to <tree>/t/logs-tokens.out, which
#                t/run-tests.sh counts.
#
# Needs: a built tree (config.status), KU_BROKER and the other KU_* of
# t/run-tests.sh, KU_KAFKA3_PORT and KU_KAFKA3_DIR (the 3.9.1 broker), kcat,
# what librdkafka/build.sh needs (t/install-deps.sh).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${KU_TOKENS_WORK:-$SRC.tokens}
PREFIX=${KU_TOKENS_RDKAFKA:-$(bash "$SRC/librdkafka/build.sh" --prefix)}
PORT=${KU_TEST_PORT:-8529}
TESTS=${KU_TOKENS_TESTS:-}
KAFKA="bash $SRC/t/kafka/kafka.sh"
OUT=$SRC/t/logs-tokens.out

die() { echo "tokens: $*" >&2; echo "tokens: $*" >>"$OUT"; exit 1; }
elapsed() { echo "$(( $(date +%s) - $1 )) s"; }
kafka3() {
    KU_KAFKA_VERSION=3.9.1 KU_KAFKA_PORT=$KU_KAFKA3_PORT KU_KAFKA_CONTROLLER_PORT= \
        KU_KAFKA_DIR=$KU_KAFKA3_DIR $KAFKA "$@"
}

[ "$(id -u)" != 0 ] || die "run as the test user (Apache::Test refuses root)"
[ -n "${KU_BROKER:-}" ] && [ -n "${KU_KAFKA3_PORT:-}" ] \
    || die "KU_BROKER or KU_KAFKA3_PORT is not set: run from t/run-tests.sh"
[ -f "$SRC/config.status" ] || die "build $SRC first (t/run-tests.sh does)"
: >"$OUT"

# --- 1. the patched librdkafka (kept when built already) --------------------
bash "$SRC/librdkafka/build.sh" "" "$PREFIX" | sed 's/^/   /' || die "librdkafka/build.sh failed"

# --- 2. the module, --with-librdkafka --with-delegation-tokens -----------------
t0=$(date +%s)
rm -rf "$WORK" && mkdir -p "$WORK"
excl=(--exclude=./.git --exclude=./autom4te.cache --exclude=./t/logs
      --exclude='./t/logs-*' --exclude=./t/state --exclude=./t/htdocs/index.html
      --exclude=./t/conf/apache_test_config.pm --exclude=./t/conf/httpd.conf
      --exclude=./t/conf/extra.conf)
(cd "$SRC" && tar -cf - "${excl[@]}" .) | (cd "$WORK" && tar -xf -)
cd "$WORK"
make -s distclean >/dev/null 2>&1 || true
eval "set -- $("$SRC/config.status" --config)"
autoreconf -fi >/dev/null 2>&1
./configure "$@" --with-librdkafka="$PREFIX" --with-delegation-tokens >configure.out 2>&1 \
    || { tail -20 configure.out; die "configure --with-librdkafka failed"; }
make -s >/dev/null 2>make.err || { cat make.err; die "make failed"; }
grep -q "^    delegation tokens: yes" configure.out || die "configure did not take the tokens"
# The librdkafka the module runs on, as its status page must say (t/50_status.t).
KU_RDKAFKA_VERSION=$(PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" pkg-config --modversion rdkafka)
export KU_RDKAFKA_VERSION
echo "   module built in $(elapsed "$t0"): $(ldd .libs/mod_kafka_upstream.so | grep -o 'librdkafka[^ ]* => [^ ]*')"

# --- 3. tokens -------------------------------------------------------------------
$KAFKA create-topics ku-tokens >/dev/null
kafka3 create-topics ku-tokens >/dev/null
token=$($KAFKA create-token) || die "create-token failed"
read -r KU_TOKEN_ID KU_TOKEN_HMAC <<<"$token"
token=$(kafka3 create-token) || die "create-token (Kafka 3.9.1) failed"
read -r KU_KAFKA3_TOKEN_ID KU_KAFKA3_TOKEN_HMAC <<<"$token"
token=$($KAFKA create-token) || die "create-token failed"
read -r KU_EXPIRED_TOKEN_ID KU_EXPIRED_TOKEN_HMAC <<<"$token"
$KAFKA expire-token "$KU_EXPIRED_TOKEN_HMAC" || die "expire-token failed"
export KU_TOKEN_ID KU_TOKEN_HMAC KU_KAFKA3_TOKEN_ID KU_KAFKA3_TOKEN_HMAC \
       KU_EXPIRED_TOKEN_ID KU_EXPIRED_TOKEN_HMAC
echo "   tokens: $KU_TOKEN_ID (4.1.1), $KU_KAFKA3_TOKEN_ID (3.9.1), $KU_EXPIRED_TOKEN_ID (expired)"

# --- 4. the OAuth servers (t/13_oauth.t) -----------------------------------------
trap 'bash t/oauth/servers.sh stop >/dev/null 2>&1 || true' EXIT
t0=$(date +%s)
oauth=$(bash t/oauth/servers.sh start) || die "t/oauth/servers.sh start failed"
eval "$(sed 's/^/export /' <<<"$oauth")"
echo "   OAuth server and broker up in $(elapsed "$t0") (token endpoint $KU_OAUTH_TOKEN_URL)"

# --- 5. the suite ----------------------------------------------------------------
base=$(t/httpd-base.sh event)
status=0
suite() { # defines test-files...
    local defines=$1
    shift
    perl t/TEST.PL -clean >/dev/null 2>&1 || true
    KU_MPM=event perl t/TEST.PL -apxs "$(command -v apxs)" -httpd_conf "$base" \
        -port "$PORT" -servername 127.0.0.1 ${defines:+-defines "$defines"} -verbose=0 "$@" \
        >>"$OUT" 2>&1 || status=$?
    cat t/logs/error_log >>"$SRC/t/logs-tokens.error_log" 2>/dev/null || true
    # As in t/run-tests.sh: no httpd of this run may outlive it.
    pkill -f -- "-f $PWD/t/conf/httpd.conf" 2>/dev/null || true
    bash t/tools/core-backtraces.sh t "$(apxs -q SBINDIR)/$(apxs -q PROGNAME)" >>"$OUT"
}
: >"$SRC/t/logs-tokens.error_log"
with_vhosts='/(09_tokens|13_oauth)\.t$'
# shellcheck disable=SC2086
files=$(printf '%s\n' ${TESTS:-t/*.t})
plain=$(grep -Ev "$with_vhosts" <<<"$files" || true)
vhosts=$(grep -E "$with_vhosts" <<<"$files" || true)
# shellcheck disable=SC2086
[ -z "$plain" ] || suite '' $plain
# shellcheck disable=SC2086
[ -z "$vhosts" ] || suite 'KU_TOKENS KU_OAUTH' $vhosts
exit $status
