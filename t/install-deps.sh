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
    libluajit2-5.1-dev lua-cjson \
    libprotobuf-dev libprotoc-dev protobuf-compiler \
    python3-confluent-kafka python3-protobuf python3-requests \
    python3 python3-venv python3-h2 unzip debhelper lintian gdb >/dev/null
# gdb: t/tools/core-backtraces.sh prints the stack of a child that dumped
# core, so that a crash CI met can be read from its output.
# KafkaUpstreamMessageLua: OpenResty's LuaJIT (libluajit2-5.1-dev, not
# libluajit-5.1-dev, which conflicts with the libluajit2-5.1-2 the side by
# side benchmark's nginx Lua module needs) and lua-cjson, linked.
# Protobuf subjects: libprotobuf-dev and libprotoc-dev (the .proto parser);
# protobuf-compiler's protoc decodes the records in t/61_protobuf.t, and so
# does confluent-kafka's ProtobufDeserializer (python3-confluent-kafka,
# python3-protobuf; its registry client imports requests).
# The status page's tests: t/51_status_html.t drives Debian's Chromium with
# Selenium, t/52_prometheus.t runs promtool and a Prometheus of its own on
# loopback. The package's own service (port 9090, started at boot) is not
# wanted: disabled and stopped, with systemd or without.
apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends \
    chromium chromium-driver python3-selenium prometheus >/dev/null
if [ -d /run/systemd/system ]; then
    systemctl disable --now prometheus.service >/dev/null 2>&1 || true
elif [ -x /etc/init.d/prometheus ]; then
    update-rc.d prometheus disable >/dev/null 2>&1 || true
    /etc/init.d/prometheus stop >/dev/null 2>&1 || true
fi
# librdkafka/build.sh: libcurl (OIDC), python3 and npm (npm pack fetches the
# pinned source); a Node.js that bundles npm (not Debian's) conflicts with
# Debian's npm package, so only where there is no npm. t/package.sh:
# debhelper (dh_apache2 is in apache2-dev), lintian.
command -v npm >/dev/null \
    || apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends nodejs npm >/dev/null
