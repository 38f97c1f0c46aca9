#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole test suite: installs what it needs (as root), builds the module,
# runs the C unit tests, starts a real Kafka broker on 127.0.0.1 and runs
# the Apache::Test suite once per MPM. Apache::Test will not run as root,
# so the build and the suite run as the unprivileged user kutest in a copy
# of the tree.
#   t/run-tests.sh                 everything (MPMs: event worker prefork)
#   KU_MPMS="event" t/run-tests.sh only one MPM
#   KU_TESTS="t/04_sync.t" t/run-tests.sh  only these test files
#   KU_TOKENS_PASS=0 t/run-tests.sh  without the pass against the pinned
#                                  current librdkafka, tokens included
#                                  (t/tokens.sh; librdkafka/build.sh)
#   KU_PACKAGE_TEST=0 t/run-tests.sh  without the Debian package test
#                                  (t/package.sh, as root, system apache2)
#   KU_ROOT_TEST=0 t/run-tests.sh  without the checks only root can make
#                                  (t/root-checks.sh: the spool as httpd's User)
#   KU_FAILOVER_MPMS="event worker prefork"  MPMs t/42_failover.t runs under
#                                  (default event; "" for none)
# KU_TEST_PORT (8529) is the test httpd's port (+71: the secured virtual
# host); KU_TEST_WORK (/tmp/ku-test) the copy; KU_KAFKA_PORT,
# KU_KAFKA_CONTROLLER_PORT, KU_KAFKA_DIR: see t/kafka/kafka.sh; KU_KAFKA3_PORT
# (KU_KAFKA_PORT+100) and KU_KAFKA3_DIR: the Kafka 3.9.1 broker. Set them all
# to run two suites side by side.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TEST_USER=${KU_TEST_USER:-kutest}
WORK=${KU_TEST_WORK:-/tmp/ku-test}
MPMS=${KU_MPMS:-event worker prefork}
PORT=${KU_TEST_PORT:-8529}

