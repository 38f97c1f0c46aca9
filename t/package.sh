#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Debian package end to end, as root, on this machine's system apache2
# (t/run-tests.sh runs it before it switches to the test user):
#
# 1. build    dpkg-buildpackage -us -uc -b in a copy of the tree
# 2. lintian  no error or warning (overrides: debian/*.lintian-overrides)
# 3. install  apt-get install ./libapache2-mod-kafka-upstream_*.deb: the
#             module is enabled (mods-enabled links)
# 4. use      a Kafka 4.1.1 broker of its own (kafka.sh, as the test user);
#             a Location in /etc/apache2/conf-available + a2enconf;
#             apache2ctl start; a POST is acknowledged and the record is read
#             back with kcat; the status page names the librdkafka;
#             apache2ctl stop
# 5. purge    a2disconf, apt-get purge: no file of the package is left, no
#             mods-enabled or conf-enabled link
#
# The system apache2 listens on 127.0.0.1:KU_PACKAGE_PORT (8680) only:
# /etc/apache2/ports.conf (Listen 80, which no conf snippet can take back)
# is set aside for the test and put back byte for byte afterwards.
# Refuses to run when the system apache2 is running or the package is
# installed. Prints "package: N passed, N failed" last.
#   KU_PACKAGE_WORK (/tmp/ku-package)  build directory
#   KU_PACKAGE_KAFKA_PORT (KU_KAFKA_PORT+50, or 19142; it takes 7 ports) and
#   KU_PACKAGE_KAFKA_DIR (/tmp/ku-kafka-package): the broker
#   KU_TEST_USER (kutest): who runs the broker
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

passed=0 failed=0
check() {   # check NAME COMMAND...: one test
    if "${@:2}"; then passed=$((passed + 1)); echo "ok - $1"
    else failed=$((failed + 1)); echo "not ok - $1"; fi
}
die() { echo "package: $*" >&2; echo "package: $passed passed, $((failed + 1)) failed"; exit 1; }
elapsed() { echo "$(( $(date +%s) - $1 )) s"; }
kafka() {
    runuser -u "$TEST_USER" -- env HOME="$(getent passwd "$TEST_USER" | cut -d: -f6)" \
        KU_KAFKA_PORT="$KAFKA_PORT" KU_KAFKA_CONTROLLER_PORT= KU_KAFKA_DIR="$KAFKA_DIR" \
        bash "$SRC/t/kafka/kafka.sh" "$@"
}

[ "$(id -u)" = 0 ] || die "run as root (it installs a package and starts the system apache2)"
! dpkg-query -W -f '${Status}' "$PKG" 2>/dev/null | grep -q 'installed\|config-files' \
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
    apt-get -o DPkg::Lock::Timeout=300 purge -y -qq "$PKG" >/dev/null 2>&1 || true
    kafka stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

# --- 1. build ----------------------------------------------------------------------
t0=$(date +%s)
rm -rf "$WORK" && mkdir -p "$WORK/src"
(cd "$SRC" && git ls-files -co --exclude-standard -z 2>/dev/null \
    || find . -path ./.git -prune -o -type f -print0) \
    | (cd "$SRC" && xargs -0 cp --parents -t "$WORK/src")
(cd "$WORK/src" && dpkg-buildpackage -us -uc -b >"$WORK/build.log" 2>&1) \
    || { tail -30 "$WORK/build.log"; die "dpkg-buildpackage failed"; }
deb=$(ls "$WORK"/${PKG}_*_*.deb)
echo "   built $(basename "$deb") in $(elapsed "$t0")"

# --- 2. lintian ---------------------------------------------------------------------
t0=$(date +%s)
lintian --fail-on error,warning "$WORK"/*.changes >"$WORK/lintian.log" 2>&1 \
    || { cat "$WORK/lintian.log"; lintian_ok=1; }
check "lintian: no error or warning ($(elapsed "$t0"))" [ -z "${lintian_ok:-}" ]

# --- 3. install -----------------------------------------------------------------------
kafka fetch >/dev/null
kafka start >/dev/null & kafka_pid=$!
apt-get -o DPkg::Lock::Timeout=300 install -y -qq "$deb" >"$WORK/install.log" 2>&1 \
    || { cat "$WORK/install.log"; die "apt-get install $deb failed"; }
check "installed" bash -c "dpkg-query -W -f '\${Status}' $PKG | grep -q 'install ok installed'"
check "the module is enabled (a2enmod)" test -L /etc/apache2/mods-enabled/kafka_upstream.load
check "its .conf is enabled too" test -L /etc/apache2/mods-enabled/kafka_upstream.conf
check "the annotated example is in the documentation" \
    test -f "/usr/share/doc/$PKG/examples/httpd-kafka-upstream.conf.example"

# --- 4. use -------------------------------------------------------------------------------
wait $kafka_pid || die "the broker did not start"
kafka create-topics "$TOPIC" >/dev/null
broker=127.0.0.1:$KAFKA_PORT
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
body="package test $$ $(date +%s%N)"
headers=$(curl -sS -D - -o "$WORK/answer" --data-binary "$body" -H 'Content-Type: text/plain' \
          "http://127.0.0.1:$PORT/ku-package" || true)
check "the POST is acknowledged (200)" grep -q '^HTTP/1.1 200' <<<"$headers"
offset=$(sed -n 's/^[Kk]afka-[Oo]ffset: *\([0-9]*\).*/\1/p' <<<"$headers")
record=$(timeout 20 kcat -C -q -J -b "$broker" -t "$TOPIC" -p 0 -o "${offset:-0}" -c 1 -e 2>&1 || true)
check "kcat reads the record at Kafka-Offset ${offset:-?}" \
    grep -qF "\"payload\":\"{\\\"body\\\":\\\"$body\\\"" <<<"$record"
status=$(curl -sS "http://127.0.0.1:$PORT/ku-package-status" || true)
check "the status page names the system librdkafka ($(pkg-config --modversion rdkafka))" \
    grep -qF "\"librdkafka\":\"$(pkg-config --modversion rdkafka)\"" <<<"$status"
apache2ctl stop
apache2_pid=$(cat "$PIDFILE" 2>/dev/null || echo none)
for _ in $(seq 1 100); do kill -0 "$apache2_pid" 2>/dev/null || break; sleep 0.1; done
check "apache2 stopped" bash -c "! kill -0 $apache2_pid 2>/dev/null"

# --- 5. purge ---------------------------------------------------------------------------
files=$(dpkg-query -L "$PKG" | while read -r f; do [ -d "$f" ] || echo "$f"; done)
a2disconf -q "$CONF" >/dev/null
rm -f "/etc/apache2/conf-available/$CONF.conf"
mv -f "$WORK/ports.conf" "$PORTS"
apt-get -o DPkg::Lock::Timeout=300 purge -y -qq "$PKG" >"$WORK/purge.log" 2>&1 || { cat "$WORK/purge.log"; die "purge failed"; }
check "purged: dpkg knows nothing of it" \
    bash -c "! dpkg-query -W -f '\${Status}' $PKG 2>/dev/null | grep -q 'installed\|config-files'"
left=$(for f in $files; do [ ! -e "$f" ] || echo "$f"; done)
check "no file of the package is left${left:+: $left}" [ -z "$left" ]
links=$(ls /etc/apache2/mods-enabled/kafka_upstream.* "/etc/apache2/conf-enabled/$CONF.conf" 2>/dev/null || true)
check "no enabled link is left${links:+: $links}" [ -z "$links" ]
check "ports.conf is back" grep -q '^Listen 80$' "$PORTS"
echo "package: $passed passed, $failed failed"
[ "$failed" = 0 ]
