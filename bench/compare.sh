#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Side by side with Kong's engine (README "Side by side with Kong's engine"): not a test, it asserts nothing.
#
#   bash bench/compare.sh [--quick] [--no-build]
#
# Starts ONE Kafka 3.9.1 broker (t/kafka/kafka.sh; Kong's client cannot
# write to Kafka 4) and then, one gateway at a time on 127.0.0.1, the
# module under MPM event and under MPM worker (one child each, built from
# the tree as bench/run.sh does) and Kong's engine
# ($KU_COMPARE_KONG/start.sh: nginx + Kong's lua-resty-kafka) with 1 and 2
# nginx workers, in the order kong1 event kong2 worker. Each gateway gets the
# same wrk load (HTTP/1.1 keep-alive, the 140-byte JSON body of run.sh) on
# its do-nothing path (/null), async (Kong's defaults on both sides) and
# sync (acks=1 on both), each async/sync round paired with a /null round of
# the same gateway, order alternating, so noise cancels in the pair's ratio.
# Then a few httpd tunings (async + /null only). Every gateway is stopped
# gracefully (its producers flush) before the next starts; at the end every
# topic is consumed (kcat) to count delivered against accepted (2xx).
#
# Writes the "compare" section of bench/REPORT.md (bench/run.sh writes the
# "run" one; each keeps the other's) and prints it. Default run: ~13
# minutes; --quick: ~2-3 minutes (short rounds, for trying the script).
# --no-build: use the built .libs/mod_kafka_upstream.so as it is.
#
# Environment: KU_COMPARE_KAFKA_PORT (23492; the broker uses it to +6),
# KU_COMPARE_KAFKA_DIR (/tmp/ku-kafka-compare), KU_COMPARE_KAFKA_VERSION
# (3.9.1), KU_COMPARE_PORT (9400: httpd), KU_COMPARE_KONG_PORT (9410: nginx),
# KU_COMPARE_DIR (/tmp/ku-compare: configs, logs, raw results),
# KU_COMPARE_KONG (required: Kong's engine, kept outside this repository),
# KU_COMPARE_CONNS (64), KU_COMPARE_WRK_THREADS (1: leaves more of a 2-core
# machine to the gateway), KU_COMPARE_THREADS (httpd ThreadsPerChild, 160),
# KU_COMPARE_ROUNDS / KU_COMPARE_SECONDS (paired rounds per mode and their
# length, 3 x 8 s), KU_COMPARE_GATEWAYS ("kong1 event kong2 worker"),
# KU_COMPARE_TUNINGS (space-separated MPM:Directive=value[,Directive=value],
# directives MaxKeepAliveRequests, KeepAliveTimeout, ThreadsPerChild; "" for
# none; default below), KU_COMPARE_TUNING_MODES ("async"),
# KU_BENCH_REPORT (bench/REPORT.md), KU_BENCH_NOTE (a line for the header).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export KU_KAFKA_VERSION=${KU_COMPARE_KAFKA_VERSION:-3.9.1}
export KU_KAFKA_PORT=${KU_COMPARE_KAFKA_PORT:-23492}
export KU_KAFKA_CONTROLLER_PORT=$((KU_KAFKA_PORT + 1)) KU_KAFKA_SSL_PORT=$((KU_KAFKA_PORT + 2)) \
       KU_KAFKA_MTLS_PORT=$((KU_KAFKA_PORT + 3)) KU_KAFKA_SASL_PORT=$((KU_KAFKA_PORT + 4)) \
       KU_KAFKA_SASL_SSL_PORT=$((KU_KAFKA_PORT + 5)) KU_KAFKA_BADHOST_PORT=$((KU_KAFKA_PORT + 6))
