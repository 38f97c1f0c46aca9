#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# t/62_registry_oauth.t's servers on 127.0.0.1: a real OAuth2 server
# (oidc-provider, t/oauth/provider.mjs, as t/oauth/servers.sh runs it) and
# a second Apicurio Registry (t/registry/registry.sh's build) that requires
# a bearer token on every request and validates it with quarkus-oidc
# against that server: its issuer (OIDC discovery), its JWKS (signature),
# expiry and the audience "registry" (QUARKUS_OIDC_TOKEN_AUDIENCE).
#
#   oauth-registry.sh start   both, fresh (the provider first: the registry
#                             reads its discovery document at start)
#   oauth-registry.sh stop    both (idempotent)
#
# Ports: KU_SR_OAUTH_PORT (default KU_KAFKA_PORT+2503) the provider,
# KU_SR_OAUTH_REGISTRY_PORT (default KU_KAFKA_PORT+2601, beside the main
# registry's +2600) the registry. KU_SR_OAUTH_DIR (/tmp/ku-sr-oauth-$USER):
# the signing key, the provider's log (one line per token request) and the
# registry's. Needs node and npm (the provider as t/oauth/provider-lib.sh
# fetches, starts and stops it for both) and the registry build.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
USER=${USER:-$(id -un)}
PORT=${KU_SR_OAUTH_PORT:-$(( ${KU_KAFKA_PORT:-19092} + 2503 ))}
RPORT=${KU_SR_OAUTH_REGISTRY_PORT:-$(( ${KU_KAFKA_PORT:-19092} + 2601 ))}
DIR=${KU_SR_OAUTH_DIR:-/tmp/ku-sr-oauth-$USER}
ISSUER=http://127.0.0.1:$PORT

die() { echo "oauth-registry.sh: $*" >&2; exit 1; }
. "$HERE/../oauth/provider-lib.sh"

registry() {
    KU_REGISTRY_PORT=$RPORT KU_REGISTRY_DIR=$DIR/registry \
        REGISTRY_AUTH_ENABLED=true REGISTRY_AUTH_URL_CONFIGURED=$ISSUER \
        KEYCLOAK_API_CLIENT_ID=ku-registry-api QUARKUS_OIDC_TOKEN_AUDIENCE=registry \
        bash "$HERE/registry.sh" "$@"
}

stop() {
    registry stop
    provider_stop "$DIR/provider.pid" "provider-sr-$PORT.mjs"
}

start() {
    provider_fetch
    stop
    rm -rf "$DIR" && mkdir -p "$DIR"
    provider_keys "$DIR/keys.json" ku-sr
    provider_start "provider-sr-$PORT.mjs" "$DIR/keys.json" "$ISSUER" "$DIR/provider.log" \
        "$DIR/provider.pid" "$PORT" || die "the OAuth server did not start"
    registry start
    cat <<EOT
KU_SR_OAUTH_TOKEN_URL=$ISSUER/token
KU_SR_OAUTH_REGISTRY_URL=http://127.0.0.1:$RPORT/apis/ccompat/v7
KU_SR_OAUTH_LOG=$DIR/provider.log
EOT
}

case ${1:-} in
    start) start ;;
    stop) stop ;;
    *) sed -n '3,/^set -e/{/^set -e/d;s/^# \{0,1\}//p}' "$0" >&2; exit 2 ;;
esac
