#!/usr/bin/env bash
# The whole test suite: installs what it needs (as root), builds the module,
# runs the C unit tests, starts a real Kafka broker on 127.0.0.1 and runs
# the Apache::Test suite once per MPM. Apache::Test will not run as root,
# so the build and the suite run as the unprivileged user kutest in a copy
# of the tree.
#   t/run-tests.sh                 everything (MPMs: event worker prefork)
#   KU_MPMS="event" t/run-tests.sh only one MPM
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TEST_USER=${KU_TEST_USER:-kutest}
WORK=${KU_TEST_WORK:-/tmp/ku-test}
MPMS=${KU_MPMS:-event worker prefork}

if [ "$(id -u)" = 0 ]; then
    "$SRC/t/install-deps.sh"
    id -u "$TEST_USER" >/dev/null 2>&1 || useradd -m -s /bin/bash "$TEST_USER"
    rm -rf "$WORK"
    mkdir -p "$WORK"
    # A copy of the sources, without .git or earlier build output.
    (cd "$SRC" && git ls-files -co --exclude-standard -z 2>/dev/null \
        || find . -path ./.git -prune -o -type f -print0) \
        | (cd "$SRC" && xargs -0 cp --parents -t "$WORK")
    chown -R "$TEST_USER:" "$WORK"
    exec runuser -u "$TEST_USER" -- env HOME="$(getent passwd "$TEST_USER" | cut -d: -f6)" \
        KU_MPMS="$MPMS" bash "$WORK/t/run-tests.sh"
fi

cd "$SRC"
start=$(date +%s)
echo "== build"
autoreconf -fi >/dev/null 2>&1
./configure --enable-werror >/dev/null
make -s >/dev/null
echo "== unit tests"
make -s check || { cat t/unit/*.log 2>/dev/null; exit 1; }
cat t/unit/test_encoder.log | tail -1

echo "== kafka"
KAFKA="t/kafka/kafka.sh"
trap 'bash $KAFKA stop >/dev/null 2>&1 || true' EXIT
bash $KAFKA fetch
bash $KAFKA start
bash $KAFKA create-topics ku-defaults ku-all ku-sync ku-queue ku-inherit ku-h2
export KU_BROKER=$(bash $KAFKA env)

fail=0
for mpm in $MPMS; do
    echo "== Apache::Test, mpm_$mpm"
    base=$(t/httpd-base.sh "$mpm")
    perl t/TEST.PL -clean >/dev/null 2>&1 || true
    if ! KU_MPM=$mpm perl t/TEST.PL -apxs "$(command -v apxs)" -httpd_conf "$base" \
            -port 8529 -servername 127.0.0.1 -verbose=0; then
        fail=1
        echo "---- t/logs/error_log (mpm_$mpm)"; tail -50 t/logs/error_log || true
    fi
done
echo "== done in $(( $(date +%s) - start )) s"
exit $fail