export KU_KAFKA_DIR=${KU_COMPARE_KAFKA_DIR:-/tmp/ku-kafka-compare}
PORT=${KU_COMPARE_PORT:-9400}
KONG_PORT=${KU_COMPARE_KONG_PORT:-9410}
DIR=$(realpath -m "${KU_COMPARE_DIR:-/tmp/ku-compare}")
KONG=${KU_COMPARE_KONG:+$(realpath -m "$KU_COMPARE_KONG")}
CONNS=${KU_COMPARE_CONNS:-64}
WRK_THREADS=${KU_COMPARE_WRK_THREADS:-1}
THREADS=${KU_COMPARE_THREADS:-160}
ROUNDS=${KU_COMPARE_ROUNDS:-3}
SECONDS_PER=${KU_COMPARE_SECONDS:-8}
WARMUP_SECONDS=2 WARMUP_RECORDS=500000
GATEWAYS=${KU_COMPARE_GATEWAYS:-kong1 event kong2 worker}
TUNINGS=${KU_COMPARE_TUNINGS-event:MaxKeepAliveRequests=100 event:ThreadsPerChild=64 worker:ThreadsPerChild=64}
TUNING_MODES=${KU_COMPARE_TUNING_MODES:-async}
REPORT=${KU_BENCH_REPORT:-$SRC/bench/REPORT.md}
BROKER=127.0.0.1:$KU_KAFKA_PORT
BUILD=1
# shellcheck source=bench/lib.sh
. "$SRC/bench/lib.sh"

for arg in "$@"; do
    case $arg in
        --quick) ROUNDS=${KU_COMPARE_ROUNDS:-1} SECONDS_PER=${KU_COMPARE_SECONDS:-3} WARMUP_SECONDS=1 WARMUP_RECORDS=100000 ;;
        --no-build) BUILD=0 ;;
        *) sed -n '3,/^set -e/{/^set -e/d;s/^# \{0,1\}//p}' "$0" >&2; exit 2 ;;
    esac
done

need_tools wrk kcat apxs apache2 java autoreconf
[ -n "$KONG" ] && [ -x "$KONG/start.sh" ] \
    || die "no Kong engine at '${KONG:-}': KU_COMPARE_KONG names a directory whose start.sh runs it"
for p in "$PORT" "$KONG_PORT" "$KU_KAFKA_PORT" "$KU_KAFKA_CONTROLLER_PORT"; do
    port_open "$p" && die "port $p on 127.0.0.1 is in use (see KU_COMPARE_*_PORT)"
done
rm -rf "$DIR"
mkdir -p "$DIR/raw"
LOG=$DIR/bench.log
: >"$LOG"
build_modules
write_bodies

# --- gateways --------------------------------------------------------------------------
# An id names a gateway: kong1, kong2 (nginx workers), event, worker (the
# module under that MPM, default tuning), tN (the Nth of TUNINGS).
KONG_PID=
stop_kong() {
    local pid=$KONG_PID
    [ -n "$pid" ] || return 0
    KONG_PID=
    kill -QUIT "$pid" 2>/dev/null || return 0   # graceful: flushes the async buffer
    for _ in $(seq 300); do [ -d "/proc/$pid" ] || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
    stop_httpd
    stop_kong
    stop_kafka
}
trap cleanup EXIT
trap 'exit 130' INT TERM

tuning_of() { # tN: its MPM:settings
    local n=${1#t}
    # shellcheck disable=SC2086
    set -- $TUNINGS
    eval "echo \${$n}"
}
describe() { # id: a label for the report
    case $1 in
        kong1) echo "Kong's engine, 1 worker" ;;
        kong2) echo "Kong's engine, 2 workers" ;;
        event|worker) echo "module, MPM $1" ;;
        t*) local t; t=$(tuning_of "$1"); echo "module, MPM ${t%%:*}, $(tr ',=' '; ' <<<"${t#*:}")" ;;
    esac
}
modes_of() { case $1 in t*) echo "$TUNING_MODES" ;; *) echo "async sync" ;; esac; }

httpd_up() { # id mpm [Directive=value...]
    local id=$1 mpm=$2 threads=$THREADS mkar=0 kat=5 kv
    shift 2
    for kv in "$@"; do
        case ${kv%%=*} in
            MaxKeepAliveRequests) mkar=${kv#*=} ;;
            KeepAliveTimeout) kat=${kv#*=} ;;
            ThreadsPerChild) threads=${kv#*=} ;;
            *) die "tuning $kv: only MaxKeepAliveRequests, KeepAliveTimeout, ThreadsPerChild" ;;
        esac
    done
    {
        httpd_conf_head "$PORT" "$mpm" "$threads" "$mkar" "$kat"
        location async "kc-$id-async"
        location sync "kc-$id-sync" "KafkaUpstreamAsync Off" "KafkaUpstreamAcks 1"
    } >"$DIR/httpd-$id.conf"
    start_httpd "$DIR/httpd-$id.conf" "$PORT"
    BASE=http://127.0.0.1:$PORT TICKS=httpd_all_ticks
}
httpd_all_ticks() { cpu_ticks "$HTTPD_PID" $(pgrep -P "$HTTPD_PID"); }