if [ "$(id -u)" = 0 ]; then
    "$SRC/t/install-deps.sh"
    id -u "$TEST_USER" >/dev/null 2>&1 || useradd -m -s /bin/bash "$TEST_USER"
    rm -rf "$WORK" "$WORK.sanitize" "$WORK.tokens" "$WORK.root"
    mkdir -p "$WORK"
    # A copy of the sources, without .git or earlier build output.
    (cd "$SRC" && git ls-files -co --exclude-standard -z 2>/dev/null \
        || find . -path ./.git -prune -o -type f -print0) \
        | (cd "$SRC" && xargs -0 cp --parents -t "$WORK")
    chown -R "$TEST_USER:" "$WORK"
    # The pinned current librdkafka for the pass against it, built (or kept)
    # here as root: /tmp/ku-librdkafka, readable by the test user.
    if [ "${KU_TOKENS_PASS:-1}" != 0 ]; then
        echo "== librdkafka/build.sh"
        bash "$SRC/librdkafka/build.sh" 2>&1 | sed 's/^/   /' \
            || echo "   librdkafka/build.sh failed: so will the pass against it"
    fi
    # The Debian package, built, installed, used with the system apache2 and
    # purged (t/package.sh); its figures go to the closing line.
    package_result="0 0"
    if [ "${KU_PACKAGE_TEST:-1}" != 0 ]; then
        echo "== Debian package (t/package.sh)"
        KU_PACKAGE_WORK="$WORK.package" \
        KU_PACKAGE_KAFKA_DIR="${KU_KAFKA_DIR:-/tmp/ku-kafka-$TEST_USER}-package" \
            bash "$WORK/t/package.sh" 2>&1 | tee "$WORK.package.out" || true
        package_result=$(sed -n 's/^package: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' \
                         "$WORK.package.out" | tail -1)
        [ -n "$package_result" ] || package_result="0 1"
    fi
    # What only a server started as root shows (t/root-checks.sh: the spool
    # directory tried as httpd's User); its figures go to the closing line.
    root_result="0 0"
    if [ "${KU_ROOT_TEST:-1}" != 0 ]; then
        echo "== as root (t/root-checks.sh)"
        KU_ROOT_WORK="$WORK.root" KU_ROOT_PORT=$((PORT + 75)) \
            bash "$WORK/t/root-checks.sh" 2>&1 | tee "$WORK.root.out" || true
        root_result=$(sed -n 's/^root: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' \
                      "$WORK.root.out" | tail -1)
        [ -n "$root_result" ] || root_result="0 1"
    fi
    # The kernel's line for each process that died of a fault during the
    # run (its library and offset), as root can read it: with the stacks
    # t/tools/core-backtraces.sh prints, a crash is readable from CI's output.
    faults_before=$(dmesg 2>/dev/null | grep -c 'segfault at\|general protection\|traps:' || true)
    rc=0
    runuser -u "$TEST_USER" -- env HOME="$(getent passwd "$TEST_USER" | cut -d: -f6)" \
        KU_MPMS="$MPMS" KU_TEST_PORT="$PORT" KU_TESTS="${KU_TESTS:-}" \
        KU_PACKAGE_RESULT="$package_result" KU_ROOT_RESULT="$root_result" \
        ${KU_KAFKA_PORT:+KU_KAFKA_PORT=$KU_KAFKA_PORT} \
        ${KU_KAFKA_CONTROLLER_PORT:+KU_KAFKA_CONTROLLER_PORT=$KU_KAFKA_CONTROLLER_PORT} \
        ${KU_KAFKA_DIR:+KU_KAFKA_DIR=$KU_KAFKA_DIR} \
        ${KU_KAFKA3_PORT:+KU_KAFKA3_PORT=$KU_KAFKA3_PORT} \
        ${KU_KAFKA3_DIR:+KU_KAFKA3_DIR=$KU_KAFKA3_DIR} \
        ${KU_FAULT_KAFKA_PORT:+KU_FAULT_KAFKA_PORT=$KU_FAULT_KAFKA_PORT} \
        ${KU_FAULT_KAFKA_DIR:+KU_FAULT_KAFKA_DIR=$KU_FAULT_KAFKA_DIR} \
        ${KU_CLUSTER_PORT:+KU_CLUSTER_PORT=$KU_CLUSTER_PORT} \
        ${KU_CLUSTER_DIR:+KU_CLUSTER_DIR=$KU_CLUSTER_DIR} \
        ${KU_FAILOVER_MPMS+KU_FAILOVER_MPMS="$KU_FAILOVER_MPMS"} \
        ${KU_SANITIZE:+KU_SANITIZE=$KU_SANITIZE} \
        ${KU_TOKENS_PASS:+KU_TOKENS_PASS=$KU_TOKENS_PASS} \
        ${KU_REGISTRY_PORT:+KU_REGISTRY_PORT=$KU_REGISTRY_PORT} \
        ${KU_REGISTRY_DIR:+KU_REGISTRY_DIR=$KU_REGISTRY_DIR} \
        ${KU_OAUTH_DIR:+KU_OAUTH_DIR=$KU_OAUTH_DIR} \
        bash "$WORK/t/run-tests.sh" || rc=$?
    dmesg 2>/dev/null | grep 'segfault at\|general protection\|traps:' \
        | tail -n +$(( ${faults_before:-0} + 1 )) | sed 's/^/kernel: /' | tail -20 || true
    exit $rc
fi

