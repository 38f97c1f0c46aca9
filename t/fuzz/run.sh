#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t/fuzz/run.sh [SECONDS] - builds the libFuzzer targets of the encoder
# (fuzz_urlencoded, fuzz_multipart, fuzz_envelope, fuzz_json_text,
# fuzz_query_arg, fuzz_rest_v2, fuzz_rest_v3, fuzz_avro_encode, fuzz_accept,
# fuzz_cloudevents), of an identity Location's Authorization header
# (fuzz_identity_cred), of the spool's segment files (fuzz_spool_segment) and
# of the Protobuf JSON mapping (fuzz_protobuf: protobuf_encode.cc, built
# with clang++ and linked with libprotobuf; left out with a note when
# libprotobuf-dev is missing) and runs each for SECONDS
# (default 20) from a scratch copy of the seed corpus in t/fuzz/corpus/.
#
# Everything is written under ${KU_FUZZ_DIR:-/tmp/ku-fuzz-$USER} (binaries,
# scratch corpus, logs, crash inputs); the source tree is only read, so an
# unprivileged user can run it on a read-only checkout.
#
# Prints one line per target (exec count from libFuzzer's "Done N runs"
# line), the tail of the log and the crash input's path for a failure, and a
# closing "N passed, M failed" (N/M count targets).  Exits non-zero on any
# build failure, crash, invariant failure, leak, timeout or sanitizer report.
#
# Environment:
#   KU_FUZZ_DIR        work directory (must lie outside the source tree)
#   KU_FUZZ_TARGETS    targets to run (default "urlencoded multipart envelope json_text
#                      query_arg rest_v2 rest_v3 avro_encode spool_segment accept cloudevents protobuf
#                      identity_cred")
#   KU_FUZZ_PARALLEL   1: run the targets at the same time (default: one by one)
#   KU_FUZZ_MAX_LEN    override every target's -max_len
#   CC                 compiler (default clang; needs libFuzzer, i.e.
#                      Debian clang + libclang-rt-14-dev)
# Reproduce a crash:   $KU_FUZZ_DIR/fuzz_<target> <crash file>
set -u

secs=${1:-20}
case $secs in
'' | *[!0-9]* | 0) echo "usage: $0 [SECONDS>0]" >&2; exit 2 ;;
esac

here=$(cd "$(dirname "$0")" && pwd -P)
top=$(cd "$here/../.." && pwd -P)
user=${USER:-$(id -un)}
dir=${KU_FUZZ_DIR:-/tmp/ku-fuzz-$user}
targets=${KU_FUZZ_TARGETS:-urlencoded multipart envelope json_text query_arg rest_v2 rest_v3 avro_encode spool_segment accept cloudevents protobuf identity_cred}
CC=${CC:-clang}
CXX=${CXX:-clang++}
if [ -z "${KU_FUZZ_TARGETS:-}" ] && ! pkg-config --exists protobuf; then
    echo "fuzz_protobuf: left out (no libprotobuf-dev: the module is built without Protobuf too)"
    targets=${targets% protobuf}
fi

dir=$(realpath -m "$dir")
case "$dir/" in
"$top/"*) echo "KU_FUZZ_DIR ($dir) must be outside the source tree ($top)" >&2; exit 2 ;;
esac
mkdir -p "$dir" || exit 1

max_len_of() {
    if [ -n "${KU_FUZZ_MAX_LEN:-}" ]; then echo "$KU_FUZZ_MAX_LEN"; return; fi
    case $1 in
    urlencoded | query_arg) echo 1024 ;;
    *) echo 2048 ;;
    esac
}

cflags="-g -O1 -fno-omit-frame-pointer -Wall -Wextra
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
cppflags="-I$top $(apr-1-config --cppflags --includes) $(apu-1-config --includes)
          $(pkg-config --cflags json-c avro-c)"
libs="$(apr-1-config --link-ld --libs) $(apu-1-config --link-ld --libs) $(pkg-config --libs json-c avro-c libcrypto)"

# LeakSanitizer checks every input (libFuzzer -detect_leaks=1, the default).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:halt_on_error=1"

passed=0
failed=0
declare -A built

echo "fuzz: work directory $dir, $secs s per target"
# fuzz_protobuf: the C++ file with the sanitizers (not the fuzzer's
# main), then the C harness (-x c) linked with it and libprotobuf by
# clang++, which brings UBSan's C++ runtime.
build_protobuf() {
    local bin=$1
    # shellcheck disable=SC2086
    $CXX -g -O1 -fno-omit-frame-pointer -Wall -Wextra -fsanitize=fuzzer-no-link,address,undefined \
        -fno-sanitize-recover=undefined -I"$top" $(apr-1-config --cppflags) \
        -I"$(apr-1-config --includedir)" $(pkg-config --cflags protobuf) \
        -c "$top/protobuf_encode.cc" -o "$dir/protobuf_encode.o" &&
        $CXX $cflags $cppflags -x c "$here/fuzz_protobuf.c" "$top/encoder.c" "$top/body_args.c" "$top/json_args.c" \
            "$top/urlencoded.c" "$top/multipart.c" "$top/utf8.c" "$top/json_text.c" \
            -x none "$dir/protobuf_encode.o" -o "$bin" $libs $(pkg-config --libs protobuf)
}

