#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A real single-node Apache Kafka broker (KRaft, broker+controller in one JVM) on 127.0.0.1
# for the test suite, fetched from Maven Central (t/kafka/pom.xml), no distribution tarball.
#
#   kafka.sh fetch                          jars -> $KU_KAFKA_HOME[/VERSION]/libs (once; idempotent)
#   kafka.sh start [DIR]                    fresh broker in DIR, returns when it serves metadata
#   kafka.sh stop [DIR]                     stop it (idempotent)
#   kafka.sh restart [DIR]                  stop it and start it again on the same data (same
#                                           cluster id, topics, records and TLS material)
#   kafka.sh kill [DIR]                     SIGKILL it: a crash, no clean shutdown (idempotent)
#   kafka.sh create-topics NAME[:PARTS]...  create topics (RF 1) and wait for their leaders
#   kafka.sh delete-topics NAME...          delete topics (missing ones are fine)
#   kafka.sh env                            print the bootstrap address (PLAINTEXT)
#   kafka.sh listeners [DIR]                print KU_BROKER*=ADDR and KU_CERTS=DIR lines, for eval
#   kafka.sh create-token                   a delegation token owned by bob (created over
#                                           SCRAM-SHA-256 by kafka-tools' DelegationTokenCommand):
#                                           prints "TOKENID HMAC"
#   kafka.sh expire-token HMAC              expire that token now (the broker forgets it)
#
# Listeners, all on 127.0.0.1; P = KU_KAFKA_PORT (19092), each port can be set on its own:
#   P    PLAINTEXT       KU_BROKER           also the inter-broker listener
#   P+1  CONTROLLER                          KU_KAFKA_CONTROLLER_PORT
#   P+2  SSL             KU_BROKER_SSL       KU_KAFKA_SSL_PORT
#   P+3  MTLS            KU_BROKER_MTLS      KU_KAFKA_MTLS_PORT      SSL + client certificate required
#   P+4  SASL_PLAINTEXT  KU_BROKER_SASL      KU_KAFKA_SASL_PORT
#   P+5  SASL_SSL        KU_BROKER_SASL_SSL  KU_KAFKA_SASL_SSL_PORT
#   P+6  BADHOST         KU_BROKER_BADHOST   KU_KAFKA_BADHOST_PORT   SSL, cert for wrong.example.invalid
# Only with KU_KAFKA_OAUTH_JWKS=URL (t/oauth/servers.sh), OAUTHBEARER validated by Kafka's
# OAuthBearerValidatorCallbackHandler against that JWKS, KU_KAFKA_OAUTH_ISSUER and the
# audience KU_KAFKA_OAUTH_AUDIENCE (kafka); sessions end with the token (KIP-368 re-auth):
#   P+7  OAUTH           KU_BROKER_OAUTH     KU_KAFKA_OAUTH_PORT     SASL_PLAINTEXT
#   P+8  OAUTH_SSL       KU_BROKER_OAUTH_SSL KU_KAFKA_OAUTH_SSL_PORT SASL_SSL
# TLS material: make-certs.sh, in DIR/certs (= KU_CERTS); clients trust ca.pem, mTLS clients
# use client.pem + client.key. SASL users (there is no authorizer: any user may produce):
#   PLAIN alice/alice-secret, SCRAM-SHA-256 bob/bob-secret-256, SCRAM-SHA-512 carol/carol-secret-512
# Delegation tokens (KIP-48) are on (delegation.token.secret.key); a token authenticates
# over SCRAM-SHA-256/512 with its ID as user, its HMAC as password and the SCRAM extension
# tokenauth=true, which only a librdkafka patched by librdkafka/build.sh sends.
# SCRAM needs librdkafka >= 2.6.1 against Kafka 4.x (older ones send a wrong nonce,
# librdkafka PR #4895): Debian 12's 2.0.2 always gets "invalid credentials" there, but
# works against Kafka 3.9, which accepts that nonce: KU_KAFKA_VERSION=3.9.1.
#
# Environment: KU_KAFKA_VERSION (Kafka release, default the kafka.version in pom.xml,
# 4.1.1; tested: 4.1.1, 3.9.1; 3.9.0 or later, for 'format --standalone'),
# KU_KAFKA_HOME (jar cache, default ~/.cache/mod_kafka_upstream/kafka; the default
# release's jars are in it, another release's in KU_KAFKA_HOME/VERSION),
# KU_KAFKA_DIR (data dir, default /tmp/ku-kafka-$USER), the ports above,
# KU_M2_REPO (Maven local repo, default ~/.m2/repository),
# KU_KAFKA_START_TIMEOUT (seconds, 60), KU_KAFKA_JAVA_OPTS (extra broker JVM options),
# KU_KAFKA_PROPERTIES (extra server.properties lines, read by 'start' and kept by 'restart').
# KU_KAFKA_LISTENERS=sasl (PLAINTEXT, CONTROLLER, SASL_PLAINTEXT, OAUTH only), KU_KAFKA_SCRAM_USERS
# (the SCRAM users 'start' makes instead of bob and carol, one -S value a line).
# KU_KAFKA_CLASSPATH (more jars or class dirs for the broker), KU_KAFKA_OAUTH_* (above).
# A restart waits out the old incarnation's session (broker.session.timeout.ms, 9 s by
# default) before the broker is unfenced: brokers restarted on purpose may want
# KU_KAFKA_PROPERTIES=broker.session.timeout.ms=2000.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
USER=${USER:-$(id -un)}

