#!/usr/bin/env bash
# The delegation-token pass (KafkaUpstreamSASLTokenAuth), run by
# t/run-tests.sh after the main passes, as the test user, with the brokers
# up and their KU_* variables exported:
#
# 1. librdkafka  librdkafka/build.sh: Debian's librdkafka source package
#                with librdkafka/0*.patch, into KU_TOKENS_RDKAFKA (default
#                <tree>-rdkafka); kept when it was built from the same
#                patches and build script.
# 2. build       the module again in a copy of the tree (KU_TOKENS_WORK,
#                default <tree>.tokens) with the normal build's configure
#                arguments plus --with-delegation-tokens=KU_TOKENS_RDKAFKA.
# 3. tokens      kafka.sh create-token on the Kafka 4.1.1 and the 3.9.1
#                broker (DelegationTokenCommand, logged in as bob over
#                SCRAM), one more created and expired at once; exported as
#                KU_TOKEN_ID/_HMAC, KU_KAFKA3_TOKEN_ID/_HMAC and
#                KU_EXPIRED_TOKEN_ID/_HMAC for t/conf/tokens.inc.
# 4. suite       Apache::Test once, MPM event, httpd -D KU_TOKENS, the
#                files in KU_TOKENS_TESTS (t/09_tokens.t); its output goes
#                to <tree>/t/logs-tokens.out, which t/run-tests.sh counts.
#
# Needs: a built tree (config.status), KU_BROKER and the other KU_* of
# t/run-tests.sh, KU_KAFKA3_PORT and KU_KAFKA3_DIR (the 3.9.1 broker), a
# deb-src entry for bookworm (t/install-deps.sh), kcat.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${KU_TOKENS_WORK:-$SRC.tokens}
PREFIX=${KU_TOKENS_RDKAFKA:-$SRC-rdkafka}
PORT=${KU_TEST_PORT:-8529}
TESTS=${KU_TOKENS_TESTS:-t/09_tokens.t}
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

# --- 1. the patched librdkafka -------------------------------------------------
t0=$(date +%s)
stamp=$(cat "$SRC"/librdkafka/build.sh "$SRC"/librdkafka/0*.patch | sha256sum | cut -c1-16)
if [ "$(cat "$PREFIX/.ku-stamp" 2>/dev/null)" = "$stamp" ]; then
    echo "   librdkafka: kept $PREFIX (same patches)"
else
    rm -rf "$PREFIX"
    bash "$SRC/librdkafka/build.sh" "$PREFIX" | sed 's/^/   /' \
        || die "librdkafka/build.sh failed"
    echo "$stamp" >"$PREFIX/.ku-stamp"
    echo "   librdkafka built in $(elapsed "$t0")"
fi

# --- 2. the module, --with-delegation-tokens -----------------------------------
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
./configure "$@" --with-delegation-tokens="$PREFIX" >configure.out 2>&1 \
    || { tail -20 configure.out; die "configure --with-delegation-tokens failed"; }
make -s >/dev/null 2>make.err || { cat make.err; die "make failed"; }
grep -q "^    delegation tokens: yes" configure.out || die "configure did not take the tokens"
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

# --- 4. the suite ----------------------------------------------------------------
base=$(t/httpd-base.sh event)
perl t/TEST.PL -clean >/dev/null 2>&1 || true
status=0
# shellcheck disable=SC2086
KU_MPM=event perl t/TEST.PL -apxs "$(command -v apxs)" -httpd_conf "$base" \
    -port "$PORT" -servername 127.0.0.1 -defines KU_TOKENS -verbose=0 $TESTS >>"$OUT" 2>&1 \
    || status=$?
cp t/logs/error_log "$SRC/t/logs-tokens.error_log" 2>/dev/null || true
exit $status