kong_up() { # id workers
    KONG_PID=$(KONG_ENGINE_RUN=$DIR/$1 bash "$KONG/start.sh" "$BROKER" "$KONG_PORT" "$2" 2>>"$LOG") \
        || die "Kong's engine did not start (log: $DIR/$1/error.log)"
    BASE=http://127.0.0.1:$KONG_PORT TICKS=kong_ticks
}
kong_ticks() { cpu_ticks "$KONG_PID" $(pgrep -P "$KONG_PID"); }

gateway_up() { # id: starts it; sets BASE (its URL) and TICKS (its CPU ticks command)
    local t
    case $1 in
        kong1) kong_up "$1" 1 ;;
        kong2) kong_up "$1" 2 ;;
        event|worker) httpd_up "$1" "$1" ;;
        t*) t=$(tuning_of "$1"); [ -n "$t" ] || die "no tuning $1"
            # shellcheck disable=SC2046
            httpd_up "$1" "${t%%:*}" $(tr ',' ' ' <<<"${t#*:}") ;;
    esac
}
gateway_down() { # id: stops it (flushing), keeps its error log
    case $1 in
        kong*) stop_kong ;;
        *) stop_httpd; mv "$DIR/error.log" "$DIR/error-$1.log" 2>/dev/null || true ;;
    esac
}

url_of() { # id mode
    case $1/$2 in
        */null) echo "$BASE/null" ;;
        kong*) echo "$BASE/$2/kc-$1-$2" ;;
        *) echo "$BASE/$2" ;;
    esac
}
gw_round() { # mode round seconds [label]: one wrk round on the gateway that is up ($GW)
    wrk_round "$GW" "$1" "$2" "$3" "$(url_of "$GW" "$1")" "$TICKS" "$BODY" application/json 1
}

run_gateway() { # id
    local id=$1 r m
    GW=$id
    say "$(describe "$id"): starting"
    gateway_up "$id"
    for m in null $(modes_of "$id"); do gw_round "$m" 0 "$WARMUP_SECONDS"; done
    for r in $(seq "$ROUNDS"); do
        for m in $(modes_of "$id"); do
            say "$(describe "$id"): round $r/$ROUNDS, $m (+ /null), ${SECONDS_PER} s each"
            pair gw_round "$m" "$r" "$SECONDS_PER"
        done
    done
    say "$(describe "$id"): stopping (flush)"
    gateway_down "$id"
}

# --- the run ---------------------------------------------------------------------------
IDS=$GATEWAYS
n=0
for _ in $TUNINGS; do n=$((n + 1)); IDS="$IDS t$n"; done
topics=kc-warmup:3
for id in $IDS; do for m in $(modes_of "$id"); do topics="$topics kc-$id-$m:3"; done; done
# shellcheck disable=SC2086
start_kafka $topics
# A cold broker (JIT) would slow whichever gateway comes first.
say "Warming the broker up (kcat, $WARMUP_RECORDS records)"
seq "$WARMUP_RECORDS" | kcat -P -b "$BROKER" -t kc-warmup >>"$LOG" 2>&1 || die "kcat -P failed (log: $LOG)"
RAW=$DIR/raw/rounds.tsv
: >"$RAW"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED=$(date +%s)
for id in $IDS; do run_gateway "$id"; done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
ELAPSED=$(($(date +%s) - STARTED))

say "Consuming the topics"
declare -A DELIV
for id in $IDS; do
    for m in $(modes_of "$id"); do DELIV[$id-$m]=$(count_topic "kc-$id-$m"); done
done

# --- the report ------------------------------------------------------------------------
declare -A RPS MPS P99 LOST
figures() { # id mode: fills RPS, MPS, P99, LOST for it
    local id=$1 m=$2 acc
    RPS[$id-$m]=$(rates "$id" "$m" | median | xargs printf '%.0f')
    P99[$id-$m]=$(field_median "$id" "$m" 8)
    [ "$m" = null ] && return 0
    acc=$(accepted_msgs "$id" "$m")
    MPS[$id-$m]=$(msgs_per_s "$acc" "${DELIV[$id-$m]}" "$(seconds_total "$id" "$m")")
    LOST[$id-$m]=$((acc > DELIV[$id-$m] ? acc - DELIV[$id-$m] : 0))
}
for id in $IDS; do for m in null $(modes_of "$id"); do figures "$id" "$m"; done; done