die() { echo "kafka.sh: $*" >&2; exit 1; }

# One release per cache dir (jars, CDS archive, compiled TopicAdmin). The default release
# keeps the cache's top level, as before there were others.
DEFAULT_VERSION=$(sed -n 's|^ *<kafka.version>\(.*\)</kafka.version>$|\1|p' "$HERE/pom.xml")
VERSION=${KU_KAFKA_VERSION:-$DEFAULT_VERSION}
[[ $VERSION =~ ^[0-9]+(\.[0-9]+)+$ ]] || die "KU_KAFKA_VERSION '$VERSION' is not a release number"
CACHE=${KU_KAFKA_HOME:-$HOME/.cache/mod_kafka_upstream/kafka}
[ "$VERSION" = "$DEFAULT_VERSION" ] || CACHE=$CACHE/$VERSION
LIBS=$CACHE/libs
# Named for what a start loads: a new name when that changes (-tls: the TLS/SASL listeners)
# makes the next 'fetch' remake it, and the old one is removed then.
JSA=$CACHE/kafka-tls.jsa
PORT=${KU_KAFKA_PORT:-19092}
CPORT=${KU_KAFKA_CONTROLLER_PORT:-$((PORT + 1))}
SSL_PORT=${KU_KAFKA_SSL_PORT:-$((PORT + 2))}
MTLS_PORT=${KU_KAFKA_MTLS_PORT:-$((PORT + 3))}
SASL_PORT=${KU_KAFKA_SASL_PORT:-$((PORT + 4))}
SASL_SSL_PORT=${KU_KAFKA_SASL_SSL_PORT:-$((PORT + 5))}
BADHOST_PORT=${KU_KAFKA_BADHOST_PORT:-$((PORT + 6))}
# KU_KAFKA_LISTENERS=sasl: PLAINTEXT, CONTROLLER, SASL_PLAINTEXT and (with
# KU_KAFKA_OAUTH_JWKS) OAUTH only, e.g. t/kafka/identity-broker.sh's.
SASL_ONLY=$([ "${KU_KAFKA_LISTENERS:-}" = sasl ] && echo 1 || true)
if [ -n "$SASL_ONLY" ]; then PORTS=("$PORT" "$CPORT" "$SASL_PORT")
else PORTS=("$PORT" "$CPORT" "$SSL_PORT" "$MTLS_PORT" "$SASL_PORT" "$SASL_SSL_PORT" "$BADHOST_PORT"); fi
OAUTH_JWKS=${KU_KAFKA_OAUTH_JWKS:-}
OAUTH_PORT=${KU_KAFKA_OAUTH_PORT:-$((PORT + 7))}
OAUTH_SSL_PORT=${KU_KAFKA_OAUTH_SSL_PORT:-$((PORT + 8))}
if [ -n "$OAUTH_JWKS" ] && [ -n "$SASL_ONLY" ]; then PORTS+=("$OAUTH_PORT")
elif [ -n "$OAUTH_JWKS" ]; then PORTS+=("$OAUTH_PORT" "$OAUTH_SSL_PORT"); fi
BOOTSTRAP=127.0.0.1:$PORT
JAVA=${JAVA:-java}
DUMP=()

