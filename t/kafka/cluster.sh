#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A real 3-node Apache Kafka cluster on 127.0.0.1 for the failover test (t/42_failover.t):
# KRaft, each node broker and controller in one JVM (combined mode), the three a static
# controller quorum. Jars, CDS archive and TopicAdmin are kafka.sh's (sourced: run
# 'kafka.sh fetch' first).
#
#   cluster.sh start                        fresh cluster; returns when all three brokers serve
#   cluster.sh stop                         stop every node (idempotent)
#   cluster.sh kill N | term N              SIGKILL (a crash) / SIGTERM (controlled shutdown)
#                                           node N; returns once its JVM is gone
#   cluster.sh restart N                    start node N again on its data; returns once the
#                                           others list it as a live broker again
#   cluster.sh create-topics NAME[:PARTS]...  replication factor 3 (the brokers' default)
#   cluster.sh bootstrap                    the three PLAINTEXT addresses, comma-separated
#
# Every topic: replication factor 3, min.insync.replicas 2, no unclean leader election.
# Failover is tuned quick: a broker that stops heartbeating (200 ms) is fenced after 2 s
# (broker.session.timeout.ms, 9 s by default), which also takes it out of every ISR.
#
# Environment: KU_CLUSTER_PORT (base port, default KU_KAFKA_PORT+3000, i.e. 22092): node N
# listens at base+2(N-1) (PLAINTEXT, also inter-broker) and the port after it (CONTROLLER);
# KU_CLUSTER_DIR (default /tmp/ku-kafka-cluster-$USER): node N's files in DIR/nN;
# KU_CLUSTER_HEAP (per JVM, default 384m: three share the machine with the suite).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=t/kafka/kafka.sh
source "$HERE/kafka.sh"

BASE=${KU_CLUSTER_PORT:-$(( ${KU_KAFKA_PORT:-19092} + 3000 ))}
CDIR=$(realpath -m "${KU_CLUSTER_DIR:-/tmp/ku-kafka-cluster-$USER}")
HEAP=${KU_CLUSTER_HEAP:-384m}
NODES=(1 2 3)

bport() { echo $((BASE + 2 * ($1 - 1))); }
cport() { echo $((BASE + 2 * ($1 - 1) + 1)); }
ndir() { echo "$CDIR/n$1"; }
all_bootstrap() { local n s=; for n in "${NODES[@]}"; do s+=${s:+,}127.0.0.1:$(bport "$n"); done; echo "$s"; }
# For kafka.sh's functions (open_ports, topics): every node's ports, any node's address.
PORTS=(); for n in "${NODES[@]}"; do PORTS+=("$(bport "$n")" "$(cport "$n")"); done
BOOTSTRAP=$(all_bootstrap)

die() { echo "cluster.sh: $*" >&2; exit 1; }

properties() {
    local n=$1 voters= m
    for m in "${NODES[@]}"; do voters+=${voters:+,}$m@127.0.0.1:$(cport "$m"); done
    cat <<EOF
process.roles=broker,controller
node.id=$n
listeners=PLAINTEXT://127.0.0.1:$(bport "$n"),CONTROLLER://127.0.0.1:$(cport "$n")
advertised.listeners=PLAINTEXT://127.0.0.1:$(bport "$n")
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.quorum.voters=$voters
log.dirs=$(ndir "$n")/data
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=3
min.insync.replicas=2
unclean.leader.election.enable=false
offsets.topic.replication.factor=3
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
share.coordinator.state.topic.num.partitions=1
group.initial.rebalance.delay.ms=0
# Quick failover: fenced (and out of every ISR) 2 s after the last heartbeat.
broker.heartbeat.interval.ms=200
broker.session.timeout.ms=2000
# A live follower that stopped fetching leaves the ISR after 3 s (30 s by default).
replica.lag.time.max.ms=3000
EOF
}

# The brokers that node $1 lists in its metadata (registered and unfenced), one id a line.
live_brokers() {
    kcat -L -b "127.0.0.1:$(bport "$1")" -m 2 2>/dev/null | sed -n 's/^ *broker \([0-9]*\) at .*/\1/p'
}

