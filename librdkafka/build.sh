#!/usr/bin/env bash
# Builds Debian 12's librdkafka (2.0.2, from its own source package) with
# the patches beside this script, into a private prefix that
# `./configure --with-delegation-tokens=PREFIX` links the module against
# (README: Delegation tokens). The system librdkafka is left alone.
#
#   0001-sasl-scram-tokenauth.patch   the property sasl.scram.tokenauth:
#       the SCRAM client-first message carries the extension tokenauth=true,
#       so sasl.username/sasl.password can be a delegation token's ID and
#       HMAC (KIP-48).
#   0002-sasl-scram-client-final-nonce.patch   the client-final message
#       sends the server nonce once (upstream fix of 2.6.1, PR #4895):
#       Kafka 4 brokers refuse the doubled client nonce of 2.0.2.
#
#   librdkafka/build.sh [PREFIX]      default /opt/librdkafka-tokens
# KU_RDKAFKA_SRC: an unpacked librdkafka source tree to use instead of
# `apt-get source librdkafka` (which needs a deb-src entry for bookworm,
# t/install-deps.sh adds one). KU_RDKAFKA_BUILD: where to unpack and build
# (default: a temporary directory, removed afterwards). Needs gcc, make,
# libssl-dev, zlib1g-dev and libzstd-dev (t/install-deps.sh).
#
# Only what the module uses is built: the C library (no C++ library,
# examples or tests), with TLS and SCRAM (OpenSSL), zlib, zstd and the
# builtin lz4/snappy; no GSSAPI (Cyrus SASL) and no OIDC (curl).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PREFIX=${1:-/opt/librdkafka-tokens}
BUILD=${KU_RDKAFKA_BUILD:-}
if [ -z "$BUILD" ]; then
    BUILD=$(mktemp -d)
    trap 'rm -rf "$BUILD"' EXIT
fi
start=$(date +%s)

if [ -n "${KU_RDKAFKA_SRC:-}" ]; then
    src=$KU_RDKAFKA_SRC
else
    (cd "$BUILD" && apt-get source -qq librdkafka >/dev/null 2>&1) \
        || { echo "librdkafka/build.sh: apt-get source librdkafka failed:" \
                  "is there a deb-src entry for bookworm?" >&2; exit 1; }
    src=$(ls -d "$BUILD"/librdkafka-*/ | head -1)
fi
version=$(sed -n 's/^#define RD_KAFKA_VERSION *0x\(..\)\(..\)\(..\).*/\1 \2 \3/p' \
          "$src/src/rdkafka.h" | { read -r a b c; echo $((16#$a)).$((16#$b)).$((16#$c)); })
[ "$version" = 2.0.2 ] || echo "librdkafka/build.sh: the patches are for 2.0.2, not $version" >&2

cd "$src"
for patch in "$HERE"/0*.patch; do
    if patch -p1 -N --dry-run -s < "$patch" >/dev/null 2>&1; then
        patch -p1 -N -s < "$patch"
    elif ! patch -p1 -R --dry-run -s < "$patch" >/dev/null 2>&1; then
        echo "librdkafka/build.sh: $(basename "$patch") does not apply" >&2; exit 1
    fi
done
./configure --prefix="$PREFIX" --enable-ssl --disable-gssapi --disable-curl \
    --disable-lz4-ext --disable-syslog >ku-configure.log 2>&1 \
    || { tail -30 ku-configure.log >&2; exit 1; }
grep -q '^#define WITH_SASL_SCRAM 1' config.h \
    || { echo "librdkafka/build.sh: SCRAM was not enabled (libssl-dev?)" >&2; exit 1; }
make -s -C src -j"$(nproc)" >ku-make.log 2>&1 || { tail -30 ku-make.log >&2; exit 1; }
make -s -C src install >>ku-make.log 2>&1 || { tail -30 ku-make.log >&2; exit 1; }
echo "librdkafka $version with $(cd "$HERE" && echo 0*.patch) in $PREFIX" \
     "($(( $(date +%s) - start )) s)"