# pom.xml for VERSION: for the default release, pom.xml itself.
pom() {
    sed "s|<kafka.version>.*</kafka.version>|<kafka.version>$VERSION</kafka.version>|" "$HERE/pom.xml"
}

fetch() {
    # Complete = the marker holds the pom the jars came from; a changed pom fetches again.
    if [ -f "$LIBS/.complete" ] && pom | cmp -s - "$LIBS/.complete"; then
        cds_ok "$JSA" || cds_archive   # none yet (ports were busy) or stale (JDK upgraded)
        return 0
    fi
    command -v mvn >/dev/null || die "mvn not found (apt-get install maven)"
    mkdir -p "$CACHE"
    # Run Maven on a copy in the cache: the work tree may not be writable by this user.
    pom >"$CACHE/pom.xml"
    rm -rf "$LIBS.tmp" "$JSA"
    mvn -q -B -f "$CACHE/pom.xml" ${KU_M2_REPO:+-Dmaven.repo.local="$KU_M2_REPO"} \
        dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIBS.tmp" \
        >"$CACHE/fetch.log" 2>&1 || { cat "$CACHE/fetch.log" >&2; die "mvn failed"; }
    cp "$CACHE/pom.xml" "$LIBS.tmp/.complete"
    rm -rf "$LIBS" && mv "$LIBS.tmp" "$LIBS"   # swap in whole, so a killed fetch leaves no half cache
    cds_archive
}

# Start a throw-away broker once and dump the classes it loaded into an AppCDS archive
# (JDK 17 -XX:ArchiveClassesAtExit): every later start maps them, ~1 s faster.
# Optional: without the archive (busy ports, other JDK) starts are just slower.
cds_archive() {
    local dir=$CACHE/warmup pid rc=0 p
    rm -f "$CACHE"/kafka*.jsa "$JSA.tmp"
    if p=$(busy_port); then
        echo "kafka.sh: port $p busy, not making the CDS archive now" >&2; return 0
    fi
    DUMP=(-XX:ArchiveClassesAtExit="$JSA.tmp" -Xlog:cds=off)
    start "$dir"
    DUMP=()
    pid=$(cat "$dir/kafka.pid")
    stop "$dir"
    wait "$pid" || rc=$?   # our child: 143 = exited on SIGTERM (dump written), 137 = killed
    if [ "$rc" = 143 ] && cds_ok "$JSA.tmp"; then mv "$JSA.tmp" "$JSA"; fi
    rm -rf "$dir" "$JSA.tmp"
}

# The archive maps with this JVM and these jars (a damaged archive crashes the JVM with
# SIGBUS, a stale one is ignored with a warning: check before use).
cds_ok() {
    [ -f "$1" ] && ("$JAVA" -Xshare:on -XX:SharedArchiveFile="$1" -XX:ErrorFile=/dev/null \
        -XX:-CreateCoredumpOnCrash -cp "$LIBS/*" -version >/dev/null 2>&1) 2>/dev/null
}

need_libs() {
    [ -f "$LIBS/.complete" ] ||
        die "no Kafka $VERSION jars in $LIBS: run '${KU_KAFKA_VERSION:+KU_KAFKA_VERSION=$VERSION }$0 fetch' first"
}

# Class data sharing archive made by cds_archive, if there is one (it matches "$LIBS/*" as
# the classpath prefix, so the tool JVMs below can map it too). Quiet: if the JDK changed
# since, it is just not used; 'fetch' remakes it.
cds_opt() { CDS=(); [ ! -f "$JSA" ] || CDS=(-XX:SharedArchiveFile="$JSA" '-Xlog:cds=off,cds+dynamic=off'); }

