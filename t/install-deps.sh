#!/usr/bin/env bash
# Installs what building and testing mod_kafka_upstream needs on Debian 12
# (run as root; idempotent).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
# Source packages, for librdkafka/build.sh (`apt-get source librdkafka`, the
# delegation-token build): a deb-src twin of every Debian deb entry.
src=/etc/apt/sources.list.d/ku-deb-src
if [ ! -f "$src.sources" ] && [ ! -f "$src.list" ]; then
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > "$src.tmp"
        mv "$src.tmp" "$src.sources"
    elif [ -f /etc/apt/sources.list ]; then
        sed -n 's/^deb \(.*debian.*\)$/deb-src \1/p' /etc/apt/sources.list > "$src.tmp"
        mv "$src.tmp" "$src.list"
    fi
fi
apt-get -o DPkg::Lock::Timeout=300 update -qq
apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends \
    build-essential autoconf automake libtool pkg-config \
    apache2 apache2-dev librdkafka-dev libjson-c-dev libssl-dev libsasl2-dev \
    libapache2-mod-perl2 libapache2-mod-perl2-dev libwww-perl \
    kcat curl nghttp2-client wrk \
    default-jdk-headless maven clang libclang-rt-14-dev \
    dpkg-dev zlib1g-dev libzstd-dev \
    libavro-dev libcurl4-openssl-dev python3-venv unzip >/dev/null
