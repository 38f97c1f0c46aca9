#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Debian package end to end, as root, on this machine's system apache2
# (t/run-tests.sh runs it before it switches to the test user):
#
# 1. build    dpkg-buildpackage -us -uc -b in two copies of the tree: the
#             package (librdkafka 2.15.1 bundled: librdkafka/build.sh, its
#             cache kept) and the previous version, 0.1.0, built from the
#             same tree the way 0.1.0 was (Debian's librdkafka: the build
#             profile pkg.mod-kafka-upstream.system-librdkafka, no tests)
# 2. lintian  no error or warning, binary and source package (overrides:
#             debian/source/lintian-overrides, each explained there);
#             the .deb depends on no librdkafka, its .so needs none and has
#             no RPATH
# 3. install  apt-get install the 0.1.0 .deb: the module is enabled
# 4. old      the servers of t/oauth/servers.sh (as the test user): an
#             OAuth server and a Kafka 4.1.1 broker with SASL, OAUTHBEARER
#             and delegation tokens; a Location in conf-available + a2enconf;
#             apache2ctl start; a POST is acknowledged and read back with
#             kcat; the status page names Debian's librdkafka
# 5. upgrade  kafka_upstream.conf edited, apt-get install the new .deb over
#             0.1.0 while apache2 runs: the edit survives (a conffile), the
#             module stays enabled; apache2ctl graceful (same parent) loads
#             the new .so: the status page and KU00060 say 2.15.1, bundled
# 6. use      each record read back from Kafka: PLAINTEXT, SCRAM-SHA-512
#             (carol), OAUTHBEARER (a token from the OAuth server, checked
#             by the broker against its JWKS), a delegation token
#             (kafka.sh create-token, SCRAM with tokenauth)
# 7. remove   apache2ctl stop, apt-get remove: the module is disabled, its
#             files gone but the conffiles, edit included
# 8. purge    a2disconf, apt-get purge: no file of the package is left, no
#             mods-enabled or conf-enabled link
#
# The system apache2 listens on 127.0.0.1:KU_PACKAGE_PORT (8680) only:
# /etc/apache2/ports.conf (Listen 80, which no conf snippet can take back)
# is set aside for the test and put back byte for byte afterwards.
# Refuses to run when the system apache2 is running or the package is
# installed. Prints "package: N passed, N failed" last.
#   KU_PACKAGE_WORK (/tmp/ku-package)  build directory
#   KU_PACKAGE_KAFKA_PORT (KU_KAFKA_PORT+50, or 19142; the broker takes it
#   and the 8 ports above it, the OAuth server +10 and +11) and
#   KU_PACKAGE_KAFKA_DIR (/tmp/ku-kafka-package): the servers' directory
#   KU_TEST_USER (kutest): who runs the servers
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${KU_PACKAGE_WORK:-/tmp/ku-package}
PORT=${KU_PACKAGE_PORT:-8680}
KAFKA_PORT=${KU_PACKAGE_KAFKA_PORT:-$(( ${KU_KAFKA_PORT:-19092} + 50 ))}
KAFKA_DIR=${KU_PACKAGE_KAFKA_DIR:-/tmp/ku-kafka-package}
TEST_USER=${KU_TEST_USER:-kutest}
PKG=libapache2-mod-kafka-upstream
CONF=ku-package-test
TOPIC=ku-package
PORTS=/etc/apache2/ports.conf
MODCONF=/etc/apache2/mods-available/kafka_upstream.conf
ERRLOG=/var/log/apache2/error.log
OLD_PROFILE=pkg.mod-kafka-upstream.system-librdkafka
broker=127.0.0.1:$KAFKA_PORT
sasl_broker=127.0.0.1:$((KAFKA_PORT + 4))