# Short-lived tool JVMs (format, TopicAdmin): C1 only, serial GC and the CDS archive take
# storage format from 1.1 s to 0.5 s. $1 is appended to the classpath.
kjava() {
    local cp=$1; shift
    cds_opt
    "$JAVA" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC "${CDS[@]}" -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$HERE/log4j2.properties" -Dku.log.level=WARN \
        -cp "$LIBS/*$cp" "$@"
}

# Those of our ports that something listens on (any address; Java's show in tcp6), one a
# line. Read from /proc, not by connecting: a connect to a closed port inside
# ip_local_port_range (32768-60999) can get that very port as its source and connect to
# itself, and then the broker fails to bind it.
open_ports() {
    cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v ports="${PORTS[*]}" '
        BEGIN { n = split(ports, p, " "); for (i = 1; i <= n; i++) hex[i] = sprintf(":%04X", p[i]) }
        $4 == "0A" { open[substr($2, length($2) - 4)] = 1 }
        END { for (i = 1; i <= n; i++) if (hex[i] in open) print p[i] }'
}
busy_port() { local p; p=$(open_ports); [ -n "$p" ] && echo "${p%%$'\n'*}"; }

# Ready = the broker answers a metadata request and lists itself (it is registered and
# unfenced), which is what a producer needs. kcat if there is one, else the open ports.
broker_ready() {
    # The port checks first: kcat on a closed port waits out librdkafka's reconnect backoff.
    # All the listeners open together; check each anyway, the tests use them all.
    [ "$(open_ports | wc -l)" = "${#PORTS[@]}" ] || return 1
    ! command -v kcat >/dev/null || kcat -L -b "$BOOTSTRAP" -m 2 2>/dev/null | grep -q "broker 1 at"
}

# PID is a running broker of DIR: checked on its command line, so a stale kafka.pid whose
# number was reused is never killed, and a zombie counts as gone (a broker whose kafka.sh
# has exited is reparented to pid 1, which in some sandboxes reaps it only seconds later).
is_broker() { tr '\0' '\n' 2>/dev/null <"/proc/$1/cmdline" | grep -qxF "$2/server.properties"; }
pid_alive() { [ -f "$1/kafka.pid" ] && is_broker "$(cat "$1/kafka.pid")" "$1"; }
data_dir() { realpath -m "${1:-${KU_KAFKA_DIR:-/tmp/ku-kafka-$USER}}"; }

stop() {
    local dir pid
    dir=$(data_dir "${1:-}")
    pid_alive "$dir" || { rm -f "$dir/kafka.pid"; return 0; }
    pid=$(cat "$dir/kafka.pid")
    kill -TERM "$pid"
    for _ in $(seq 200); do is_broker "$pid" "$dir" || break; sleep 0.05; done  # 10 s to shut down cleanly
    ! is_broker "$pid" "$dir" || kill -KILL "$pid"
    rm -f "$dir/kafka.pid"
    ports_closed
}

# Once the JVM's main thread is gone its other threads may still hold the listening
# sockets for a moment: a 'restart' right after must not find them busy.
ports_closed() { for _ in $(seq 100); do busy_port >/dev/null || return 0; sleep 0.05; done; }

# A crash: SIGKILL, no controlled shutdown; the next (re)start recovers the logs.
kill_broker() {
    local dir pid
    dir=$(data_dir "${1:-}")
    pid_alive "$dir" || { rm -f "$dir/kafka.pid"; return 0; }
    pid=$(cat "$dir/kafka.pid")
    kill -KILL "$pid"
    for _ in $(seq 200); do is_broker "$pid" "$dir" || break; sleep 0.05; done
    rm -f "$dir/kafka.pid"
    ports_closed
}

# Stop (if running) and start again on the same data: what 'start' wrote and formatted is
# kept, so the cluster id, the topics and their records survive.
restart() {
    local dir
    dir=$(data_dir "${1:-}")
    need_libs
    [ -f "$dir/server.properties" ] && [ -f "$dir/data/meta.properties" ] ||
        die "$dir holds no broker made by 'kafka.sh start' to restart"
    stop "$dir"
    launch "$dir"
}

start() {
    local dir id l p certs
    local plain='org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";'
    local scram='org.apache.kafka.common.security.scram.ScramLoginModule required;'
    dir=$(data_dir "${1:-}")
    need_libs
    stop "$dir"
    # Fresh state every start; only wipe a dir that is empty or was made by us.
    if [ -d "$dir" ] && [ -n "$(ls -A "$dir")" ] && [ ! -f "$dir/server.properties" ]; then
        die "$dir is not empty and not a kafka.sh data dir; refusing to wipe it"
    fi
    rm -rf "$dir" && mkdir -p "$dir"
    if p=$(busy_port); then
        die "127.0.0.1:$p is already in use (another broker? KU_KAFKA_PORT moves all ${#PORTS[@]} ports)"
    fi
    # Fresh TLS material, made while the storage format below runs (which does not read it).
    "$HERE/make-certs.sh" "$dir/certs" >"$dir/certs.log" 2>&1 &
    certs=$!

    if [ -n "$SASL_ONLY" ]; then
        l="PLAINTEXT://127.0.0.1:$PORT,SASL_PLAINTEXT://127.0.0.1:$SASL_PORT"
        [ -z "$OAUTH_JWKS" ] || l+=",OAUTH://127.0.0.1:$OAUTH_PORT"
    else
        l="PLAINTEXT://127.0.0.1:$PORT,SSL://127.0.0.1:$SSL_PORT,MTLS://127.0.0.1:$MTLS_PORT"
        l+=",SASL_PLAINTEXT://127.0.0.1:$SASL_PORT,SASL_SSL://127.0.0.1:$SASL_SSL_PORT"
        l+=",BADHOST://127.0.0.1:$BADHOST_PORT"
        [ -z "$OAUTH_JWKS" ] || l+=",OAUTH://127.0.0.1:$OAUTH_PORT,OAUTH_SSL://127.0.0.1:$OAUTH_SSL_PORT"
    fi
    cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
listeners=$l,CONTROLLER://127.0.0.1:$CPORT
advertised.listeners=$l
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SSL:SSL,MTLS:SSL,\
SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,BADHOST:SSL${OAUTH_JWKS:+,OAUTH:SASL_PLAINTEXT,OAUTH_SSL:SASL_SSL}
# TLS: keys and certificates from make-certs.sh, as PEM (no keytool, no store passwords).
# The truststore is for client certificates; the broker checks no client hostnames.
ssl.keystore.type=PEM
ssl.keystore.location=$dir/certs/broker.pem
ssl.truststore.type=PEM
ssl.truststore.location=$dir/certs/ca.pem
listener.name.mtls.ssl.client.auth=required
listener.name.badhost.ssl.keystore.type=PEM
listener.name.badhost.ssl.keystore.location=$dir/certs/badhost.pem
# SASL: PLAIN users live in the JAAS config, SCRAM ones in the metadata log ('format -S'
# below). No authorizer: any authenticated user may produce.
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
# Delegation tokens (KRaft: Kafka 3.6+): any SASL-authenticated user may create them.
delegation.token.secret.key=ku-test-delegation-token-key
$(for n in sasl_plaintext sasl_ssl; do
    echo "listener.name.$n.plain.sasl.jaas.config=$plain"
    echo "listener.name.$n.scram-sha-256.sasl.jaas.config=$scram"
    echo "listener.name.$n.scram-sha-512.sasl.jaas.config=$scram"
done)
$([ -z "$OAUTH_JWKS" ] || oauth_properties)
# KRaft dynamic quorum (Kafka 3.9+); 'format --standalone' makes this node the only voter.
controller.quorum.bootstrap.servers=127.0.0.1:$CPORT
log.dirs=$dir/data
# Tests create their topics explicitly: a typo must fail, not create a topic.
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
# share.coordinator.*: Kafka 4.x only, 3.9 ignores them (silently).
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Single node, fast tests: no rebalance delay, few internal-topic partitions
# (the 50 default makes the first consumer group / transaction slow to start).
group.initial.rebalance.delay.ms=0
offsets.topic.num.partitions=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.num.partitions=1
# Faster registration/unfencing at start-up (default 2000 ms heartbeat).
broker.heartbeat.interval.ms=200
${KU_KAFKA_PROPERTIES:+# KU_KAFKA_PROPERTIES (the last value of a key wins):
$KU_KAFKA_PROPERTIES}
EOF
    # A cluster id as 'kafka-storage random-uuid' makes one (16 random bytes, base64url,
    # unpadded, not starting with '-'), without paying for a JVM start.
    id=-; while [ "${id#-}" != "$id" ]; do
        id=$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
    done
    # KU_KAFKA_SCRAM_USERS: other SCRAM users, one 'SCRAM-SHA-256=[name=N,password=P]' a line.
    local scram_users=() u
    while IFS= read -r u; do [ -z "$u" ] || scram_users+=(-S "$u"); done <<<"${KU_KAFKA_SCRAM_USERS:-SCRAM-SHA-256=[name=bob,password=bob-secret-256]
SCRAM-SHA-512=[name=carol,password=carol-secret-512]}"
    kjava "" kafka.tools.StorageTool format --standalone "${scram_users[@]}" \
        -t "$id" -c "$dir/server.properties" >"$dir/format.log" 2>&1 \
        || { cat "$dir/format.log" >&2; die "storage format failed"; }
    wait "$certs" || { cat "$dir/certs.log" >&2; die "make-certs.sh failed"; }
    launch "$dir"
}

# The OAUTHBEARER listeners' settings (KU_KAFKA_OAUTH_JWKS).
oauth_properties() {
    local n handler=org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler
    for n in oauth oauth_ssl; do
        echo "listener.name.$n.sasl.enabled.mechanisms=OAUTHBEARER"
        echo "listener.name.$n.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;"
        echo "listener.name.$n.oauthbearer.sasl.server.callback.handler.class=${KU_KAFKA_OAUTH_HANDLER:-$handler}"
    done
    # Kafka 4.1's default, DefaultJwtValidator, is made by the handler without the JWKS
    # and so falls back to ClientJwtValidator: no signature, audience or issuer check.
    echo "sasl.oauthbearer.jwt.validator.class=org.apache.kafka.common.security.oauthbearer.BrokerJwtValidator"
    echo "sasl.oauthbearer.jwks.endpoint.url=$OAUTH_JWKS"
    echo "sasl.oauthbearer.expected.audience=${KU_KAFKA_OAUTH_AUDIENCE:-kafka}"
    [ -z "${KU_KAFKA_OAUTH_ISSUER:-}" ] || echo "sasl.oauthbearer.expected.issuer=$KU_KAFKA_OAUTH_ISSUER"
    # A session lasts as long as its token: the client must re-authenticate with a new one.
    echo "connections.max.reauth.ms=3600000"
}

# Starts the broker of an existing (formatted) DIR, returns when it is ready.
launch() {
    local dir=$1 p
    if p=$(busy_port); then
        die "127.0.0.1:$p is already in use (another broker? KU_KAFKA_PORT moves all ${#PORTS[@]} ports)"
    fi
    # setsid: own session, so the broker outlives the caller's shell and terminal.
    # KU_KAFKA_JAVA_OPTS: extra JVM options, e.g. -XX:TieredStopAtLevel=1 (~0.4 s faster start,
    # slower broker). DUMP: set only by cds_archive.
    cds_opt
    # shellcheck disable=SC2086
    setsid "$JAVA" -Xms512m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 "${CDS[@]}" \
        "${DUMP[@]}" ${KU_KAFKA_JAVA_OPTS:-} -Djava.awt.headless=true \
        ${OAUTH_JWKS:+-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=$OAUTH_JWKS} \
        -Dlog4j2.configurationFile="$HERE/log4j2.properties" -cp "$LIBS/*${KU_KAFKA_CLASSPATH:+:$KU_KAFKA_CLASSPATH}" \
        kafka.Kafka "$dir/server.properties" >"$dir/server.log" 2>&1 </dev/null &
    echo $! >"$dir/kafka.pid"

    for _ in $(seq $((${KU_KAFKA_START_TIMEOUT:-60} * 20))); do
        broker_ready && return 0
        pid_alive "$dir" || break
        sleep 0.05
    done
    tail -n 40 "$dir/server.log" >&2
    stop "$dir"
    die "broker did not come up on $BOOTSTRAP (log: $dir/server.log)"
}

topics() {  # create|delete NAME...
    local cls=$CACHE/topicadmin
    need_libs
    # 'java TopicAdmin.java' (single-file launch) works too, but compiles every time (+1 s);
    # so compile once per change of the source and run the class.
    if ! cmp -s "$HERE/TopicAdmin.java" "$cls/TopicAdmin.java"; then
        rm -rf "$cls.$$" && mkdir -p "$cls.$$"
        "${JAVAC:-javac}" -d "$cls.$$" -cp "$LIBS/*" "$HERE/TopicAdmin.java"
        cp "$HERE/TopicAdmin.java" "$cls.$$/" && rm -rf "$cls" && mv "$cls.$$" "$cls"
    fi
    kjava ":$cls" TopicAdmin "$BOOTSTRAP" "$@"
}

# DelegationTokenCommand (kafka-tools), logged in as bob over SCRAM-SHA-256: a token must be
# created by a principal that authenticated with SASL, not with a token.
token_tool() {
    local cfg
    need_libs
    cfg=$(mktemp)
    cat >"$cfg" <<EOF
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-256
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="bob" password="bob-secret-256";
EOF
    kjava "" org.apache.kafka.tools.DelegationTokenCommand \
        --bootstrap-server "127.0.0.1:$SASL_PORT" --command-config "$cfg" "$@" 2>&1 || true
    rm -f "$cfg"
}

create_token() {
    local out line
    out=$(token_tool --create --max-life-time-period -1)
    # The table's row: TOKENID HMAC OWNER [RENEWERS] REQUESTER ISSUEDATE ...
    line=$(printf '%s\n' "$out" | awk '$3 == "User:bob" { print $1, $2; exit }')
    [ -n "$line" ] || { printf '%s\n' "$out" >&2; die "creating a delegation token failed"; }
    echo "$line"
}

expire_token() {
    local out
    out=$(token_tool --expire --hmac "$1" --expiry-time-period -1)
    printf '%s\n' "$out" | grep -q "Completed expire operation" \
        || { printf '%s\n' "$out" >&2; die "expiring the delegation token failed"; }
}

# Sourced (t/kafka/cluster.sh): the functions only.
[ "${BASH_SOURCE[0]}" = "$0" ] || return 0
case ${1:-} in
    fetch) fetch ;;
    start) start "${2:-}" ;;
    stop) stop "${2:-}" ;;
    restart) restart "${2:-}" ;;
    kill) kill_broker "${2:-}" ;;
    create-topics) shift; [ $# -gt 0 ] || die "create-topics NAME[:PARTITIONS]..."; topics create "$@" ;;
    delete-topics) shift; [ $# -gt 0 ] || die "delete-topics NAME..."; topics delete "$@" ;;
    create-token) create_token ;;
    expire-token) [ $# = 2 ] || die "expire-token HMAC"; expire_token "$2" ;;
    env) echo "$BOOTSTRAP" ;;
    listeners)
        for v in "=$PORT" _SSL="$SSL_PORT" _MTLS="$MTLS_PORT" _SASL="$SASL_PORT" \
                 _SASL_SSL="$SASL_SSL_PORT" _BADHOST="$BADHOST_PORT" \
                 ${OAUTH_JWKS:+_OAUTH="$OAUTH_PORT" _OAUTH_SSL="$OAUTH_SSL_PORT"}; do
            echo "KU_BROKER${v%=*}=127.0.0.1:${v#*=}"
        done
        printf 'KU_CERTS=%q\n' "$(data_dir "${2:-}")/certs" ;;
    *) sed -n '3,/^set -e/{/^set -e/d;s/^# \{0,1\}//p}' "$0" >&2; exit 2 ;;
esac