for t in $targets; do
    bin=$dir/fuzz_$t
    if [ "$t" = protobuf ]; then
        if build_protobuf "$bin" >"$dir/$t.build.log" 2>&1; then
            built[$t]=1
        else
            echo "fuzz_$t: FAILED to build (log $dir/$t.build.log)"
            sed -n '1,30s/^/    | /p' "$dir/$t.build.log"
            failed=$((failed + 1))
        fi
        continue
    fi
    # shellcheck disable=SC2086
    if $CC $cflags $cppflags "$here/fuzz_$t.c" "$top/encoder.c" "$top/body_args.c" "$top/json_args.c" "$top/urlencoded.c" "$top/multipart.c" "$top/utf8.c" "$top/json_text.c" "$top/rest_v2_parse.c" "$top/rest_v3_parse.c" "$top/rest_common.c" "$top/protobuf_stub.c" "$top/spool_format.c" "$top/avro_encode.c" "$top/avro_defaults.c" "$top/accept.c" "$top/cloudevents.c" "$top/trace_context.c" "$top/identity_cred.c" -o "$bin" $libs \
        >"$dir/$t.build.log" 2>&1; then
        built[$t]=1
    else
        echo "fuzz_$t: FAILED to build (log $dir/$t.build.log)"
        sed -n '1,30s/^/    | /p' "$dir/$t.build.log"
        failed=$((failed + 1))
    fi
done

run_one() { # target -> writes $dir/$t.log, $dir/$t.rc, $dir/$t.secs
    local t=$1 start rc
    rm -rf "$dir/corpus/$t" "$dir/artifacts/$t"
    mkdir -p "$dir/corpus/$t" "$dir/artifacts/$t"
    cp "$here/corpus/$t"/* "$dir/corpus/$t/"
    start=$(date +%s)
    (cd "$dir" && exec "$dir/fuzz_$t" -max_total_time="$secs" -max_len="$(max_len_of "$t")" \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -dict="$here/$t.dict" -artifact_prefix="$dir/artifacts/$t/" \
        "$dir/corpus/$t") >"$dir/$t.log" 2>&1
    rc=$?
    echo "$rc" >"$dir/$t.rc"
    echo $(($(date +%s) - start)) >"$dir/$t.secs"
}

to_run=
for t in $targets; do
    [ -n "${built[$t]:-}" ] && to_run="$to_run $t"
done
if [ "${KU_FUZZ_PARALLEL:-0}" = 1 ]; then
    pids=
    for t in $to_run; do
        run_one "$t" &
        pids="$pids $!"
    done
    # shellcheck disable=SC2086
    [ -n "$pids" ] && wait $pids
else
    for t in $to_run; do
        run_one "$t"
    done
fi

for t in $to_run; do
    log=$dir/$t.log
    rc=$(cat "$dir/$t.rc")
    took=$(cat "$dir/$t.secs")
    runs=$(sed -n 's/^Done \([0-9][0-9]*\) runs in .*/\1/p' "$log" | tail -n 1)
    # after a crash there is no "Done" line: take the final stats instead
    [ -n "$runs" ] || runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log")
    crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
    report=$(grep -m 1 -E 'INVARIANT FAILED|ERROR: [A-Za-z]*Sanitizer|runtime error|deadly signal|ALARM: working on the last Unit|out-of-memory|==ERROR' "$log")
    artifacts=$(find "$dir/artifacts/$t" -type f | head -n 1)
    if [ "$rc" = 0 ] && [ -n "$runs" ] && [ -z "$report" ] && [ -z "$artifacts" ]; then
        echo "fuzz_$t: ok, $runs runs in $took s ($((runs / (took > 0 ? took : 1))) exec/s)"
        passed=$((passed + 1))
    else
        echo "fuzz_$t: FAILED (exit $rc${report:+: $report}), ${runs:-?} runs in $took s," \
            "crash input ${crash:-${artifacts:-none}}, log $log"
        # the report itself (sanitizer or invariant message and stack)
        grep -n -m 1 -E 'INVARIANT FAILED|ERROR: |runtime error|deadly signal|ALARM|out-of-memory' "$log" |
            cut -d: -f1 | while read -r n; do
                sed -n "$n,$((n + 30))s/^/    | /p" "$log"
            done
        [ -n "$crash" ] && [ -f "$crash" ] && echo "    | input (base64): $(head -c 3000 "$crash" | base64 -w 0)"
        failed=$((failed + 1))
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