# Kong's better of 1 and 2 workers per mode (delivered msgs/s; 2xx/s for /null).
declare -A BEST
kong_ids=$(tr ' ' '\n' <<<"$GATEWAYS" | grep '^kong' || true)
for m in null async sync; do
    best= bv=-1
    for k in $kong_ids; do
        v=${MPS[$k-$m]:-${RPS[$k-$m]}}
        [ "$v" -gt "$bv" ] && best=$k bv=$v
    done
    BEST[$m]=$best
done
lines_matching() { # regex file: how many lines match (0 without the file)
    local n
    n=$(grep -c "$1" "$2" 2>/dev/null) || true
    echo "${n:-0}"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
mode_label() { case $1 in null) echo "do-nothing" ;; async) echo "async" ;; sync) echo "sync, acks=1" ;; esac; }

row() { # id mode
    local id=$1 m=$2 b acc='-' del='-' lost='-' mps='-' vs_rps='-' vs_mps='-' pair_ratio='-'
    b=${BEST[$m]}
    if [ "$m" != null ]; then
        acc=$(accepted_msgs "$id" "$m") del=${DELIV[$id-$m]} lost=${LOST[$id-$m]} mps=${MPS[$id-$m]}
        pair_ratio=$(ratios "$id" "$m" | median | xargs printf '%.3f')
        [ -z "$b" ] || vs_mps=$(ratio "$mps" "${MPS[$b-$m]}")
    fi
    case $id in kong*) ;; *) [ -z "$b" ] || vs_rps=$(ratio "${RPS[$id-$m]}" "${RPS[$b-$m]}") ;; esac
    case $id in kong*) vs_mps='-' ;; esac
    printf '| %s | %s | %s | %s | %s | %s | %s | %.0f | %.0f | %s | %s | %s | %s | %s | %s |\n' \
        "$(describe "$id")" "$(mode_label "$m")" "${RPS[$id-$m]}" "$mps" "$(ms "$(field_median "$id" "$m" 7)")" \
        "$(ms "${P99[$id-$m]}")" "$pair_ratio" "$(field_median "$id" "$m" 9)" "$(field_median "$id" "$m" 10)" \
        "$(awk -v g="$id" -v p="$m" -F'\t' '$1 == g && $2 == p { s += $4 - $5 } END { print s + 0 }' "$RAW")" \
        "$acc" "$del" "$lost" "$vs_rps" "$vs_mps"
}
table() { # ids...
    echo "| gateway | mode | 2xx/s | delivered msgs/s | p50 ms | p99 ms | ratio to own do-nothing | gateway CPU µs/req | broker CPU µs/req | non-2xx | accepted | delivered | lost | 2xx/s ÷ Kong best | msgs/s ÷ Kong best |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    local id m
    for id in "$@"; do for m in null $(modes_of "$id"); do row "$id" "$m"; done; done
}

targets() { # id
    local id=$1 ka=${BEST[async]} ks=${BEST[sync]} r
    echo "- $(describe "$id"):"
    if [ -n "$ka" ]; then
        r=$(ratio "${MPS[$id-async]}" "${MPS[$ka-async]}")
        echo "  - async delivered msgs/s >= 1.0x Kong's async ($(describe "$ka")): ${MPS[$id-async]} vs" \
             "${MPS[$ka-async]} = ${r}x ($(met_ge "$r" 1.0))"
        r=$(ratio "${MPS[$id-sync]}" "${MPS[$ks-sync]}")
        echo "  - sync >= 2.5x Kong's sync ($(describe "$ks")) with p99 <= 10 ms at $CONNS connections:" \
             "${MPS[$id-sync]} vs ${MPS[$ks-sync]} msgs/s = ${r}x ($(met_ge "$r" 2.5)), p99" \
             "$(ms "${P99[$id-sync]}") ms ($(met_le "${P99[$id-sync]}" 10000))"
    fi
    r=$(ratios "$id" async | median | xargs printf '%.3f')
    echo "  - async >= 0.95x the do-nothing handler in the same httpd (paired rounds): ${r}x ($(met_ge "$r" 0.95))"
    echo "  - lost = 0: async ${LOST[$id-async]}, sync ${LOST[$id-sync]}" \
         "($([ $((LOST[$id-async] + LOST[$id-sync])) = 0 ] && echo met || echo '**missed**'))"
}