passed=0 failed=0
check() {   # check NAME COMMAND...: one test
    if "${@:2}"; then passed=$((passed + 1)); echo "ok - $1"
    else failed=$((failed + 1)); echo "not ok - $1"; fi
}
die() { echo "package: $*" >&2; echo "package: $passed passed, $((failed + 1)) failed"; exit 1; }
elapsed() { echo "$(( $(date +%s) - $1 )) s"; }
as_test_user() {   # from /tmp: root's working directory may be closed to it
    (cd /tmp && runuser -u "$TEST_USER" -- env HOME="$(getent passwd "$TEST_USER" | cut -d: -f6)" \
        USER="$TEST_USER" "$@")
}
# The OAuth server and its broker (t/oauth/servers.sh), on our ports.
servers() {
    as_test_user KU_OAUTH_KAFKA_PORT="$KAFKA_PORT" KU_OAUTH_PORT="$((KAFKA_PORT + 10))" \
        KU_OAUTH_DIR="$KAFKA_DIR" bash "$SRC/t/oauth/servers.sh" "$@"
}
# kafka.sh on that broker: topics, delegation tokens.
kafka() {
    as_test_user KU_KAFKA_PORT="$KAFKA_PORT" KU_KAFKA_CONTROLLER_PORT= \
        KU_KAFKA_DIR="$KAFKA_DIR/kafka" bash "$SRC/t/kafka/kafka.sh" "$@"
}
apt_get() {
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold -y -qq "$@"
}
dpkg_status() { dpkg-query -W -f '${Status} ${Version}' "$PKG" 2>/dev/null || true; }

[ "$(id -u)" = 0 ] || die "run as root (it installs a package and starts the system apache2)"
! dpkg_status | grep -q 'installed\|config-files' \
    || die "$PKG is installed already: purge it first"
