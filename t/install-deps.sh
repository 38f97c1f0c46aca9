#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what building and testing mod_kafka_upstream needs on Debian 12
# (run as root; idempotent).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=300 update -qq
apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends \
    build-essential autoconf automake libtool pkg-config \
    apache2 apache2-dev librdkafka-dev libjson-c-dev libssl-dev libsasl2-dev \
    libapache2-mod-perl2 libapache2-mod-perl2-dev libwww-perl \
    kcat curl nghttp2-client wrk \
    default-jdk-headless maven clang libclang-rt-14-dev \
    dpkg-dev zlib1g-dev libzstd-dev \
    libavro-dev libcurl4-openssl-dev libpcre2-dev json-schema-test-suite \
    libprotobuf-dev libprotoc-dev protobuf-compiler \
    python3-confluent-kafka python3-protobuf python3-requests \
    python3 python3-venv python3-h2 unzip debhelper lintian >/dev/null
# Protobuf subjects: libprotobuf-dev and libprotoc-dev (the .proto parser);
# protobuf-compiler's protoc decodes the records in t/61_protobuf.t, and so
# does confluent-kafka's ProtobufDeserializer (python3-confluent-kafka,
# python3-protobuf; its registry client imports requests).
# librdkafka/build.sh: libcurl (OIDC), python3 and npm (npm pack fetches the
# pinned source); a Node.js that bundles npm (not Debian's) conflicts with
# Debian's npm package, so only where there is no npm. t/package.sh:
# debhelper (dh_apache2 is in apache2-dev), lintian.
command -v npm >/dev/null \
    || apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends nodejs npm >/dev/null