cd "$SRC"
start=$(date +%s)
# t/99_error_log.t checks the run's whole error log for unexpected errors:
# it runs last, after a KU_TESTS subset too.
tests=${KU_TESTS:-}
case " $tests " in "  "|*" t/99_error_log.t "*) ;; *) tests="$tests t/99_error_log.t" ;; esac
# Which file runs in which pass (README: Tests, "Which files run where").
# Every file runs once: under the first MPM of KU_MPMS, on the system's
# librdkafka. MPM_FILES run under every MPM as well: they test the process
# model (children, threads, per-child caches and producers), the shared
# memory, child exits, faults and the spool. LIBRDKAFKA_FILES run again in
# the librdkafka 2.15.1 pass (what the Debian package bundles): MPM_FILES
# (but 27_lua and 29_idempotency: Lua and the key table never meet librdkafka) and the files whose
# outcome depends on librdkafka (security, tokens, OAuth, idempotence,
# delivery reports, chosen partitions). SANITIZE_FILES run
# under ASan+UBSan: MPM_FILES but the failover (librdkafka's own, 106 s
# there) and the memory bounds (the RSS of a child under ASan says
# nothing), and the files that feed hostile input through the request path
# (26_rest_v3 also reads a streamed body piece by piece).
# KU_EVERY_FILE_EVERY_PASS=1 runs every file in every pass.
MPM_FILES="t/04_sync.t t/05_queue_full.t t/07_http2.t t/24_bounds.t t/27_lua.t t/29_idempotency.t t/31_identity.t t/40_faults.t t/41_fatal.t
           t/42_failover.t t/43_spool.t t/50_status.t t/60_schema_registry.t t/90_child_exit.t"
LIBRDKAFKA_FILES="$(tr ' ' '\n' <<<"$MPM_FILES" | grep -v '27_lua\|29_idempotency') t/08_security.t t/09_tokens.t t/13_oauth.t t/22_split_clusters.t
                  t/23_no_offset.t t/25_rest_v2.t"