# Waits until every node that runs lists all of $@ as live brokers.
wait_listed() {
    local n id ok
    for _ in $(seq $((${KU_KAFKA_START_TIMEOUT:-60} * 5))); do
        ok=1
        for n in "${NODES[@]}"; do
            pid_alive "$(ndir "$n")" || continue
            for id in "$@"; do live_brokers "$n" | grep -qx "$id" || ok=; done
        done
        [ -n "$ok" ] && return 0
        sleep 0.2
    done
    die "brokers $* not listed within ${KU_KAFKA_START_TIMEOUT:-60} s (logs: $CDIR/n*/server.log)"
}

launch_node() {
    local dir
    dir=$(ndir "$1")
    cds_opt
    # C1 only and the serial collector: fewer busy threads, quicker starts on a shared
    # machine; a test cluster's load needs no more.
    setsid "$JAVA" -Xms"$HEAP" -Xmx"$HEAP" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 "${CDS[@]}" \
        -Djava.awt.headless=true -Dlog4j2.configurationFile="$HERE/log4j2.properties" \
        -cp "$LIBS/*" kafka.Kafka "$dir/server.properties" >>"$dir/server.log" 2>&1 </dev/null &
    echo $! >"$dir/kafka.pid"
}

start_cluster() {
    local id n dir p pids=()
    need_libs
    stop_cluster
    if [ -d "$CDIR" ] && [ -n "$(ls -A "$CDIR")" ] && [ ! -f "$CDIR/n1/server.properties" ]; then
        die "$CDIR is not empty and not a cluster.sh data dir; refusing to wipe it"
    fi
    rm -rf "$CDIR"
    if p=$(busy_port); then die "127.0.0.1:$p is already in use (KU_CLUSTER_PORT moves all six)"; fi
    id=-; while [ "${id#-}" != "$id" ]; do
        id=$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
    done
    for n in "${NODES[@]}"; do   # the three formats side by side
        dir=$(ndir "$n")
        mkdir -p "$dir"
        properties "$n" >"$dir/server.properties"
        kjava "" kafka.tools.StorageTool format -t "$id" -c "$dir/server.properties" \
            >"$dir/format.log" 2>&1 &
        pids+=($!)
    done
    for n in "${NODES[@]}"; do
        wait "${pids[n - 1]}" || { cat "$(ndir "$n")/format.log" >&2; die "storage format failed"; }
    done
    for n in "${NODES[@]}"; do launch_node "$n"; done
    wait_listed "${NODES[@]}"
}

# Sends signal $2 to node $1 and waits for its JVM to be gone (SIGTERM: a controlled
# shutdown, SIGKILL after 15 s).
signal_node() {
    local dir pid
    dir=$(ndir "$1")
    pid_alive "$dir" || { rm -f "$dir/kafka.pid"; return 0; }
    pid=$(cat "$dir/kafka.pid")
    kill -"$2" "$pid"
    for _ in $(seq 300); do is_broker "$pid" "$dir" || break; sleep 0.05; done
    ! is_broker "$pid" "$dir" || kill -KILL "$pid"
    for _ in $(seq 100); do is_broker "$pid" "$dir" || break; sleep 0.05; done
    rm -f "$dir/kafka.pid"
}

# All at once: one by one, the last nodes wait for a quorum that has gone.
stop_cluster() {
    local n
    for n in "${NODES[@]}"; do signal_node "$n" TERM & done
    wait
}

node_arg() { [[ ${1:-} =~ ^[123]$ ]] || die "node 1, 2 or 3 expected"; }

case ${1:-} in
    start) start_cluster ;;
    stop) stop_cluster ;;
    kill) node_arg "${2:-}"; signal_node "$2" KILL ;;
    term) node_arg "${2:-}"; signal_node "$2" TERM ;;
    restart) node_arg "${2:-}"; need_libs; signal_node "$2" TERM; launch_node "$2"; wait_listed "$2" ;;
    create-topics) shift; [ $# -gt 0 ] || die "create-topics NAME[:PARTITIONS]..."; topics create "$@" ;;
    bootstrap) all_bootstrap ;;
    *) sed -n '3,/^set -e/{/^set -e/d;s/^# \{0,1\}//p}' "$0" >&2; exit 2 ;;
esac
