#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Kafka broker t/31_identity.t produces to as its callers (README "Identity
# passthrough"): Kafka 4.1.1, StandardAuthorizer, no ACL means no access.
#
#   identity-broker.sh start   fresh broker with its users, topic and ACLs
#   identity-broker.sh stop    (idempotent)
#
# Ports, P = KU_IDENTITY_KAFKA_PORT (default KU_KAFKA_PORT+3100):
#   P    PLAINTEXT       the admin: ANONYMOUS is a super user (kcat, topic and ACL tools)
#   P+1  CONTROLLER
#   P+2  SASL_PLAINTEXT  PLAIN alice/alice-secret, bob/bob-secret, carol/carol-secret;
#                        SCRAM-SHA-256 and -512 alice/alice-scram, bob/bob-scram
#   P+3  OAUTH           only with KU_OAUTH_ISSUER (t/oauth/servers.sh): JWTs of that
#                        server, checked against its JWKS; the principal is the token's sub
#                        PLAIN pool01/pool-secret-01 ... pool40/pool-secret-40 (the pool's callers)
# ACLs: User:alice, User:ku-client and pool01..pool40 may WRITE and DESCRIBE topic
# ku-orders; carol may only DESCRIBE it; bob and ku-short nothing.
# KU_IDENTITY_KAFKA_DIR: data (default /tmp/ku-kafka-identity-$USER).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
USER=${USER:-$(id -un)}
P=${KU_IDENTITY_KAFKA_PORT:-$(( ${KU_KAFKA_PORT:-19092} + 3100 ))}

export KU_KAFKA_LISTENERS=sasl KU_KAFKA_PORT=$P KU_KAFKA_CONTROLLER_PORT=$((P + 1))
export KU_KAFKA_SASL_PORT=$((P + 2)) KU_KAFKA_OAUTH_PORT=$((P + 3))
export KU_KAFKA_DIR=${KU_IDENTITY_KAFKA_DIR:-/tmp/ku-kafka-identity-$USER}
if [ -n "${KU_OAUTH_ISSUER:-}" ]; then
    export KU_KAFKA_OAUTH_JWKS=$KU_OAUTH_ISSUER/jwks KU_KAFKA_OAUTH_ISSUER=$KU_OAUTH_ISSUER
fi
export KU_KAFKA_SCRAM_USERS="SCRAM-SHA-256=[name=alice,password=alice-scram]
SCRAM-SHA-512=[name=alice,password=alice-scram]
SCRAM-SHA-256=[name=bob,password=bob-scram]
SCRAM-SHA-512=[name=bob,password=bob-scram]"
POOL_USERS=$(seq -f 'pool%02g' 40)
export KU_KAFKA_PROPERTIES="authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:ANONYMOUS
allow.everyone.if.no.acl.found=false
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_alice=\"alice-secret\" user_bob=\"bob-secret\" user_carol=\"carol-secret\" $(for u in $POOL_USERS; do printf 'user_%s=\"pool-secret-%s\" ' "$u" "${u#pool}"; done);"
# shellcheck source=t/kafka/kafka.sh
source "$HERE/kafka.sh"

acls() {
    kjava "" org.apache.kafka.tools.AclCommand --bootstrap-server "127.0.0.1:$P" --add \
        --allow-principal User:alice --allow-principal User:ku-client \
        $(for u in $POOL_USERS; do echo --allow-principal "User:$u"; done) \
        --operation Write --operation Describe --topic ku-orders >"$KU_KAFKA_DIR/acls.log" 2>&1 \
        || { cat "$KU_KAFKA_DIR/acls.log" >&2; die "AclCommand failed"; }
    kjava "" org.apache.kafka.tools.AclCommand --bootstrap-server "127.0.0.1:$P" --add \
        --allow-principal User:carol --operation Describe --topic ku-orders \
        >>"$KU_KAFKA_DIR/acls.log" 2>&1 \
        || { cat "$KU_KAFKA_DIR/acls.log" >&2; die "AclCommand failed"; }
}

case ${1:-} in
    start) start "$KU_KAFKA_DIR"; topics create ku-orders ku-other; acls ;;
    stop) stop "$KU_KAFKA_DIR" ;;
    *) sed -n '3,/^set -e/{/^set -e/d;s/^# \{0,1\}//p}' "$0" >&2; exit 2 ;;
esac
