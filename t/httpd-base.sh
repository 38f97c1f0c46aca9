#!/usr/bin/env bash
# Writes the minimal httpd.conf Apache::Test inherits its modules from, for
# one MPM (event, worker or prefork), and prints its path.
set -euo pipefail
mpm=$1
moddir=$(apxs -q LIBEXECDIR)
conf=${TMPDIR:-/tmp}/ku-httpd-$mpm-$(id -un).conf
{
    echo "ServerRoot /etc/apache2"
    for m in mpm_$mpm authz_core authn_core mime http2; do
        echo "LoadModule ${m}_module $moddir/mod_$m.so"
    done
    echo "TypesConfig /etc/mime.types"
} > "$conf"
echo "$conf"
