#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The servers t/13_oauth.t talks to, on 127.0.0.1: a real OAuth2 server
# (oidc-provider from npm, t/oauth/provider.mjs) and a real Kafka broker
# (t/kafka/kafka.sh) whose OAUTHBEARER listeners validate its JWTs through
# its JWKS endpoint.
#
#   servers.sh fetch    oidc-provider into the cache (once per version)
#   servers.sh start    both, fresh; prints KU_OAUTH_* lines to eval
#   servers.sh up PORT  one more instance of the OAuth server, on PORT
#   servers.sh down PORT  stop that one (idempotent)
#   servers.sh stop     all of them and the broker (idempotent)
#
# Ports: KU_OAUTH_PORT (default KU_KAFKA_PORT+2500, 21592 without it) the
# token endpoint over http, +1 over https (its own test CA), +2 the port
# t/13_oauth.t brings a second instance up on (an endpoint down at start);
# the broker's KU_OAUTH_KAFKA_PORT (+10) .. +18 (kafka.sh, P+7/P+8: OAUTH,
# OAUTH_SSL), with Kafka's validator as ExtensionsLoggingValidator.java
# extends it: it prints the SASL extensions to the broker's server.log. KU_OAUTH_DIR (/tmp/ku-oauth-servers-$USER): keys, certs,
# logs, the broker's data, client-secret. KU_OAUTH_HTTP_PORT (KU_TEST_PORT+72)
# is the test httpd's virtual host for t/conf/13_oauth.inc. Cache: KU_OAUTH_CACHE
# (~/.cache/mod_kafka_upstream/oidc-provider-VERSION; t/oauth/provider-lib.sh,
# which t/registry/oauth-registry.sh shares). Needs node and npm, and
# kafka.sh fetch done.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
USER=${USER:-$(id -un)}
PORT=${KU_OAUTH_PORT:-$(( ${KU_KAFKA_PORT:-19092} + 2500 ))}
KPORT=${KU_OAUTH_KAFKA_PORT:-$((PORT + 10))}
DIR=${KU_OAUTH_DIR:-/tmp/ku-oauth-servers-$USER}
ISSUER=http://127.0.0.1:$PORT

die() { echo "oauth/servers.sh: $*" >&2; exit 1; }
. "$HERE/provider-lib.sh"
# kafka.sh's jar cache (its default release).
kafka_libs() { echo "${KU_KAFKA_HOME:-$HOME/.cache/mod_kafka_upstream/kafka}/libs"; }
kafka() {
    KU_KAFKA_PORT=$KPORT KU_KAFKA_CONTROLLER_PORT= KU_KAFKA_DIR=$DIR/kafka \
        KU_KAFKA_OAUTH_JWKS=$ISSUER/jwks KU_KAFKA_OAUTH_ISSUER=$ISSUER \
        KU_KAFKA_CLASSPATH=$DIR/classes KU_KAFKA_OAUTH_HANDLER=ExtensionsLoggingValidator \
        bash "$HERE/../kafka/kafka.sh" "$@"
}

# A provider on HTTP_PORT [HTTPS_PORT], its pid in DIR/provider-HTTP_PORT.pid.
provider() {
    provider_start provider.mjs "$DIR/keys.json" "$ISSUER" "$DIR/provider-$1.log" \
        "$DIR/provider-$1.pid" "$@" ${2:+"$DIR/certs/server.pem"} \
        || die "the OAuth server did not start on $1"
}

stop() {
    local f
    for f in "$DIR"/provider-*.pid; do [ -e "$f" ] && provider_stop "$f" provider.mjs; done
    [ ! -d "$DIR/kafka" ] || kafka stop "$DIR/kafka"
}

start() {
    provider_fetch
    stop
    rm -rf "$DIR" && mkdir -p "$DIR/certs"
    provider_keys "$DIR/keys.json" ku-test
    # The token endpoint's TLS: a CA of its own (make-certs.sh's broker cert, SAN 127.0.0.1).
    bash "$HERE/../kafka/make-certs.sh" "$DIR/certs" >"$DIR/certs.log" 2>&1 || die "make-certs.sh failed"
    mv "$DIR/certs/broker.pem" "$DIR/certs/server.pem"
    provider "$PORT" "$((PORT + 1))"
    # Kafka's validator, printing the SASL extensions it is given.
    "${JAVAC:-javac}" -d "$DIR/classes" -cp "$(kafka_libs)/*" "$HERE/ExtensionsLoggingValidator.java" \
        || die "javac ExtensionsLoggingValidator.java failed"
    printf 'ku-secret-1\n' >"$DIR/client-secret"
    kafka start "$DIR/kafka" >"$DIR/kafka-start.log" 2>&1 || { cat "$DIR/kafka-start.log" >&2; die "broker start failed"; }
    kafka create-topics ku-oauth >/dev/null
    kafka listeners "$DIR/kafka" | sed -n 's/^KU_BROKER\(=\|_OAUTH=\|_OAUTH_SSL=\)/KU_OAUTH_BROKER\1/p;
                                          s/^KU_CERTS=/KU_OAUTH_KAFKA_CERTS=/p' \
        | sed 's/KU_OAUTH_BROKER_OAUTH/KU_OAUTH_BROKER_SASL/'
    cat <<EOT
KU_OAUTH_DIR=$DIR
KU_OAUTH_ISSUER=$ISSUER
KU_OAUTH_TOKEN_URL=$ISSUER/token
KU_OAUTH_TOKEN_URL_TLS=https://127.0.0.1:$((PORT + 1))/token
KU_OAUTH_LATE_PORT=$((PORT + 2))
KU_OAUTH_CA=$DIR/certs/ca.pem
KU_OAUTH_PORT=$PORT
KU_OAUTH_SECRET=ku-secret-1
KU_OAUTH_HTTP_PORT=$(( ${KU_TEST_PORT:-8529} + 72 ))
EOT
}

case ${1:-} in
    fetch) provider_fetch ;;
    start) start ;;
    up) [ $# = 2 ] || die "up PORT"; provider "$2" ;;
    down) [ $# = 2 ] || die "down PORT"; provider_stop "$DIR/provider-$2.pid" provider.mjs ;;
    stop) stop ;;
    *) sed -n '3,/^set -e/{/^set -e/d;s/^# \{0,1\}//p}' "$0" >&2; exit 2 ;;
esac
