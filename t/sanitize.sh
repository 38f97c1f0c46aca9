#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Memory checks, run by t/run-tests.sh after the normal suite, as the test
# user, with the brokers still up and their KU_* variables exported:
#
# 1. build  the module again with ./configure --enable-sanitizers
#           (AddressSanitizer + UndefinedBehaviorSanitizer, any UB fatal)
#           in a copy of the tree (KU_SANITIZE_WORK, default <tree>.sanitize),
#           with the configure arguments the normal build used; the C unit
#           tests run instrumented too (make check, leak detection on).
# 2. selftest  the positive control: t/sanitize/selftest.c, a module with a
#           heap overflow and a signed overflow, loaded through the same
#           apache2 wrapper, must leave an ASan and a UBSan report and two
#           dead children, or the checks below could not fail.
# 3. suite  the whole Apache::Test suite once (MPM KU_SANITIZE_MPM, event)
#           against the instrumented module. Debian's apache2 is not
#           instrumented, so it runs through a generated wrapper
#           (bin/apache2 in the copy) that preloads the ASan/UBSan runtimes
#           into httpd only (not into perl, kcat, curl) and sends every
#           report to a file in reports/. Fails if the suite fails, if any
#           report file appears or if the error log shows a child killed by
#           a signal.
# 4. leak   no memory growing per request: the normal (uninstrumented)
#           build in a prefork httpd with exactly one child, on one
#           keep-alive connection per Location (an async one, a sync one);
#           t/sanitize/leak.pl measures the child's RssAnon and its malloc'd
#           bytes (t/sanitize/memstats.c) after KU_LEAK_WARMUP (2000) and
#           after KU_LEAK_REQUESTS (20000) requests, every one answered 200
#           and on the broker. Growth above KU_LEAK_RSS_BOUND_KB (512) or
#           KU_LEAK_MALLOC_BOUND_KB (256) is measured once more over as many
#           requests; growing again fails. The child must not be replaced.
#
#   t/sanitize.sh                       all four steps
#   KU_SANITIZE_STEPS="build suite" t/sanitize.sh
#   KU_SANITIZE_TESTS="t/04_sync.t" t/sanitize.sh   only these test files
#
# Needs: a built tree (./configure && make: config.status and .libs/ of the
# normal build), KU_BROKER (and the other KU_* of t/run-tests.sh for the
# suite), gcc's libasan/libubsan (gcc-12 depends on them), kcat, curl.
# Ports: KU_TEST_PORT (8529) and KU_SECURE_PORT for the suite, like
# t/run-tests.sh; KU_LEAK_PORT (KU_TEST_PORT+72) for the leak check.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SAN=${KU_SANITIZE_WORK:-$SRC.sanitize}
PORT=${KU_TEST_PORT:-8529}
MPM=${KU_SANITIZE_MPM:-event}
STEPS=${KU_SANITIZE_STEPS:-build selftest suite leak}
# By default every file but t/42_failover.t: failover is librdkafka's and
# the producer registry's, which the other files run under the sanitizers
# too, and it takes 106 s there (keeps the CI run under 45 minutes).
TESTS=${KU_SANITIZE_TESTS-${KU_TESTS:-$(cd "$SRC" && ls t/*.t | grep -v '/42_failover\.t$' | tr '\n' ' ')}}
LEAK_PORT=${KU_LEAK_PORT:-$((PORT + 72))}
LEAK_WARMUP=${KU_LEAK_WARMUP:-2000}
LEAK_REQUESTS=${KU_LEAK_REQUESTS:-20000}
LEAK_RSS_BOUND_KB=${KU_LEAK_RSS_BOUND_KB:-512}
LEAK_MALLOC_BOUND_KB=${KU_LEAK_MALLOC_BOUND_KB:-256}

REPORTS=$SAN/reports
WRAP=$SAN/bin/apache2
HTTPD=$(apxs -q SBINDIR)/$(apxs -q PROGNAME)
MODDIR=$(apxs -q LIBEXECDIR)

die() { echo "sanitize: $*" >&2; exit 1; }
step() { [[ " $STEPS " == *" $1 "* ]]; }
elapsed() { echo "$(( $(date +%s) - $1 )) s"; }

[ "$(id -u)" != 0 ] || die "run as the test user (Apache::Test refuses root)"
[ -n "${KU_BROKER:-}" ] || die "KU_BROKER is not set: run from t/run-tests.sh, with the brokers up"
[ -f "$SRC/config.status" ] && [ -f "$SRC/.libs/mod_kafka_upstream.so" ] \
    || die "build $SRC first (t/run-tests.sh does)"
start=$(date +%s)
fail=0

# --- 1. the instrumented build ---------------------------------------------
if step build; then
    t0=$(date +%s)
    echo "== sanitize: build with --enable-sanitizers in $SAN"
    rm -rf "$SAN"
    mkdir -p "$SAN"
    # The sources, without .git, build output, Apache::Test's generated
    # files (apache_test_config.pm holds the original tree's paths) or the
    # spool the MPM passes left (t/conf/43_spool.inc: t/spool).
    excl=(--exclude=./.git --exclude=./autom4te.cache --exclude=./t/logs
          --exclude='./t/logs-*' --exclude=./t/state --exclude=./t/htdocs/index.html
          --exclude=./t/spool
          --exclude=./t/conf/apache_test_config.pm --exclude=./t/conf/httpd.conf
          --exclude=./t/conf/extra.conf)
    case $SAN in "$SRC"/*) excl+=(--exclude="./${SAN#"$SRC"/}") ;; esac
    (cd "$SRC" && tar -cf - "${excl[@]}" .) | (cd "$SAN" && tar -xf -)
    cd "$SAN"
    make -s distclean >/dev/null 2>&1 || true
    # The normal build's configure arguments (t/run-tests.sh's test hooks),
    # without -Werror: sanitizer instrumentation makes GCC warn where it
    # otherwise does not (-Wmaybe-uninitialized); the normal build is the
    # one that keeps warnings out.
    eval "set -- $("$SRC/config.status" --config)"
    args=()
    for a in "$@"; do [ "$a" = --enable-werror ] || args+=("$a"); done
    autoreconf -fi >/dev/null 2>&1
    ./configure "${args[@]}" --enable-sanitizers >"$SAN/configure.out" 2>&1 \
        || { tail -20 "$SAN/configure.out"; die "configure failed"; }
    make -s >/dev/null 2>"$SAN/make.err" || { cat "$SAN/make.err"; die "make failed"; }
    ldd .libs/mod_kafka_upstream.so > "$SAN/ldd.out"
    grep -q 'libasan' "$SAN/ldd.out" \
        || die ".libs/mod_kafka_upstream.so is not linked to libasan: --enable-sanitizers had no effect"
    echo "   $(sed -n 's/^CFLAGS = //p' Makefile)"
    # The unit tests are programs: instrumented from main() on, leaks included.
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        make -s check >/dev/null 2>&1 \
        || { cat t/unit/*.log 2>/dev/null; die "unit tests failed under ASan/UBSan"; }
    echo "   unit tests under ASan+UBSan+LSan: $(grep -hE '^[0-9]+ passed' t/unit/test_*.log | paste -sd' ')"

    # The wrapper Apache::Test runs as httpd (-httpd): it answers -V and -l
    # like apache2 itself, since it is apache2. The runtimes are the ones the
    # module is linked to; ASan must come first in the process, hence
    # LD_PRELOAD rather than the module's own DT_NEEDED.
    asan_rt=$(awk '/libasan/ { print $3 }' "$SAN/ldd.out")
    ubsan_rt=$(awk '/libubsan/ { print $3 }' "$SAN/ldd.out")
    [ -n "$asan_rt" ] && [ -f "$asan_rt" ] || die "libasan not found for the module"
    # Suppressions, if any are needed, in t/sanitize/{asan,ubsan}.supp.
    asupp='' usupp=''
    [ ! -f "$SRC/t/sanitize/asan.supp" ] || asupp=":suppressions=$SRC/t/sanitize/asan.supp"
    [ ! -f "$SRC/t/sanitize/ubsan.supp" ] || usupp=":suppressions=$SRC/t/sanitize/ubsan.supp"
    mkdir -p "$SAN/bin" "$REPORTS"
    cat > "$WRAP" <<EOF
#!/bin/sh
# Generated by t/sanitize.sh: $HTTPD with the ASan and UBSan runtimes
# preloaded, for the instrumented mod_kafka_upstream.so it loads. Reports go
# to files (asan.PID, ubsan.PID) in \$KU_SANITIZE_REPORTS, default
# $REPORTS. detect_leaks=0: httpd's one-time allocations are not
# freed at exit; t/sanitize.sh measures growth per request instead.
reports=\${KU_SANITIZE_REPORTS:-$REPORTS}
export LD_PRELOAD="$asan_rt${ubsan_rt:+ $ubsan_rt}\${LD_PRELOAD:+ \$LD_PRELOAD}"
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=1:detect_stack_use_after_return=1$asupp:log_path=\$reports/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1$usupp:log_path=\$reports/ubsan"
exec $HTTPD "\$@"
EOF
    chmod +x "$WRAP"
    echo "   built in $(elapsed "$t0")"
fi
cd "$SAN"
[ -x "$WRAP" ] || die "no $WRAP: run the build step first"

# Which process died of what, in an httpd error log: the MPM's AH00052
# lines (a child killed by a signal) and anything a sanitizer wrote there.
deaths() { grep -aE 'AH00052|exit signal|AddressSanitizer|runtime error:' "$1" || true; }

# A small httpd of our own (selftest, leak check): writes its config,
# starts it, waits until it answers. $1 dir, $2 binary, $3 port, $4 extra.
small_httpd() {
    local dir=$1 bin=$2 port=$3 extra=$4
    mkdir -p "$dir"
    cat > "$dir/httpd.conf" <<EOF
ServerRoot "$dir"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile "$dir/httpd.pid"
ErrorLog "$dir/error_log"
DefaultRuntimeDir "$dir"
LogLevel warn
LoadModule mpm_prefork_module "$MODDIR/mod_mpm_prefork.so"
LoadModule authz_core_module "$MODDIR/mod_authz_core.so"
# One child, never replaced: its memory is what is measured.
StartServers 1
MinSpareServers 1
MaxSpareServers 1
ServerLimit 1
MaxRequestWorkers 1
MaxConnectionsPerChild 0
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 5
$extra
EOF
    "$bin" -d "$dir" -f "$dir/httpd.conf" -k start || return 1
    for _ in $(seq 100); do
        curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0
        sleep 0.1
    done
    echo "httpd in $dir does not answer"; tail -20 "$dir/error_log"; return 1
}
stop_httpd() {
    local dir=$1 pid
    pid=$(cat "$dir/httpd.pid" 2>/dev/null) || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
}
children() {
    grep -l "^PPid:[[:space:]]*$1\$" /proc/[0-9]*/status 2>/dev/null | cut -d/ -f3
}

# --- 2. positive control ----------------------------------------------------
if step selftest; then
    t0=$(date +%s)
    echo "== sanitize: selftest (a heap overflow and a signed overflow must be caught)"
    dir=$SAN/selftest
    rm -rf "$dir"; mkdir -p "$dir/reports"
    cc=$(sed -n 's/^CC = //p' Makefile)
    cflags=$(sed -n 's/^CFLAGS = //p' Makefile)
    # shellcheck disable=SC2086,SC2046 # word lists
    $cc $cflags -shared -fPIC -I"$(apxs -q INCLUDEDIR)" $(apxs -q EXTRA_INCLUDES) \
        $(apxs -q EXTRA_CPPFLAGS) -o "$dir/mod_selftest.so" "$SRC/t/sanitize/selftest.c"
    # Without the preloaded runtime the instrumented module does not load:
    # the wrapper is what makes the checks run.
    printf 'LoadModule mpm_prefork_module %s/mod_mpm_prefork.so\nLoadModule x_module %s\n' \
        "$MODDIR" "$SAN/.libs/mod_kafka_upstream.so" > "$dir/noload.conf"
    out=$("$HTTPD" -t -f "$dir/noload.conf" 2>&1 || true)
    if [[ $out == *"ASan runtime does not come first"* ]]; then
        echo "   without the wrapper, $HTTPD refuses the module: \"ASan runtime does not come first...\""
    else
        echo "FAIL: the instrumented module did not need the preloaded ASan runtime: $out"; fail=1
    fi
    export KU_SANITIZE_REPORTS=$dir/reports
    if small_httpd "$dir" "$WRAP" "$LEAK_PORT" "LoadModule ku_sanitize_selftest_module $dir/mod_selftest.so
<Location /ku-sanitize-selftest>
    SetHandler ku-sanitize-selftest
</Location>"; then
        # ASan writes its report to reports/asan.PID. GCC's libubsan, next
        # to libasan, ignores log_path and writes to stderr, which httpd
        # sends to its error log: both places are searched, here and after
        # the suite.
        for what in heap:'ERROR: AddressSanitizer: heap-buffer-overflow' \
                    ub:'runtime error: signed integer overflow'; do
            url=/ku-sanitize-selftest/${what%%:*} expect=${what#*:}
            code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
                   "http://127.0.0.1:$LEAK_PORT$url" || true)
            found=
            for _ in $(seq 50); do
                found=$(cat "$dir"/reports/* "$dir/error_log" 2>/dev/null | grep -aoF "$expect" | head -1)
                [ -z "$found" ] || break
                sleep 0.1
            done
            if [ -n "$found" ] && [ "$code" != 200 ]; then
                echo "   $url: caught, \"$found\", no response (HTTP $code)"
            else
                echo "FAIL: $url was not caught (HTTP $code, no \"$expect\")"; fail=1
            fi
        done
        # prefork's parent notices a dead child within a second or two.
        for _ in $(seq 50); do
            died=$(deaths "$dir/error_log" | grep -c AH00052 || true)
            [ "$died" -lt 2 ] || break
            sleep 0.1
        done
        if [ "$died" = 2 ]; then echo "   the error log names both children killed (AH00052)"
        else echo "FAIL: $died AH00052 lines for two killed children"; deaths "$dir/error_log"; fail=1
        fi
    else
        echo "FAIL: the selftest httpd did not start"; fail=1
    fi
    stop_httpd "$dir"
    unset KU_SANITIZE_REPORTS
    echo "   selftest in $(elapsed "$t0")"
fi

# --- 3. the whole suite, instrumented ---------------------------------------
if step suite; then
    t0=$(date +%s)
    echo "== sanitize: Apache::Test under ASan+UBSan, mpm_$MPM${TESTS:+ ($TESTS)}"
    rm -rf "$REPORTS"; mkdir -p "$REPORTS"
    base=$(t/httpd-base.sh "$MPM")
    out=t/logs-sanitize.out
    perl t/TEST.PL -clean >/dev/null 2>&1 || true
    status=0
    # shellcheck disable=SC2086 # TESTS is a list of files
    KU_MPM=$MPM HARNESS_TIMER=1 perl t/TEST.PL -apxs "$(command -v apxs)" -httpd "$WRAP" -httpd_conf "$base" \
        -port "$PORT" -servername 127.0.0.1 -verbose=0 $TESTS > "$out" 2>&1 || status=$?
    cp t/logs/error_log t/logs-sanitize.error_log 2>/dev/null || true
    # As in t/run-tests.sh: no httpd of this run may outlive it.
    pkill -f -- "-f $PWD/t/conf/httpd.conf" 2>/dev/null || true
    grep -E '^(\[[0-9:]+\] )?t/|^(Files=|Result:|All tests)|Failed|Wstat' "$out" | cut -c1-200 || true
    grep -q "^using Apache/.* ($MPM MPM)" "$out" || { echo "FAIL: the suite did not start httpd"; status=1; }
    grep -q "^Files=" "$out" || status=1
    grep -q "^LoadModule kafka_upstream_module $SAN/t/\.\./\.libs/" t/conf/extra.conf \
        || { echo "FAIL: the suite did not load $SAN/.libs/mod_kafka_upstream.so"; status=1; }
    if [ "$status" != 0 ]; then
        echo "FAIL: the suite failed under the sanitizers (exit $status), $SAN/$out:"
        tail -40 "$out"; fail=1
    fi
    nreports=$(find "$REPORTS" -type f | wc -l)
    if [ "$nreports" != 0 ]; then
        echo "FAIL: $nreports sanitizer report(s) in $REPORTS:"
        for f in "$REPORTS"/*; do echo "---- $f"; head -60 "$f"; done
        fail=1
    else
        echo "   sanitizer reports: none"
    fi
    died=$(deaths t/logs-sanitize.error_log)
    if [ -n "$died" ]; then
        echo "FAIL: children died (t/logs-sanitize.error_log):"; echo "$died" | head -20; fail=1
        bash t/tools/core-backtraces.sh t "$HTTPD"
    else
        echo "   children killed by a signal: none"
    fi
    echo "   suite in $(elapsed "$t0")"
fi

# --- 4. memory per request --------------------------------------------------
if step leak; then
    t0=$(date +%s)
    echo "== sanitize: memory growth per request (prefork, one child, one keep-alive connection)"
    dir=$SAN/leak
    rm -rf "$dir"; mkdir -p "$dir"
    cc=$(sed -n 's/^CC = //p' Makefile)
    # shellcheck disable=SC2086,SC2046 # word lists
    ${cc:-cc} -O2 -g -Wall -shared -fPIC -I"$(apxs -q INCLUDEDIR)" $(apxs -q EXTRA_INCLUDES) \
        $(apxs -q EXTRA_CPPFLAGS) -o "$dir/mod_memstats.so" "$SRC/t/sanitize/memstats.c"
    ok=1
    # The normal build, as deployed. Async: method, URI, headers, a key and
    # record headers forwarded; sync: answered after the broker's ack.
    # MaxMemFree: pool memory APR frees goes back to the system at once
    # (Debian's APR maps its blocks with mmap, unseen by malloc), so a
    # connection cannot reuse what the one before it grew to.
    small_httpd "$dir" "$HTTPD" "$LEAK_PORT" "KeepAliveTimeout 60
MaxMemFree 64
LoadModule kafka_upstream_module $SRC/.libs/mod_kafka_upstream.so
LoadModule ku_sanitize_memstats_module $dir/mod_memstats.so
<Location /ku-sanitize-memstats>
    SetHandler ku-sanitize-memstats
</Location>
KafkaUpstreamBootstrapServers $KU_BROKER
<Location /leak/async>
    SetHandler kafka-upstream
    KafkaUpstreamTopic ku-all
    KafkaUpstreamForwardMethod On
    KafkaUpstreamForwardURI On
    KafkaUpstreamForwardHeaders On
    KafkaUpstreamRecordHeaders On
    KafkaUpstreamKeyQueryArg key
    KafkaUpstreamAsyncFlushTimeout 5
</Location>
<Location /leak/sync>
    SetHandler kafka-upstream
    KafkaUpstreamTopic ku-sync
    KafkaUpstreamAsync Off
    KafkaUpstreamForwardURI On
</Location>" || ok=0
    parent=$(cat "$dir/httpd.pid" 2>/dev/null || true)
    child=$( [ -n "$parent" ] && children "$parent" || true)
    [ "$ok" = 1 ] && [ "$(echo "$child" | wc -w)" = 1 ] \
        || { echo "FAIL: expected one httpd child, got '$child'"; ok=0; }
    if [ "$ok" = 1 ]; then
        perl "$SRC/t/sanitize/leak.pl" "$LEAK_PORT" "$child" "$KU_BROKER" "$LEAK_WARMUP" \
            "$LEAK_REQUESTS" "$LEAK_RSS_BOUND_KB" "$LEAK_MALLOC_BOUND_KB" \
            /leak/async=ku-all /leak/sync=ku-sync || ok=0
        now=$(children "$parent")
        [ "$now" = "$child" ] || { echo "FAIL: the child $child was replaced by '$now'"; ok=0; }
    fi
    died=$(deaths "$dir/error_log")
    [ -z "$died" ] || { echo "FAIL: $died"; ok=0; }
    stop_httpd "$dir"
    [ "$ok" = 1 ] || { fail=1; echo "   error log:"; tail -20 "$dir/error_log" 2>/dev/null || true; }
    echo "   leak check in $(elapsed "$t0")"
fi

echo "== sanitize: $([ "$fail" = 0 ] && echo passed || echo FAILED) in $(elapsed "$start")"
exit $fail