# The system apache2's parent (other apache2 processes may be test servers).
PIDFILE=/var/run/apache2/apache2.pid
system_apache2() { [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }
! system_apache2 || die "the system apache2 is running: stop it first"

cleanup() {
    apache2ctl stop >/dev/null 2>&1 || true
    a2disconf -q "$CONF" >/dev/null 2>&1 || true
    rm -f "/etc/apache2/conf-available/$CONF.conf"
    [ ! -f "$WORK/ports.conf" ] || mv -f "$WORK/ports.conf" "$PORTS"
    apt_get purge "$PKG" >/dev/null 2>&1 || true
    servers stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

# --- 1. build: the package and the previous version ----------------------------------
copy_tree() {   # DIR: the files git knows (or all, in t/run-tests.sh's copy)
    mkdir -p "$1"
    (cd "$SRC" && git ls-files -co --exclude-standard -z 2>/dev/null \
        || find . -path ./.git -prune -o -type f -print0) \
        | (cd "$SRC" && xargs -0 cp --parents -t "$1")
}
t0=$(date +%s)
rm -rf "$WORK" && mkdir -p "$WORK"
copy_tree "$WORK/new/src"
# The source package too, for lintian (dpkg-source -b, before the build).
(cd "$WORK/new" && dpkg-source -b src >"$WORK/source.log" 2>&1) \
    || { cat "$WORK/source.log"; die "dpkg-source -b failed"; }
(cd "$WORK/new/src" && dpkg-buildpackage -us -uc -b >"$WORK/build.log" 2>&1) \
    || { tail -30 "$WORK/build.log"; die "dpkg-buildpackage failed"; }
deb=$(ls "$WORK"/new/${PKG}_*_*.deb)
version=$(dpkg-deb -f "$deb" Version)
echo "   built $(basename "$deb") in $(elapsed "$t0")"
t0=$(date +%s)
copy_tree "$WORK/old/src"
(cd "$WORK/old/src" \
    && sed -n '/^mod-kafka-upstream (0\.1\.0)/,$p' debian/changelog >"$WORK/changelog-0.1.0" \
    && [ -s "$WORK/changelog-0.1.0" ] && mv "$WORK/changelog-0.1.0" debian/changelog \
    && sed -i 's/^AC_INIT(\[mod_kafka_upstream\], \[[^]]*\]/AC_INIT([mod_kafka_upstream], [0.1.0]/' configure.ac \
    && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b -P"$OLD_PROFILE" \
       >"$WORK/build-0.1.0.log" 2>&1) \
    || { tail -30 "$WORK/build-0.1.0.log"; die "dpkg-buildpackage of 0.1.0 failed"; }
old_deb=$(ls "$WORK"/old/${PKG}_0.1.0_*.deb)
echo "   built $(basename "$old_deb") (Debian's librdkafka) in $(elapsed "$t0")"

# --- 2. lintian, and what the .deb links ------------------------------------------------
t0=$(date +%s)
lintian --fail-on error,warning "$WORK"/new/*.changes "$WORK"/new/*.dsc >"$WORK/lintian.log" 2>&1 \
    || { cat "$WORK/lintian.log"; lintian_ok=1; }
check "lintian: no error or warning ($(elapsed "$t0"))" [ -z "${lintian_ok:-}" ]
depends=$(dpkg-deb -f "$deb" Depends)
check "$version depends on no librdkafka ($depends)" bash -c "! grep -q rdkafka <<<'$depends'"
dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./usr/lib/apache2/modules/mod_kafka_upstream.so >"$WORK/new.so"
dynamic=$(readelf -d "$WORK/new.so")
check "its .so needs no librdkafka" bash -c "! grep -q 'NEEDED.*rdkafka' <<<'$dynamic'"
check "its .so has no RPATH or RUNPATH" bash -c "! grep -q 'RPATH\|RUNPATH' <<<'$dynamic'"
check "its .so exports no librdkafka symbol" bash -c "! nm -D --defined-only '$WORK/new.so' | grep -q ' rd_kafka_'"
# A symbol of STB_GNU_UNIQUE binding makes glibc keep the module loaded for
# ever: the upgrade's graceful restart below would run the old one.
check "its .so has no GNU_UNIQUE symbol (it can be unloaded)" \
    bash -c "! readelf -sW --dyn-syms '$WORK/new.so' | grep -q ' UNIQUE '"

# --- 3. install 0.1.0 -------------------------------------------------------------------
{ kafka fetch && servers start; } >"$WORK/servers.out" 2>"$WORK/servers.err" & servers_pid=$!
apt_get install "$old_deb" >"$WORK/install.log" 2>&1 \
    || { cat "$WORK/install.log"; die "apt-get install $old_deb failed"; }
check "0.1.0 installed" grep -qx 'install ok installed 0.1.0' <<<"$(dpkg_status)"
check "the module is enabled (a2enmod)" test -L /etc/apache2/mods-enabled/kafka_upstream.load
check "its .conf is enabled too" test -L /etc/apache2/mods-enabled/kafka_upstream.conf
check "the annotated example is in the documentation" \
    test -f "/usr/share/doc/$PKG/examples/httpd-kafka-upstream.conf.example"

# --- 4. 0.1.0 on the system apache2 -------------------------------------------------------
wait $servers_pid || { cat "$WORK/servers.err"; die "t/oauth/servers.sh start failed"; }
eval "$(sed 's/^/export /' "$WORK/servers.out")"
kafka create-topics "$TOPIC" >/dev/null
# The Locations: PLAINTEXT and the status page; with "secured" also SCRAM,
# OAUTHBEARER and a delegation token, which 0.1.0's librdkafka cannot do
# (apache2 -t refuses OAUTHBEARER without OIDC).
write_conf() {   # [secured]
    cat >"/etc/apache2/conf-available/$CONF.conf" <<EOF
# mod_kafka_upstream's package test (t/package.sh); removed by it.
<Location /ku-package>
    SetHandler kafka-upstream
    KafkaUpstreamBootstrapServers $broker
    KafkaUpstreamTopic $TOPIC
    KafkaUpstreamAsync Off
</Location>
<Location /ku-package-status>
    SetHandler kafka-upstream-status
    Require local
</Location>
EOF
    [ "${1:-}" = secured ] || return 0
    cat >>"/etc/apache2/conf-available/$CONF.conf" <<EOF
<LocationMatch ^/ku-package-(scram|token|oauth)$>
    SetHandler kafka-upstream
    KafkaUpstreamTopic $TOPIC
    KafkaUpstreamAsync Off
    KafkaUpstreamDeliveryTimeout 10000
</LocationMatch>
<Location /ku-package-scram>
    KafkaUpstreamBootstrapServers $sasl_broker
    KafkaUpstreamSASLMechanism SCRAM-SHA-512
    KafkaUpstreamSASLUser carol
    KafkaUpstreamSASLPassword carol-secret-512
</Location>
<Location /ku-package-token>
    KafkaUpstreamBootstrapServers $sasl_broker
    KafkaUpstreamSASLMechanism SCRAM-SHA-256
    KafkaUpstreamSASLTokenAuth On
    KafkaUpstreamSASLUser $token_id
    KafkaUpstreamSASLPassword $token_hmac
</Location>
<Location /ku-package-oauth>
    KafkaUpstreamBootstrapServers $KU_OAUTH_BROKER_SASL
    KafkaUpstreamSASLMechanism OAUTHBEARER
    KafkaUpstreamOAuthTokenEndpoint $KU_OAUTH_TOKEN_URL
    KafkaUpstreamOAuthClientId ku-client
    KafkaUpstreamOAuthClientSecret $KU_OAUTH_SECRET
    KafkaUpstreamOAuthScope kafka.produce
</Location>
EOF
}
write_conf
a2enconf -q "$CONF" >/dev/null
mv "$PORTS" "$WORK/ports.conf"
echo "Listen 127.0.0.1:$PORT" >"$PORTS"
apache2ctl configtest >"$WORK/configtest.log" 2>&1 || { cat "$WORK/configtest.log"; die "configtest failed"; }
apache2ctl start || die "apache2ctl start failed"
for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break
    sleep 0.1
done
listening=$(ss -Hltnp | grep "pid=$(cat "$PIDFILE")," | awk '{print $4}' | sort -u | xargs)
check "apache2 listens on 127.0.0.1:$PORT only ($listening)" [ "$listening" = "127.0.0.1:$PORT" ]

produce() {   # NAME PATH: a POST acknowledged, its record read back at its Kafka-Offset
    local body="package test $1 $$ $(date +%s%N)" headers offset record=""
    headers=$(curl -sS -m 30 -D - -o /dev/null --data-binary "$body" -H 'Content-Type: text/plain' \
              "http://127.0.0.1:$PORT$2" || true)
    check "$1: the POST is acknowledged (200)" grep -q '^HTTP/1.1 200' <<<"$headers"
    offset=$(sed -n 's/^[Kk]afka-[Oo]ffset: *\([0-9]*\).*/\1/p' <<<"$headers")
    [ -z "$offset" ] \
        || record=$(timeout 20 kcat -C -q -J -b "$broker" -t "$TOPIC" -p 0 -o "$offset" -c 1 -e 2>&1 || true)
    check "$1: kcat reads the record at Kafka-Offset ${offset:-?}" \
        grep -qF "\"payload\":\"{\\\"body\\\":\\\"$body\\\"" <<<"$record"
}
status_json() { curl -sS -m 10 "http://127.0.0.1:$PORT/ku-package-status" || true; }
produce "0.1.0, PLAINTEXT" /ku-package
system_rdkafka=$(pkg-config --modversion rdkafka)
check "0.1.0: the status page names the system librdkafka ($system_rdkafka)" \
    grep -qF "\"librdkafka\":\"$system_rdkafka\"" <<<"$(status_json)"

# --- 5. upgrade to the new version while apache2 runs -----------------------------------
edit="# edited by t/package.sh $$"
echo "$edit" >>"$MODCONF"
apt_get install "$deb" >"$WORK/upgrade.log" 2>&1 || { cat "$WORK/upgrade.log"; die "the upgrade to $deb failed"; }
check "upgraded to $version" bash -c "dpkg-query -W -f '\${Status} \${Version}' $PKG | grep -qx 'install ok installed $version'"
check "the edited kafka_upstream.conf is kept" grep -qxF "$edit" "$MODCONF"
check "kafka_upstream.conf is a conffile" \
    bash -c "dpkg-query -W -f '\${Conffiles}' $PKG | grep -q '^ $MODCONF '"
check "the module is still enabled" test -L /etc/apache2/mods-enabled/kafka_upstream.load
# The maintainer scripts restart apache2 through invoke-rc.d, which
# policy-rc.d may forbid (containers): the running one may still be 0.1.0.
echo "   before the graceful restart: $(grep -o '"librdkafka":"[^"]*"' <<<"$(status_json)")"
token=$(kafka create-token) || die "create-token failed"
read -r token_id token_hmac <<<"$token"
write_conf secured
apache2ctl configtest >"$WORK/configtest.log" 2>&1 || { cat "$WORK/configtest.log"; die "configtest (secured) failed"; }
parent=$(cat "$PIDFILE")
log_lines=$(wc -l <"$ERRLOG")
apache2ctl graceful || die "apache2ctl graceful failed"
for _ in $(seq 1 100); do
    status=$(status_json)
    grep -qF '"librdkafka":"2.15.1"' <<<"$status" && break
    sleep 0.1
done
check "graceful: the same parent ($parent)" [ "$(cat "$PIDFILE")" = "$parent" ]
check "the status page names librdkafka 2.15.1" grep -qF '"librdkafka":"2.15.1"' <<<"$status"
check "and says it is bundled" grep -qF '"librdkafka_linkage":"bundled"' <<<"$status"
check "KU00060 says so too" \
    bash -c "tail -n +$((log_lines + 1)) '$ERRLOG' | grep -qF 'KU00060: mod_kafka_upstream ${version%%-*}, librdkafka 2.15.1 (bundled, built with 2.15.1)'"

# --- 6. what the bundled librdkafka brings -----------------------------------------------
produce "PLAINTEXT" /ku-package
produce "SCRAM-SHA-512 to Kafka 4.1.1" /ku-package-scram
produce "OAUTHBEARER" /ku-package-oauth
produce "a delegation token" /ku-package-token
apache2ctl stop
apache2_pid=$(cat "$PIDFILE" 2>/dev/null || echo none)
for _ in $(seq 1 100); do kill -0 "$apache2_pid" 2>/dev/null || break; sleep 0.1; done
check "apache2 stopped" bash -c "! kill -0 $apache2_pid 2>/dev/null"

# --- 7. remove: the conffiles stay ---------------------------------------------------------
files=$(dpkg-query -L "$PKG" | while read -r f; do [ -d "$f" ] || echo "$f"; done)
apt_get remove "$PKG" >"$WORK/remove.log" 2>&1 || { cat "$WORK/remove.log"; die "remove failed"; }
check "removed: dpkg keeps its conffiles" \
    bash -c "dpkg-query -W -f '\${Status}' $PKG | grep -qx 'deinstall ok config-files'"
check "the module is disabled" bash -c "! ls /etc/apache2/mods-enabled/kafka_upstream.* 2>/dev/null"
check "the module is gone" test ! -e /usr/lib/apache2/modules/mod_kafka_upstream.so
check "the conffiles are kept, the edit too" \
    bash -c "grep -qxF '$edit' '$MODCONF' && test -f /etc/apache2/mods-available/kafka_upstream.load"

# --- 8. purge -----------------------------------------------------------------------------
a2disconf -q "$CONF" >/dev/null
rm -f "/etc/apache2/conf-available/$CONF.conf"
mv -f "$WORK/ports.conf" "$PORTS"
apt_get purge "$PKG" >"$WORK/purge.log" 2>&1 || { cat "$WORK/purge.log"; die "purge failed"; }
check "purged: dpkg knows nothing of it" \
    bash -c "! dpkg-query -W -f '\${Status}' $PKG 2>/dev/null | grep -q 'installed\|config-files'"
left=$(for f in $files; do [ ! -e "$f" ] || echo "$f"; done)
check "no file of the package is left${left:+: $left}" [ -z "$left" ]
links=$(ls /etc/apache2/mods-enabled/kafka_upstream.* "/etc/apache2/conf-enabled/$CONF.conf" 2>/dev/null || true)
check "no enabled link is left${links:+: $links}" [ -z "$links" ]
check "ports.conf is back" grep -q '^Listen 80$' "$PORTS"
echo "package: $passed passed, $failed failed"
[ "$failed" = 0 ]