module_ids=$(tr ' ' '\n' <<<"$GATEWAYS" | grep -v '^kong' || true)
tuning_ids=$(tr ' ' '\n' <<<"$IDS" | grep '^t' || true)
{
    echo "# Side by side with Kong's engine"
    echo
    written_by "$@"
    echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'))," \
         "load average $LOAD_START at the start, $LOAD_END at the end." \
         "Kafka $KU_KAFKA_VERSION (one broker, loopback, topics of 3 partitions) for every gateway." \
         "The module: httpd $(apache2 -v | sed -n 's|^Server version: Apache/\([^ ]*\).*|\1|p')," \
         "one child, ThreadsPerChild $THREADS, MaxKeepAliveRequests 0, KeepAliveTimeout 5," \
         "librdkafka $(pkg-config --modversion rdkafka 2>/dev/null || echo '?'), Kong's defaults (async) or" \
         "\`KafkaUpstreamAsync Off\` + \`KafkaUpstreamAcks 1\` (sync)." \
         "Kong's engine: $(nginx -v 2>&1 | sed 's|.*nginx/|nginx |') + lua-nginx-module + lua-resty-kafka" \
         "($KONG: the plugin's defaults; sync = acks 1; nginx's keepalive_requests default, 1000)."
    echo "Load: wrk -t$WRK_THREADS -c$CONNS, HTTP/1.1 keep-alive, POST of a $(stat -c %s "$BODY")-byte JSON body," \
         "on the same machine. The broker was first warmed up with $WARMUP_RECORDS records from kcat. Gateways one at a time, in the order $IDS; per gateway a" \
         "${WARMUP_SECONDS} s warm-up per mode, then $ROUNDS round(s) x ${SECONDS_PER} s per mode, each paired with a" \
         "do-nothing round of the same gateway just before or after it (order alternating)."
    echo
    echo "## Per gateway and mode"
    echo
    # shellcheck disable=SC2086
    table $GATEWAYS
    echo
    echo "2xx/s, p50, p99 and CPU: medians over rounds. Delivered msgs/s = min(accepted, delivered)" \
         "/ seconds of load on the mode (warm-up included); accepted = 2xx answers, delivered = records" \
         "consumed from the gateway's topic after it stopped and flushed; lost = accepted - delivered" \
         "when positive (delivered exceeds accepted by the requests in flight when a round ended)." \
         "Ratio to own do-nothing: median of the pair-by-pair ratios of 2xx/s. Gateway CPU: user + system" \
         "time of all its processes (httpd parent and child; nginx master and workers) during the" \
         "round, per request; broker CPU likewise for the broker's JVM. Kong best = Kong's engine with" \
         "1 or 2 workers, whichever delivered more msgs/s in that mode (2xx/s for do-nothing):" \
         "async $(describe "${BEST[async]:-none}"), sync $(describe "${BEST[sync]:-none}")."
    echo "Errors logged: $(for id in $IDS; do case $id in
             kong*) printf '%s %s [error] lines; ' "$id" "$(lines_matching '\[error\]' "$DIR/$id/error.log")" ;;
             *) printf '%s %s KU00001/KU00007 lines; ' "$id" "$(lines_matching 'KU0000[17]' "$DIR/error-$id.log")" ;;
         esac; done)(logs in $DIR)."
    echo
    echo "## Targets (README: Side by side with Kong's engine; reported, never asserted)"
    echo
    for id in $module_ids; do targets "$id"; done
    if [ -n "$tuning_ids" ]; then
        echo
        echo "## httpd tunings"
        echo
        echo "The module with one setting changed from the rows above (modes: $TUNING_MODES)." \
             "Compare with the same MPM's default-tuning row through the ratio to own do-nothing and" \
             "the CPU per request: the runs are minutes apart on a shared machine."
        echo
        # shellcheck disable=SC2086
        table $tuning_ids
    fi
    echo
    rounds_block "gateway, mode, round (0: warm-up), requests, 2xx, seconds, p50 us, p99 us, gateway CPU us/req, broker CPU us/req, accepted"
} >"$DIR/report.md"
publish compare
