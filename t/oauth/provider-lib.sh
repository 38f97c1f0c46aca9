# SPDX-License-Identifier: Apache-2.0
# Sourced by t/oauth/servers.sh and t/registry/oauth-registry.sh: the real
# OAuth2 server both run, oidc-provider from npm (t/oauth/provider.mjs):
# fetched into the cache once per version, given a signing key, started
# and stopped. Callers set -euo pipefail and define die().

OIDC_PROVIDER_VERSION=9.6.1
OIDC_PROVIDER_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OIDC_PROVIDER_CACHE=${KU_OAUTH_CACHE:-$HOME/.cache/mod_kafka_upstream/oidc-provider-$OIDC_PROVIDER_VERSION}

# oidc-provider into the cache (once per version).
provider_fetch() {
    local cache=$OIDC_PROVIDER_CACHE
    [ -f "$cache/.complete" ] && return 0
    command -v npm >/dev/null || die "npm not found"
    rm -rf "$cache.tmp" && mkdir -p "$cache.tmp"
    (cd "$cache.tmp" && npm install --no-audit --no-fund --loglevel=error \
        "oidc-provider@$OIDC_PROVIDER_VERSION" >npm.log 2>&1) \
        || { cat "$cache.tmp/npm.log" >&2; die "npm failed"; }
    touch "$cache.tmp/.complete"
    rm -rf "$cache" && mv "$cache.tmp" "$cache"
}

# A new RS256 signing key with kid KID, as a JWKS, into FILE.
provider_keys() {  # FILE KID
    KID=$2 node -e 'const k = require("crypto").generateKeyPairSync("rsa", { modulusLength: 2048 })
        .privateKey.export({ format: "jwk" });
        console.log(JSON.stringify({ keys: [{ ...k, kid: process.env.KID, use: "sig", alg: "RS256" }] }))' \
        >"$1"
}

# Starts provider.mjs as SCRIPT (its copy in the cache: node resolves a
# module's imports from where it lies, beside the cache's node_modules;
# a name per caller, so neither's stop can take the other's for its own)
# with KEYS and ISSUER, the rest of the arguments its ports (and the TLS
# certificate); its output in LOG, its pid in PIDFILE. Fails when it does
# not listen within 10 s.
provider_start() {  # SCRIPT KEYS ISSUER LOG PIDFILE PORT...
    local script=$1 keys=$2 issuer=$3 log=$4 pidfile=$5
    shift 5
    cp "$OIDC_PROVIDER_HERE/provider.mjs" "$OIDC_PROVIDER_CACHE/$script"
    KU_OAUTH_ISSUER=$issuer setsid node "$OIDC_PROVIDER_CACHE/$script" "$keys" "$@" \
        >"$log" 2>&1 </dev/null &
    echo $! >"$pidfile"
    for _ in $(seq 100); do
        grep -q '^oidc-provider http' "$log" && return 0
        sleep 0.1
    done
    cat "$log" >&2
    return 1
}

# Stops the provider of PIDFILE if that pid still runs SCRIPT (idempotent).
provider_stop() {  # PIDFILE SCRIPT
    local pid
    pid=$(cat "$1" 2>/dev/null) || return 0
    if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$2"; then
        kill "$pid" 2>/dev/null || true
    fi
    rm -f "$1"
}