SANITIZE_FILES="$(tr ' ' '\n' <<<"$MPM_FILES" | grep -v '42_failover\|24_bounds') t/02_message.t t/25_rest_v2.t t/26_rest_v3.t t/30_bad_input.t"
# The files of this run (KU_TESTS, or all) that are in list $1, and
# t/99_error_log.t.
files_in() {
    local f out=
    for f in ${tests:-$(ls t/*.t)}; do
        case " $(echo $1) " in *" $f "*) out="$out $f" ;; esac
    done
    echo "${out# } t/99_error_log.t"
}
files_for() {
    if [ "${KU_EVERY_FILE_EVERY_PASS:-0}" = 1 ]; then echo "$tests"; else files_in "$1"; fi
}
first_mpm=${MPMS%% *}
# t/42_failover.t runs under the MPMs in KU_FAILOVER_MPMS only (default
# event): elsewhere it is left out rather than skipped, since a file that
# skips whole fails the run (count, below).
FAILOVER_MPMS=${KU_FAILOVER_MPMS-event}
export KU_FAILOVER_MPMS=$FAILOVER_MPMS
for_mpm() { # MPM FILES... (none: every file)
    local mpm=$1
    shift
    case " $FAILOVER_MPMS " in *" $mpm "*) echo "$*"; return ;; esac
    # shellcheck disable=SC2046,SC2086
    echo $(printf '%s\n' ${*:-$(ls t/*.t)} | grep -v '/42_failover\.t$')
}
echo "== build"
autoreconf -fi >/dev/null 2>&1
# --enable-test-hooks: the test-only module t/41_fatal.t needs
# (t/modules/mod_ku_test_hooks.c), beside the module as shipped.
./configure --enable-werror --enable-test-hooks >/dev/null
make -s >/dev/null
# The librdkafka the module runs on, as its status page must say (t/50_status.t).
export KU_RDKAFKA_VERSION=$(pkg-config --modversion rdkafka)
echo "== unit tests"
make -s check || { cat t/unit/*.log 2>/dev/null; exit 1; }
grep -h '^[0-9]* passed, [0-9]* failed$' t/unit/test_*.log
# Every file of ours names its license (README, "License"); counted below.
spdx_failed=0
bash t/tools/spdx-check.sh || spdx_failed=1
# No include cycle among the module's own files (README "Internals"); counted below.
cycles_failed=0
perl t/tools/include-cycles.pl || cycles_failed=1
echo "== fuzz (libFuzzer, ${KU_FUZZ_SECONDS:-8} s per target)"
fuzz_failed=0
KU_FUZZ_DIR=${KU_TEST_WORK:-/tmp/ku-test}-fuzz bash t/fuzz/run.sh "${KU_FUZZ_SECONDS:-8}" \
    | tee t/fuzz.out || fuzz_failed=1

echo "== kafka"
# The main broker is Kafka 4.1.1. A Kafka 3.9.1 broker beside it proves
# SCRAM: librdkafka before 2.6.1 (Debian 12 has 2.0.2) sends a SCRAM nonce
# that Kafka 4 refuses and Kafka 3.9 accepts.
KAFKA="t/kafka/kafka.sh"
KAFKA3_PORT=${KU_KAFKA3_PORT:-$(( ${KU_KAFKA_PORT:-19092} + 100 ))}
KAFKA3_DIR=${KU_KAFKA3_DIR:-/tmp/ku-kafka3-$(id -un)}
kafka3() {
    KU_KAFKA_VERSION=3.9.1 KU_KAFKA_PORT=$KAFKA3_PORT KU_KAFKA_CONTROLLER_PORT= \
        KU_KAFKA_DIR=$KAFKA3_DIR bash $KAFKA "$@"
}
# t/40_faults.t starts, restarts and stops a broker of its own, here; this
# is only where it is, and the trap stops it if a test died without doing so.
export KU_FAULT_KAFKA_PORT=${KU_FAULT_KAFKA_PORT:-$(( ${KU_KAFKA_PORT:-19092} + 2000 ))}
export KU_FAULT_KAFKA_DIR=${KU_FAULT_KAFKA_DIR:-/tmp/ku-kafka-fault-$(id -un)}
export KU_FAULT_BROKER=127.0.0.1:$KU_FAULT_KAFKA_PORT
kafka_fault() {
    KU_KAFKA_PORT=$KU_FAULT_KAFKA_PORT KU_KAFKA_CONTROLLER_PORT= KU_KAFKA_DIR=$KU_FAULT_KAFKA_DIR \
        bash $KAFKA "$@"
}
# t/42_failover.t's 3-node cluster (t/kafka/cluster.sh): the same, ports
# KU_KAFKA_PORT+3000 to +3005.
export KU_CLUSTER_PORT=${KU_CLUSTER_PORT:-$(( ${KU_KAFKA_PORT:-19092} + 3000 ))}
export KU_CLUSTER_DIR=${KU_CLUSTER_DIR:-${KU_KAFKA_DIR:-/tmp/ku-kafka-$(id -un)}-cluster}
export KU_CLUSTER_BROKERS=$(bash t/kafka/cluster.sh bootstrap)
# t/31_identity.t's broker with ACLs (t/kafka/identity-broker.sh; the test
# starts and stops it): ports KU_KAFKA_PORT+3100 to +3103.
export KU_IDENTITY_KAFKA_PORT=${KU_IDENTITY_KAFKA_PORT:-$(( ${KU_KAFKA_PORT:-19092} + 3100 ))}
export KU_IDENTITY_KAFKA_DIR=${KU_IDENTITY_KAFKA_DIR:-${KU_KAFKA_DIR:-/tmp/ku-kafka-$(id -un)}-identity}
export KU_IDENTITY_BROKER=127.0.0.1:$KU_IDENTITY_KAFKA_PORT
export KU_IDENTITY_BROKER_SASL=127.0.0.1:$((KU_IDENTITY_KAFKA_PORT + 2))
export KU_IDENTITY_BROKER_OAUTH=127.0.0.1:$((KU_IDENTITY_KAFKA_PORT + 3))
# The schema registry (t/registry/registry.sh) starts beside them.
REGISTRY="t/registry/registry.sh"
trap 'bash $KAFKA stop >/dev/null 2>&1 || true; kafka3 stop >/dev/null 2>&1 || true
      kafka_fault stop >/dev/null 2>&1 || true; bash t/kafka/cluster.sh stop >/dev/null 2>&1 || true
      bash t/kafka/identity-broker.sh stop >/dev/null 2>&1 || true
      bash $REGISTRY stop || true' EXIT
bash $KAFKA fetch
kafka3 fetch
bash $REGISTRY build
bash $REGISTRY start & registry_pid=$!
bash $KAFKA start & main_pid=$!
kafka3 start
wait $main_pid
wait $registry_pid
export KU_REGISTRY_URL=$(bash $REGISTRY url)
# t/60_schema_registry.t puts an httpd with TLS and basic auth in front of
# the registry on these two ports (the second: a certificate for another
# host name), and one that wants a client certificate on the third; the
# test httpd's Locations name them.
export KU_REGISTRY_FRONT_PORT=$((PORT + 73)) KU_REGISTRY_FRONT_BADHOST_PORT=$((PORT + 74))
export KU_REGISTRY_FRONT_MTLS_PORT=$((PORT + 76))
bash $KAFKA create-topics ku-defaults ku-all ku-sync ku-queue ku-inherit ku-h2 ku-secure \
    ku-keys:6 ku-keys-crc:6 ku-fanout-a ku-fanout-b ku-headers ku-raw ku-fields ku-split \
    ku-idem ku-lua ku-compress-none ku-compress-gzip ku-compress-snappy ku-compress-lz4 \
    ku-compress-zstd ku-clusters ku-no-offset ku-schema ku-protobuf ku-bounds ku-rest-v2:3 ku-rest-v3:3 ku-rest-pb \
    ku-cloudevents ku-trace ku-sr-oauth ku-idempotency
kafka3 create-topics ku-secure ku-clusters
# KU_BROKER, KU_BROKER_SSL ... and KU_CERTS for t/conf/extra.conf.in; the
# 3.9.1 broker's as KU_KAFKA3, KU_KAFKA3_SASL ... and KU_KAFKA3_CERTS.
eval "$(bash $KAFKA listeners | sed 's/^/export /')"
eval "$(kafka3 listeners | sed 's/^KU_/export KU_KAFKA3_/; s/KU_KAFKA3_BROKER/KU_KAFKA3/')"
# The secured virtual host, and the SASL secrets it reads from a file and
# from the environment.
export KU_SECURE_PORT=$((PORT + 71))
export KU_SECRETS=$KU_CERTS
printf 'bob-secret-256\n' > "$KU_SECRETS/bob-password"
export KU_CAROL_PASSWORD=carol-secret-512
# KafkaUpstreamSchemaRegistryHeader's values from a file and from the
# environment (t/60_schema_registry.t: its registry front requires them).
printf 'ku-hdr-secret-7\n' > "$KU_SECRETS/sr-header-key"
export KU_SR_HEADER_ENV=ku-env-secret-9
# t/62_registry_oauth.t's OAuth2 server and the registry that requires its
# tokens (t/registry/oauth-registry.sh; the test starts and stops them):
# where the test httpd's Locations find them, and the clients' secrets.
export KU_SR_OAUTH_PORT=${KU_SR_OAUTH_PORT:-$(( ${KU_KAFKA_PORT:-19092} + 2503 ))}
export KU_SR_OAUTH_REGISTRY_PORT=$(( ${KU_REGISTRY_PORT:-$(( ${KU_KAFKA_PORT:-19092} + 2600 ))} + 1 ))
export KU_SR_OAUTH_DIR=$SRC-sr-oauth
export KU_SR_OAUTH_TOKEN_URL=http://127.0.0.1:$KU_SR_OAUTH_PORT/token
export KU_SR_OAUTH_REGISTRY_URL=http://127.0.0.1:$KU_SR_OAUTH_REGISTRY_PORT/apis/ccompat/v7
printf 'ku-registry-secret\n' > "$KU_SECRETS/sr-oauth-secret"
export KU_SR_OAUTH_STALE_SECRET=ku-stale-secret

# What failed, by pass, printed again just before the closing line: CI
# keeps only the end of the output.
: > t/failures.txt
# Adds the failed tests of Apache::Test output $2 to t/failures.txt,
# each line led by the pass's name $1: Test.pm's "# Failed test N in FILE
# at line L" with the comment line after it (a test's own diagnosis, if
# any), and the harness's summary of each file.
note_failures() {
    local pass=$1 out=$2
    grep -E -A1 '^# Failed test |^t/[^ ]+\.t +\(Wstat: |^  Failed tests?: ' "$out" \
        | grep -E '^#|^t/[^ ]+\.t +\(Wstat: |^  Failed' | cut -c1-300 | sed "s|^|$pass: |" >> t/failures.txt || true
}
# Counts for the closing "N passed, N failed" line.
passed=$(( $(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' t/unit/test_*.log | paste -sd+) \
          + $(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' t/fuzz.out) ))
failed=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p' t/fuzz.out)
fail=$fuzz_failed
[ "$fuzz_failed" = 0 ] || echo "fuzz: failed (see '== fuzz' above)" >> t/failures.txt
if [ "$spdx_failed" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)) fail=1
    echo "spdx-check: failed" >> t/failures.txt; fi
if [ "$cycles_failed" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)) fail=1
    echo "include-cycles: failed" >> t/failures.txt; fi
# The package test's figures (the root part, t/package.sh).
read -r package_passed package_failed <<<"${KU_PACKAGE_RESULT:-0 0}"
passed=$((passed + package_passed)) failed=$((failed + package_failed))
[ "$package_failed" = 0 ] || { fail=1; echo "package (t/package.sh): $package_failed failed" >> t/failures.txt; }
# The root checks' figures (t/root-checks.sh).
read -r root_passed root_failed <<<"${KU_ROOT_RESULT:-0 0}"
passed=$((passed + root_passed)) failed=$((failed + root_failed))
[ "$root_failed" = 0 ] || { fail=1; echo "root (t/root-checks.sh): $root_failed failed" >> t/failures.txt; }
# The test files of an Apache::Test output ($1) that skipped whole: they
# checked nothing, so each is a failure, but for the skip the README lists
# ("Tests"): t/42_failover.t under an MPM not in KU_FAILOVER_MPMS.
whole_skips() {
    grep -E '^t/[^ ]+\.t \.+ skipped: ' "$1" \
        | grep -Ev '^t/42_failover\.t \.+ skipped: mpm_[a-z]+ is not in KU_FAILOVER_MPMS$' || true
}
# Adds an Apache::Test run's figures (its output $1, its status $2, its
# error log $3) to the counts; its failures to t/failures.txt as pass $4.
count() {
    local out=$1 status=$2 log=$3 pass=$4 total bad skips
    note_failures "$pass" "$out"
    # Summed: t/tokens.sh runs Apache::Test twice into one file.
    total=$(sed -n 's/^Files=[0-9]*, Tests=\([0-9]*\),.*/\1/p' "$out" | awk '{ s += $1 } END { print s + 0 }')
    bad=$(sed -n 's/.* \([0-9]*\)\/[0-9]* subtests failed.*/\1/p' "$out" | awk '{ s += $1 } END { print s + 0 }')
    skips=$(whole_skips "$out")
    if [ -n "$skips" ]; then
        echo "---- test files that skipped whole, each counted as a failure:"
        echo "$skips"
        sed "s|^|$pass: |" <<<"$skips" >> t/failures.txt
        fail=1
        bad=$(( ${bad:-0} + $(wc -l <<<"$skips") ))
        total=$(( ${total:-0} + $(wc -l <<<"$skips") ))
    fi
    if [ "$status" != 0 ]; then
        fail=1
        # the suite died before counting
        [ "${bad:-0}" != 0 ] || { bad=1; echo "$pass: Apache::Test ended with status $status" >> t/failures.txt; }
        echo "---- $log"; tail -50 "$log" || true
    fi
    passed=$(( passed + ${total:-0} - ${bad:-0} ))
    failed=$(( failed + ${bad:-0} ))
}
for mpm in $MPMS; do
    echo "== Apache::Test, mpm_$mpm"
    base=$(t/httpd-base.sh "$mpm")
    out=t/logs-$mpm.out
    perl t/TEST.PL -clean >/dev/null 2>&1 || true
    status=0
    files=$tests
    [ "$mpm" = "$first_mpm" ] || files=$(files_for "$MPM_FILES")
    files=$(for_mpm "$mpm" $files)
    echo "   ${files:-every file}"
    # shellcheck disable=SC2086 # files is a list
    KU_MPM=$mpm perl t/TEST.PL -apxs "$(command -v apxs)" -httpd_conf "$base" \
        -port "$PORT" -servername 127.0.0.1 -verbose=0 $files > "$out" 2>&1 || status=$?
    cat "$out"
    cp t/logs/error_log "t/logs-$mpm.error_log" 2>/dev/null || true
    # A test that restarts httpd itself (t/40_faults.t) can leave one whose
    # pid file Apache::Test no longer knows; the next pass needs the port.
    pkill -f -- "-f $PWD/t/conf/httpd.conf" 2>/dev/null || true
    bash t/tools/core-backtraces.sh t "$(apxs -q SBINDIR)/$(apxs -q PROGNAME)"
    count "$out" "$status" "t/logs-$mpm.error_log" "mpm_$mpm"
done
# The pinned current librdkafka (t/tokens.sh): the module once more, linked
# against librdkafka 2.15.1 as librdkafka/build.sh patched it, and
# LIBRDKAFKA_FILES with real delegation tokens, MPM event.
# KU_TOKENS_PASS=0 skips.
if [ "${KU_TOKENS_PASS:-1}" != 0 ]; then
    echo "== librdkafka 2.15.1 with delegation tokens (t/tokens.sh, --with-librdkafka)"
    status=0
    # In $SRC.tokens; the librdkafka in /tmp/ku-librdkafka, kept between runs.
    KU_TOKENS_TESTS="$(for_mpm event $(files_for "$LIBRDKAFKA_FILES"))" KU_KAFKA3_PORT=$KAFKA3_PORT KU_KAFKA3_DIR=$KAFKA3_DIR bash t/tokens.sh || status=$?
    cat t/logs-tokens.out
    count t/logs-tokens.out "$status" t/logs-tokens.error_log "librdkafka 2.15.1"
fi
# Memory checks (t/sanitize.sh): the suite once more against an ASan+UBSan
# build of the module, then memory growth per request. KU_SANITIZE=0 skips.
if [ "${KU_SANITIZE:-1}" != 0 ]; then
    echo "== sanitizers and leak check"
    # (pipefail: the pipeline's status is t/sanitize.sh's)
    if KU_SANITIZE_TESTS="$(files_for "$SANITIZE_FILES")" bash t/sanitize.sh | tee t/sanitize.out
    then passed=$((passed + 1))
    else
        failed=$((failed + 1)) fail=1
        grep '^FAIL' t/sanitize.out | sed 's/^/sanitizers: /' >> t/failures.txt || true
        [ ! -f "$PWD.sanitize/t/logs-sanitize.out" ] || note_failures sanitizers "$PWD.sanitize/t/logs-sanitize.out"
    fi
fi
echo "== done in $(( $(date +%s) - start )) s (MPMs: $MPMS)"
if [ -s t/failures.txt ]; then
    echo "---- what failed (pass: what):"
    head -80 t/failures.txt
fi
echo "$passed passed, $failed failed"
exit $fail
