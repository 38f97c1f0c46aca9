#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Prints every thread's stack of each core file in DIR (httpd's
# CoreDumpDirectory: Apache::Test's t/), dumped by BINARY, then renames
# the file so that the next pass reports only its own. A crash CI met is
# then readable from CI's output alone, without the machine.
# Usage: t/tools/core-backtraces.sh DIR BINARY
dir=$1 binary=$2
for core in "$dir"/core "$dir"/core.[0-9]*; do
    [ -f "$core" ] || continue
    echo "---- $core (dumped by $binary): every thread's stack"
    if command -v gdb >/dev/null; then
        timeout 120 gdb -q -batch -nx -ex 'set pagination off' \
            -ex 'thread apply all bt 30' "$binary" "$core" 2>&1 \
            | grep -v '^\[New LWP\|^warning: .*debug\|^$' | head -400
    else
        echo "(gdb is not installed: no stack)"
    fi
    mv "$core" "$core.seen-$(date +%s)-$$"
done
exit 0
