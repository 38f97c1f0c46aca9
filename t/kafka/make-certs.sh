#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Throw-away TLS material for the test broker's secured listeners (kafka.sh start runs it).
#
#   make-certs.sh [DIR]      (default $KU_KAFKA_DIR/certs, i.e. /tmp/ku-kafka-$USER/certs)
#
# Writes, all PEM, keys unencrypted, EC P-256 (fast to make), valid 2 days:
#   ca.pem ca.key                 the test CA: the broker trusts it for client certificates,
#                                 clients pass it as ssl.ca.location
#   other-ca.pem other-ca.key     an unrelated CA ("untrusted broker certificate" tests)
#   broker.pem                    broker key + certificate (by ca), SAN IP:127.0.0.1 DNS:localhost;
#                                 Kafka reads it as ssl.keystore.type=PEM
#   badhost.pem                   the same, but SAN only DNS:wrong.example.invalid (hostname mismatch)
#   client.pem client.key         mTLS client certificate CN=ku-client, by ca
#   client-other.pem client-other.key   CN=ku-client-other, by other-ca (rejected by the MTLS listener)
set -euo pipefail

DIR=${1:-${KU_KAFKA_DIR:-/tmp/ku-kafka-${USER:-$(id -un)}}/certs}
mkdir -p "$DIR"
cd "$DIR"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }

ca() {  # NAME CN
    key "$1"
    openssl req -x509 -new -key "$1.key" -subj "/CN=$2" -days 2 -out "$1.pem" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}

leaf() {  # NAME CN ISSUER [SAN]
    key "$1"
    # basicConstraints given explicitly: 'req -x509' would otherwise add openssl.cnf's v3_ca.
    openssl req -new -key "$1.key" -subj "/CN=$2" -CA "$3.pem" -CAkey "$3.key" -days 2 \
        -addext basicConstraints=CA:FALSE ${4:+-addext "subjectAltName=$4"} -out "$1.pem"
}

ca ca ku-test-ca
ca other-ca ku-other-ca
leaf client ku-client ca
leaf client-other ku-client-other other-ca
leaf broker ku-broker ca IP:127.0.0.1,DNS:localhost
leaf badhost ku-badhost ca DNS:wrong.example.invalid
# Kafka's PEM keystore wants the (PKCS#8) key and the certificate in one file.
for b in broker badhost; do cat "$b.key" >>"$b.pem" && rm "$b.key"; done
# Test-only keys: the httpd children that load them may run as another user than this script.
chmod a+r client.key client-other.key
