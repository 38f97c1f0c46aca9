#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A real Confluent-compatible Schema Registry on 127.0.0.1 for the tests:
# Apicurio Registry (its application classes, io.apicurio:apicurio-registry-app,
# from Maven Central) built into a runnable Quarkus application by
# t/registry/pom.xml, in-memory (H2) storage. Its Confluent API is
# http://127.0.0.1:PORT/apis/ccompat/v7.
#
#   registry.sh build        the runnable jar -> $KU_REGISTRY_HOME/KEY, once: KEY
#                            is the Apicurio and Quarkus versions and a hash of
#                            pom.xml, settings.xml, extra.properties; a second
#                            run (any user) finds it there and skips the build
#   registry.sh start        start it, return when it answers
#   registry.sh stop         stop it (idempotent)
#   registry.sh url          print the ccompat base URL
# No basic auth: Apicurio 2.4.2 authenticates through OIDC only (its
# AppAuthenticationMechanism needs quarkus-oidc; Quarkus 2.x HTTP
# permissions are build-time, and with them its 401 challenge throws and
# the request hangs). README: Schema Registry says what is not tested.
#
# Environment: KU_REGISTRY_PORT (default KU_KAFKA_PORT+2600, or 21692),
# KU_REGISTRY_DIR (pid file and log, default /tmp/ku-registry-$USER),
# KU_REGISTRY_HOME (build cache, default /tmp/ku-registry-cache, world-readable
# so that root and kutest runs share it),
# KU_M2_REPO (Maven local repo), KU_REGISTRY_START_TIMEOUT (seconds, 300).
# Why Apicurio 2.4.2 and Quarkus 2.16.4: the newest release whose every
# runtime artifact is served by the Maven Central reached here (3.x lacks
# some of its modules there); see the comments in pom.xml.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
USER=${USER:-$(id -un)}
PORT=${KU_REGISTRY_PORT:-$(( ${KU_KAFKA_PORT:-19092} + 2600 ))}
DIR=${KU_REGISTRY_DIR:-/tmp/ku-registry-$USER}
version_of() { sed -n "s|.*<$1.version>\(.*\)</$1.version>.*|\1|p" "$HERE/pom.xml"; }
KEY=apicurio-$(version_of apicurio)-quarkus-$(version_of quarkus)-$(cat "$HERE/pom.xml" \
    "$HERE/settings.xml" "$HERE/extra.properties" | sha256sum | cut -c1-12)
HOME_DIR=${KU_REGISTRY_HOME:-/tmp/ku-registry-cache}
BUILT=$HOME_DIR/$KEY

die() { echo "registry.sh: $*" >&2; exit 1; }

build() {
    [ -f "$BUILT/.complete" ] && return 0
    command -v mvn >/dev/null || die "mvn not found (t/install-deps.sh installs maven)"
    echo "registry.sh: building Apicurio Registry ($KEY) from Maven Central, once" >&2
    # A private work directory, renamed into place at the end: two suites
    # building at once do not step on each other, and a half build is never used.
    mkdir -p "$HOME_DIR" && chmod 1777 "$HOME_DIR" 2>/dev/null || true
    local work; work=$(mktemp -d "$HOME_DIR/build-$KEY.XXXXXX")
    mkdir -p "$work/src/main/resources"
    cp "$HERE/pom.xml" "$work/pom.xml"
    local m2=(${KU_M2_REPO:+-Dmaven.repo.local="$KU_M2_REPO"})
    # The application's own configuration is inside its jar; ours is added to it.
    mvn -q -B -s "$HERE/settings.xml" -f "$work/pom.xml" "${m2[@]}" \
        dependency:copy-dependencies -DincludeArtifactIds=apicurio-registry-app \
        -DexcludeTransitive=true -DoutputDirectory="$work/app" >"$work/build.log" 2>&1 \
        || { tail -30 "$work/build.log" >&2; die "mvn (fetch) failed"; }
    unzip -p "$work"/app/apicurio-registry-app-*.jar application.properties \
        > "$work/src/main/resources/application.properties"
    cat "$HERE/extra.properties" >> "$work/src/main/resources/application.properties"
    mvn -q -B -s "$HERE/settings.xml" -f "$work/pom.xml" "${m2[@]}" package -DskipTests \
        >>"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; die "mvn (build) failed"; }
    mkdir -p "$work/out"
    mv "$work/target/lib" "$work/target/ku-apicurio-1-runner.jar" "$work/out/"
    touch "$work/out/.complete"
    chmod -R a+rX "$work/out"
    [ -f "$BUILT/.complete" ] || { rm -rf "$BUILT"; mv "$work/out" "$BUILT"; }
    rm -rf "$work"
}

stop() {
    [ -f "$DIR/pid" ] || return 0
    local pid; pid=$(cat "$DIR/pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$DIR/pid"
}

start() {
    build
    stop
    mkdir -p "$DIR"
    # Small pools and a quick JIT: it serves a handful of requests.
    java -Xmx384m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
        -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$PORT" \
        -Dquarkus.datasource.jdbc.min-size=1 -Dquarkus.datasource.jdbc.initial-size=1 \
        -Dquarkus.datasource.jdbc.max-size=4 \
        -jar "$BUILT/ku-apicurio-1-runner.jar" >"$DIR/registry.log" 2>&1 &
    echo $! > "$DIR/pid"
    local deadline=$(( $(date +%s) + ${KU_REGISTRY_START_TIMEOUT:-300} ))
    until grep -q 'Listening on' "$DIR/registry.log" 2>/dev/null; do
        kill -0 "$(cat "$DIR/pid")" 2>/dev/null || { tail -30 "$DIR/registry.log" >&2; die "it exited"; }
        [ "$(date +%s)" -lt "$deadline" ] || { stop; die "not up after ${KU_REGISTRY_START_TIMEOUT:-300} s"; }
        sleep 1
    done
}

case "${1:-}" in
    build) build ;;
    start) start ;;
    stop) stop ;;
    url) echo "http://127.0.0.1:$PORT/apis/ccompat/v7" ;;
    *) die "usage: registry.sh build|start|stop|url" ;;
esac
