#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Writes the minimal httpd.conf Apache::Test inherits its modules from, for
# one MPM (event, worker or prefork), and prints its path.
set -euo pipefail
mpm=$1
moddir=$(apxs -q LIBEXECDIR)
conf=${TMPDIR:-/tmp}/ku-httpd-$mpm-$(id -un).conf
# Shared by every suite this user runs: write a private file and rename it
# over, so that no run reads it half-written.
tmp=$(mktemp "$conf.XXXXXX")
{
    echo "ServerRoot /etc/apache2"
    for m in mpm_$mpm authz_core authn_core mime http2 auth_basic authn_file authz_user unique_id setenvif; do
        echo "LoadModule ${m}_module $moddir/mod_$m.so"
    done
    echo "TypesConfig /etc/mime.types"
} > "$tmp"
mv -f "$tmp" "$conf"
echo "$conf"
