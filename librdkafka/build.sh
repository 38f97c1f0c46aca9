#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the pinned current librdkafka (2.15.1) with the patches beside this
# script into a private prefix, for `./configure --with-librdkafka=PREFIX`
# (README: librdkafka). The system librdkafka is left alone.
#
#   0001-sasl-scram-tokenauth.patch   the property sasl.scram.tokenauth:
#       the SCRAM client-first message carries the extension tokenauth=true,
#       so sasl.username/sasl.password can be a delegation token's ID and
#       HMAC (KIP-48). No released librdkafka has it.
#   0002-metadata-update-leader-none.patch   a partition told "no leader"
#       by a metadata update is no longer left without one for good (its
#       messages timed out after a broker restart; librdkafka issue #5430).
#   0003-metadata-no-brokers.patch   a Metadata response naming no broker
#       (all fenced) no longer makes the client drop every broker it knows
#       and stay without any (librdkafka issue #5301).
#
#   librdkafka/build.sh [SOURCE [PREFIX]]   builds (or keeps) and prints
#                                           "prefix: PREFIX" last
#   librdkafka/build.sh --prefix            prints the default PREFIX only
#
# SOURCE: librdkafka's release tarball (librdkafka-2.15.1.tar.gz), an
# unpacked source tree, or the npm package @confluentinc/kafka-javascript
# (1.10.1 ships librdkafka 2.15.1's full source under deps/librdkafka). By
# default that npm package, fetched with `npm pack` into $KU_RDKAFKA_CACHE.
# PREFIX: by default $KU_RDKAFKA_CACHE/2.15.1-<hash of this script and the
# patch>, so a second run with the same script and patch keeps the build
# and a changed patch builds anew. KU_RDKAFKA_CACHE: /tmp/ku-librdkafka.
#
# Built: the C library (no C++ library, examples or tests), with TLS and
# SCRAM (OpenSSL), GSSAPI (Cyrus SASL), OIDC (libcurl:
# sasl.oauthbearer.method=oidc), zlib, zstd and the builtin lz4 and snappy;
# on 2 cores at most. Needs gcc, make, python3, libssl-dev, libsasl2-dev,
# libcurl4-openssl-dev, zlib1g-dev, libzstd-dev, npm (t/install-deps.sh).
set -euo pipefail

VERSION=2.15.1
NPM_PACKAGE=@confluentinc/kafka-javascript@1.10.1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${KU_RDKAFKA_CACHE:-/tmp/ku-librdkafka}
stamp=$(cat "$HERE/build.sh" "$HERE"/0*.patch | sha256sum | cut -c1-16)
DEFAULT_PREFIX=$CACHE/$VERSION-$stamp
if [ "${1:-}" = --prefix ]; then echo "$DEFAULT_PREFIX"; exit 0; fi
SOURCE=${1:-}
PREFIX=${2:-$DEFAULT_PREFIX}

die() { echo "librdkafka/build.sh: $*" >&2; exit 1; }

if [ "$(cat "$PREFIX/.ku-stamp" 2>/dev/null)" = "$stamp" ]; then
    echo "librdkafka $VERSION: kept $PREFIX (same script and patch)"
    echo "prefix: $PREFIX"
    exit 0
fi
start=$(date +%s)
mkdir -p "$CACHE"
BUILD=$(mktemp -d "$CACHE/build.XXXXXX")
trap 'rm -rf "$BUILD"' EXIT

# --- the source ----------------------------------------------------------------
if [ -z "$SOURCE" ]; then
    SOURCE=$CACHE/${NPM_PACKAGE//[@\/]/_}.tgz
    if [ ! -s "$SOURCE" ]; then
        (cd "$BUILD" && npm pack --silent "$NPM_PACKAGE" >/dev/null) \
            || die "npm pack $NPM_PACKAGE failed"
        mv "$BUILD"/*.tgz "$SOURCE.tmp" && mv "$SOURCE.tmp" "$SOURCE"
    fi
fi
if [ -d "$SOURCE" ]; then
    cp -a "$SOURCE/." "$BUILD/src"
else
    mkdir "$BUILD/unpacked" && tar -xzf "$SOURCE" -C "$BUILD/unpacked"
    # A release tarball's top directory, or the npm package's copy.
    top=$(dirname "$(find "$BUILD/unpacked" -maxdepth 5 -path '*/src/rdkafka.h' | head -1)")
    [ "$top" != . ] || die "no librdkafka source (src/rdkafka.h) in $SOURCE"
    mv "$(dirname "$top")" "$BUILD/src"
fi
src=$BUILD/src
version=$(sed -n 's/^#define RD_KAFKA_VERSION *0x\(..\)\(..\)\(..\).*/\1 \2 \3/p' \
          "$src/src/rdkafka.h" | { read -r a b c; echo $((16#$a)).$((16#$b)).$((16#$c)); })
[ "$version" = "$VERSION" ] || die "$SOURCE is librdkafka $version, the patch is for $VERSION"

# --- patch, configure, make ------------------------------------------------------
cd "$src"
for patch in "$HERE"/0*.patch; do
    patch -p1 -N -s < "$patch" || die "$(basename "$patch") does not apply"
done
./configure --prefix="$PREFIX" --enable-ssl --enable-gssapi --enable-curl \
    --enable-zstd --enable-zlib --disable-lz4-ext --disable-syslog \
    >ku-configure.log 2>&1 || { tail -30 ku-configure.log >&2; die "configure failed"; }
for feature in WITH_SASL_SCRAM WITH_SASL_CYRUS WITH_SSL WITH_CURL WITH_ZSTD WITH_ZLIB WITH_SNAPPY; do
    grep -q "^#define $feature 1" config.h || die "$feature is not enabled (t/install-deps.sh?)"
done
make -s -C src -j2 >ku-make.log 2>&1 || { tail -30 ku-make.log >&2; die "make failed"; }
rm -rf "$PREFIX"
make -s -C src install >>ku-make.log 2>&1 || { tail -30 ku-make.log >&2; die "make install failed"; }
chmod -R a+rX "$PREFIX"
echo "$stamp" >"$PREFIX/.ku-stamp"
echo "librdkafka $version with $(cd "$HERE" && echo 0*.patch) built in" \
     "$(( $(date +%s) - start )) s"
echo "prefix: $PREFIX"
