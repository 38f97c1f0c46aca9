#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What only a server started as root can show (t/run-tests.sh runs it as
# root, before it switches to the test user; Apache::Test refuses root):
# the startup check of the spool directory (README "The spool") tries the
# directory as httpd's children will use it, as the User they run as, not
# as root. Each case starts the system apache2 binary as root with `User
# kutest`, the module built here and a spool directory, no Kafka:
#
# 1. the spool under a 0700 directory of root's (kutest cannot traverse
#    it): no start, KU00045 naming the directory and the reason;
# 2. a segment file left there that kutest cannot open (it could not be
#    adopted): no start, KU00045 naming the file;
# 3. a dead-letter file kutest cannot append to: no start, KU00045;
# 4. the same spool under a directory kutest may traverse: httpd starts,
#    no KU00045, the spool directory made and given to kutest.
#
# Prints "root: N passed, M failed" last.
#   KU_ROOT_WORK (/tmp/ku-root)  build and scratch directory
#   KU_ROOT_PORT (8604)          the port the started httpd listens on
#   KU_TEST_USER (kutest)        httpd's User
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${KU_ROOT_WORK:-/tmp/ku-root}
PORT=${KU_ROOT_PORT:-8604}
USER_NAME=${KU_TEST_USER:-kutest}
HTTPD=$(command -v apache2 || echo /usr/sbin/apache2)
MODDIR=$(apxs -q LIBEXECDIR)

passed=0 failed=0
check() {   # check NAME COMMAND...: one test
    if "${@:2}"; then passed=$((passed + 1)); echo "ok - $1"
    else failed=$((failed + 1)); echo "not ok - $1"; fi
}
die() { echo "root: $*" >&2; echo "root: $passed passed, $((failed + 1)) failed"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (httpd must drop its privileges to show anything)"
id -u "$USER_NAME" >/dev/null 2>&1 || die "no user $USER_NAME"

# --- the module, built in a copy of the tree -------------------------------------
rm -rf "$WORK" && mkdir -p "$WORK/src" "$WORK/run"
(cd "$SRC" && git ls-files -co --exclude-standard -z 2>/dev/null \
    || find . -path ./.git -prune -o -type f -print0) \
    | (cd "$SRC" && xargs -0 cp --parents -t "$WORK/src")
(cd "$WORK/src" && autoreconf -fi && ./configure && make) >"$WORK/build.log" 2>&1 \
    || { tail -30 "$WORK/build.log"; die "the build failed"; }
SO=$WORK/src/.libs/mod_kafka_upstream.so
RUN=$WORK/run
chmod 755 "$WORK" "$RUN"

# Starts apache2 as root with the spool directory $1; its exit status.
start() {
    local conf=$RUN/httpd.conf
    cat >"$conf" <<EOF
ServerRoot "$RUN"
ServerName 127.0.0.1
Listen 127.0.0.1:$PORT
PidFile "$RUN/httpd.pid"
ErrorLog "$RUN/error_log"
DefaultRuntimeDir "$RUN"
User $USER_NAME
Group $(id -gn "$USER_NAME")
LoadModule mpm_event_module "$MODDIR/mod_mpm_event.so"
LoadModule authz_core_module "$MODDIR/mod_authz_core.so"
LoadModule kafka_upstream_module "$SO"
KafkaUpstreamSpool "$1" 1M
EOF
    : >"$RUN/error_log"
    "$HTTPD" -f "$conf" -k start >"$RUN/start.out" 2>&1
}
# Stops it, and whatever is left of it: a server still starting may not
# have written its pid file yet, and none may outlive the checks (the next
# run's would find the port taken).
stop() {
    local pid=
    for _ in $(seq 25); do
        pid=$(cat "$RUN/httpd.pid" 2>/dev/null) && break
        pgrep -f -- "-f $RUN/httpd.conf" >/dev/null || return 0
        sleep 0.2
    done
    if [ -n "$pid" ]; then
        "$HTTPD" -f "$RUN/httpd.conf" -k stop >/dev/null 2>&1 || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    fi
    pkill -9 -f -- "-f $RUN/httpd.conf" 2>/dev/null || true
}
trap stop EXIT
refused() {   # refused NAME SPOOL PATTERN: no start, a KU00045 line matching PATTERN
    local status=0
    start "$2" || status=$?
    check "$1: apache2 -k start fails" [ "$status" != 0 ]
    check "$1: KU00045 says why" grep -q "KU00045: spool: $3" "$RUN/error_log"
    if [ "$status" = 0 ]; then stop; fi
    if ! grep -q "KU00045: spool: $3" "$RUN/error_log"; then
        sed 's/^/    | /' "$RUN/error_log" "$RUN/start.out" | tail -20
    fi
}

# 1. a parent the user cannot traverse
mkdir -m 0700 "$RUN/private"
refused 'spool under a 0700 directory of root' "$RUN/private/spool" \
    "the httpd user cannot list $RUN/private/spool: Permission denied"

# 2. and 3. files the user cannot open, in a directory of its own
mkdir -m 0755 "$RUN/open"
install -d -m 0700 -o "$USER_NAME" "$RUN/open/spool"
install -m 0600 /dev/null "$RUN/open/spool/1-2-3.kus"
refused 'a segment file of root' "$RUN/open/spool" \
    "the httpd user cannot open $RUN/open/spool/1-2-3.kus: Permission denied"
rm -f "$RUN/open/spool/1-2-3.kus"
install -m 0600 /dev/null "$RUN/open/spool/dead-letter.jsonl"
refused 'a dead-letter file of root' "$RUN/open/spool" \
    "the httpd user cannot open $RUN/open/spool/dead-letter.jsonl: Permission denied"
rm -rf "$RUN/open/spool"

# 4. the same, usable: made at startup, given to the user, httpd runs
status=0
start "$RUN/open/spool" || status=$?
check 'usable spool: apache2 -k start succeeds' [ "$status" = 0 ]
check 'usable spool: no KU00045' bash -c "! grep -q KU00045 '$RUN/error_log'"
check "usable spool: the directory made and given to $USER_NAME" \
    [ "$(stat -c %U "$RUN/open/spool" 2>/dev/null)" = "$USER_NAME" ]
check 'usable spool: no file left by the check' \
    bash -c "! ls -A '$RUN/open/spool' | grep -q ku-check"
[ "$status" = 0 ] || sed 's/^/    | /' "$RUN/error_log" "$RUN/start.out" | tail -20
stop

echo "root: $passed passed, $failed failed"
[ "$failed" = 0 ]
