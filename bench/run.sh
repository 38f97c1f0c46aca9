#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The benchmark (README "Performance"): not a test, it asserts nothing and prints a report.
#
#   bash bench/run.sh [--quick] [--soak] [--no-build]
#
# Starts a real Kafka broker (t/kafka/kafka.sh, 127.0.0.1:$KU_KAFKA_PORT) and
# one private httpd (MPM event, one child, 127.0.0.1:$KU_BENCH_PORT) serving
# side by side: /null (bench/mod_ku_null.c: reads the body, answers 200, the
# ceiling), /async (the module, default async mode), /sync1 (Async Off,
# acks=1), /syncall (Async Off, acks=all) and /batch (async, Split ndjson,
# 100 records a request), /lua (async with one trivial
# KafkaUpstreamMessageLua function), /ce (async, a CloudEvents binary-mode
# request: KafkaUpstreamCloudEvents On, four ce- headers), /spool (async with the durable spool,
# KafkaUpstreamSpoolSync from KU_BENCH_SPOOL_SYNC: Off by default; run
# again with On for that row), /v2one and /v2batch (KafkaUpstreamAPI
# rest-v2: {"records":[...]} of 1 and 100 of the same JSON objects,
# answered after Kafka's acknowledgement), /v3 (KafkaUpstreamAPI rest-v3:
# a streaming produce request of 100 concatenated record objects, answered
# record by record), /idem (KafkaUpstreamIdempotency On, a fresh
# Idempotency-Key each request: HTTP/1.1 only, h2load cannot vary a header)
# and /idemreplay (the same, one key for every request: the answers come
# from the table; the topic holds a record per time the key was produced:
# once, and again after /idem's fresh keys evicted it from the table),
# /id1, /id16 and /id200 (KafkaUpstreamIdentity Basic over SASL PLAIN to the
# broker's SASL_PLAINTEXT listener, KU_KAFKA_PORT+4, async, a pool of 16
# producers: 1, 16 and 200 distinct callers in turn, their Authorization
# headers rotated by count.lua; HTTP/1.1 only). Each module path is driven with wrk (HTTP/1.1) and
# h2load (HTTP/2, h2c) in alternating rounds paired with a /null round right
# before or after it, so machine noise cancels in the pair's ratio. Then
# httpd is stopped (its producers flush) and every topic is consumed (kcat)
# to count what was delivered against what was accepted (2xx).
#
# Writes its section of bench/REPORT.md (Markdown; bench/compare.sh writes
# the side-by-side one, each keeps the other's) and prints it. Default run: ~17 minutes;
# --quick: ~3 minutes (short rounds, for trying the script); --soak: then
# 10 more minutes of /async load, sampling the child's RSS every 30 s.
# --no-build: use the built .libs/mod_kafka_upstream.so as it is.
#
# Environment: KU_KAFKA_PORT (23092), KU_KAFKA_DIR (/tmp/ku-kafka-bench),
# KU_BENCH_PORT (9300), KU_BENCH_DIR (/tmp/ku-bench: httpd config, logs,
# raw results), KU_BENCH_CONNS (64), KU_BENCH_ROUNDS / KU_BENCH_SECONDS
# (wrk rounds per path and their length, 3 x 10 s), KU_BENCH_H2_ROUNDS /
# KU_BENCH_H2_SECONDS (2 x 5 s), KU_BENCH_SOAK_SECONDS (600),
# KU_BENCH_SPOOL_SYNC (Off: the /spool row's KafkaUpstreamSpoolSync),
# KU_BENCH_IDEM_TABLE (1024: KafkaUpstreamIdempotencyTableSize),
# KU_BENCH_PATHS (the module paths to drive, default all: "async sync1
# syncall batch spool lua ce v2one v2batch v3 idem idemreplay id1 id16 id200"), KU_BENCH_REPORT (bench/REPORT.md), KU_BENCH_NOTE (a line for the report's
# header), KU_BENCH_PERF=async,null-async (perf record the child during
# those rounds: $KU_BENCH_DIR/raw/perf-LABEL.txt), KU_BENCH_PERF_CALLGRAPH
# (perf record's --call-graph: fp by default; dwarf unwinds through libc
# and librdkafka, built without frame pointers, at a larger cost).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export KU_KAFKA_PORT=${KU_KAFKA_PORT:-23092}
export KU_KAFKA_CONTROLLER_PORT=${KU_KAFKA_CONTROLLER_PORT:-$((KU_KAFKA_PORT + 1))}
export KU_KAFKA_DIR=${KU_KAFKA_DIR:-/tmp/ku-kafka-bench}
PORT=${KU_BENCH_PORT:-9300}
DIR=$(realpath -m "${KU_BENCH_DIR:-/tmp/ku-bench}")
CONNS=${KU_BENCH_CONNS:-64}
ROUNDS=${KU_BENCH_ROUNDS:-3}
SECONDS_PER=${KU_BENCH_SECONDS:-10}
H2_ROUNDS=${KU_BENCH_H2_ROUNDS:-2}
H2_SECONDS=${KU_BENCH_H2_SECONDS:-5}
SOAK_SECONDS=${KU_BENCH_SOAK_SECONDS:-600}
REPORT=${KU_BENCH_REPORT:-$SRC/bench/REPORT.md}
BATCH_RECORDS=100
BROKER=127.0.0.1:$KU_KAFKA_PORT
WRK_THREADS=2
SOAK=0 BUILD=1 MODE=default
# shellcheck source=bench/lib.sh
. "$SRC/bench/lib.sh"

for arg in "$@"; do
    case $arg in
        --quick) MODE=quick ROUNDS=${KU_BENCH_ROUNDS:-1} SECONDS_PER=${KU_BENCH_SECONDS:-3}
                 H2_ROUNDS=${KU_BENCH_H2_ROUNDS:-1} H2_SECONDS=${KU_BENCH_H2_SECONDS:-2} ;;
        --soak) SOAK=1 ;;
        --no-build) BUILD=0 ;;
        *) sed -n '3,/^set -e/{/^set -e/d;s/^# \{0,1\}//p}' "$0" >&2; exit 2 ;;
    esac
done

# --- tools and builds ------------------------------------------------------------
need_tools wrk h2load kcat apxs apache2 java autoreconf
[ -f "$(apxs -q LIBEXECDIR)/mod_http2.so" ] || die "no $(apxs -q LIBEXECDIR)/mod_http2.so"

port_open "$PORT" && die "port $PORT on 127.0.0.1 is in use (KU_BENCH_PORT)"
port_open "$KU_KAFKA_PORT" && die "port $KU_KAFKA_PORT is in use (KU_KAFKA_PORT)"
rm -rf "$DIR"
mkdir -p "$DIR/build" "$DIR/raw"
LOG=$DIR/bench.log
: >"$LOG"
build_modules

# --- cleanup -------------------------------------------------------------------------
cleanup() {
    stop_httpd
    stop_kafka
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Kafka ---------------------------------------------------------------------------
PATHS=${KU_BENCH_PATHS:-"async sync1 syncall batch spool lua ce v2one v2batch v3 idem idemreplay id1 id16 id200"}
SPOOL_SYNC=${KU_BENCH_SPOOL_SYNC:-Off}
topics=
for p in $PATHS; do topics="$topics ku-bench-$p-h1:3 ku-bench-$p-h2:3"; done
# The identity paths' callers: bench001..bench200 may log in with PLAIN on
# the SASL_PLAINTEXT listener (no authorizer: any of them may write).
IDENTITY_USERS=200
SASL_BROKER=127.0.0.1:$((KU_KAFKA_PORT + 4))
export KU_KAFKA_PROPERTIES="listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required $(for i in $(seq -f '%03g' "$IDENTITY_USERS"); do printf 'user_bench%s=\"bench-secret-%s\" ' "$i" "$i"; done);"
# shellcheck disable=SC2086
start_kafka $topics

# --- httpd ---------------------------------------------------------------------------
printf -- '-- SPDX-License-Identifier: Apache-2.0\nreturn function(message) return message end\n' \
    >"$DIR/trivial.lua"
{
    httpd_conf_head "$PORT" event 160 0 5 "LoadModule http2_module $MODDIR/mod_http2.so" \
        "Protocols h2c http/1.1" "KafkaUpstreamSpool $DIR/spool 8G" \
        "KafkaUpstreamSpoolSync $SPOOL_SYNC" "KafkaUpstreamIdempotencyTableSize ${KU_BENCH_IDEM_TABLE:-1024}" \
        "KafkaUpstreamIdentityProducers 16"
    for proto in h1 h2; do
        location "async-$proto" "ku-bench-async-$proto"
        location "sync1-$proto" "ku-bench-sync1-$proto" "KafkaUpstreamAsync Off" "KafkaUpstreamAcks 1"
        location "syncall-$proto" "ku-bench-syncall-$proto" "KafkaUpstreamAsync Off" "KafkaUpstreamAcks all"
        # Bulk ingest: a deeper local queue and bigger produce requests than
        # the Kong defaults (50000 messages, 200 a request), and time for
        # that queue to drain (the default 5 s delivery timeout expired
        # records under full load).
        location "batch-$proto" "ku-bench-batch-$proto" "KafkaUpstreamSplit ndjson" \
            "KafkaUpstreamBufferMessages 1000000" "KafkaUpstreamBatchMessages 10000" \
            "KafkaUpstreamDeliveryTimeout 60000"
        location "spool-$proto" "ku-bench-spool-$proto" "KafkaUpstreamSpool On"
        # Async with one trivial message function (Kong's "Unmodified
        # message"): the cost of the Lua step against /async.
        location "lua-$proto" "ku-bench-lua-$proto" "KafkaUpstreamMessageLua $DIR/trivial.lua"
        # The REST proxies' v2 produce API (answered after Kafka's
        # acknowledgement): one record and $BATCH_RECORDS records a request.
        location "v2one-$proto" "ku-bench-v2one-$proto" "KafkaUpstreamAPI rest-v2"
        location "v2batch-$proto" "ku-bench-v2batch-$proto" "KafkaUpstreamAPI rest-v2" \
            "KafkaUpstreamBufferMessages 1000000" "KafkaUpstreamBatchMessages 10000" \
            "KafkaUpstreamDeliveryTimeout 60000"
        # A CloudEvents binary-mode request: the same body, four ce- headers.
        location "ce-$proto" "ku-bench-ce-$proto" "KafkaUpstreamCloudEvents On"
        # Confluent's v3 streaming produce: each record after the one before
        # was acknowledged, its answer object streamed back.
        location "v3-$proto" "ku-bench-v3-$proto" "KafkaUpstreamAPI rest-v3"
        # Async with Idempotency-Key (the server's table: 1024 keys by
        # default, the oldest answered one evicted for a new key).
        location "idem-$proto" "ku-bench-idem-$proto" "KafkaUpstreamIdempotency On"
        location "idemreplay-$proto" "ku-bench-idemreplay-$proto" "KafkaUpstreamIdempotency On"
        # Producing as the caller (README "Identity passthrough"): 1, 16 and
        # 200 callers through a pool of 16 producers.
        for n in 1 16 200; do
            location "id$n-$proto" "ku-bench-id$n-$proto" "KafkaUpstreamBootstrapServers $SASL_BROKER" \
                "KafkaUpstreamSASLMechanism PLAIN" "KafkaUpstreamIdentity Basic"
        done
    done
} >"$DIR/httpd.conf"
say "Starting httpd on 127.0.0.1:$PORT"
start_httpd "$DIR/httpd.conf" "$PORT"

# The cluster id the v3 routes name (the brokers' own, asked by the producer).
CLUSTER=
case " $PATHS " in
    *" v3 "*)
        for _ in $(seq 50); do
            CLUSTER=$(curl -s "http://127.0.0.1:$PORT/v3-h1/v3/clusters" |
                sed -n 's/.*"cluster_id":"\([^"]*\)".*/\1/p')
            [ -n "$CLUSTER" ] && break
            sleep 0.2
        done
        [ -n "$CLUSTER" ] || die "no cluster id from /v3-h1/v3/clusters"
        ;;
esac

# Largest child RSS in KiB.
child_rss() {
    local max=0 pid rss
    for pid in $(pgrep -P "$HTTPD_PID"); do
        rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
        [ "${rss:-0}" -gt "$max" ] && max=$rss
    done
    echo "$max"
}

# CPU time (utime + stime, clock ticks) of httpd's children.
httpd_ticks() { cpu_ticks $(pgrep -P "$HTTPD_PID"); }

# --- bodies --------------------------------------------------------------------------
write_bodies

# The v2 bodies: the same JSON objects as records of {"records":[...]}.
V2ONE=$DIR/v2one.json
V2BATCH=$DIR/v2batch.json
{ printf '{"records":[{"value":'; cat "$BODY"; printf '}]}'; } >"$V2ONE"
{ printf '{"records":['; sed 's/^/{"value":/; s/$/},/' "$BATCH" | sed '$ s/,$//' | tr -d '\n'; printf ']}'; } >"$V2BATCH"
# The v3 stream: the same objects as $BATCH_RECORDS concatenated record objects.
V3=$DIR/v3.json
sed 's/^/{"value":{"type":"JSON","data":/; s/$/}}/' "$BATCH" >"$V3"

body_for() {
    case $1 in batch) echo "$BATCH" ;; v2one) echo "$V2ONE" ;; v2batch) echo "$V2BATCH" ;; v3) echo "$V3" ;; *) echo "$BODY" ;; esac
}
records_for() { case $1 in batch | v2batch | v3) echo "$BATCH_RECORDS" ;; *) echo 1 ;; esac; }
# wrk counts a v3 stream's records by their answer objects.
count_for() { [ "$1" = v3 ] && echo '"error_code":200' || true; }
ctype_for() {
    case $1 in
        batch) echo application/x-ndjson ;; v2one | v2batch) echo application/vnd.kafka.json.v2+json ;;
        *) echo application/json ;;
    esac
}
# What follows a path's Location: the v2 route names the topic.
route_for() { # path proto
    case $1 in
        v2one | v2batch) echo "/topics/ku-bench-$1-$2" ;;
        v3) echo "/v3/clusters/$CLUSTER/topics/ku-bench-v3-$2/records" ;;
    esac
}
# The four required attributes; Content-Type (application/json) is the datacontenttype.
CE_HEADERS="ce-specversion: 1.0|ce-id: bench-1|ce-source: /bench|ce-type: com.example.bench"
headers_for() { # path proto
    case $1 in
        ce) echo "$CE_HEADERS" ;;
        # One key per protocol: the same key on another URI would be 422.
        idemreplay) echo "Idempotency-Key: bench-replay-$2" ;;
    esac
}
# h2load sends the same headers on every request: no fresh keys, no callers in turn.
h2_drives() { case $1 in idem | id1 | id16 | id200) return 1 ;; esac; }
# The identity paths' Authorization headers, N callers: a file, one a line.
auth_file() { # callers
    local f=$DIR/auth-$1.txt i
    [ -s "$f" ] || for i in $(seq -f '%03g' "$1"); do
        printf 'Basic %s\n' "$(printf 'bench%s:bench-secret-%s' "$i" "$i" | base64 -w0)"
    done >"$f"
    echo "$f"
}

# --- drivers: each appends "proto path round requests ok seconds p50_us p99_us
# httpd_cpu_us_per_req broker_cpu_us_per_req accepted_records" --------------------------
RAW=$DIR/raw/rounds.tsv
: >"$RAW"

run_wrk() { # path round seconds [label]
    local path=$1 url keys=
    url=http://127.0.0.1:$PORT/$path; [ "$path" = null ] || url=$url-h1$(route_for "$path" h1)
    # A fresh Idempotency-Key a request, in /idem's rounds and their do-nothing
    # pairs alike (the same client cost on both sides of the ratio).
    case ${4:-$path} in idem | null-idem) keys=bench-$2-$(date +%s%N) ;; esac
    # The identity paths' callers in turn, their do-nothing pairs alike.
    local auth=
    case ${4:-$path} in id* | null-id*) auth=$(auth_file "$(echo "${4:-$path}" | sed 's/^null-//; s/^id//')") ;; esac
    KU_BENCH_AUTH=$auth KU_BENCH_KEYS=$keys KU_BENCH_COUNT=$(count_for "$path") KU_BENCH_HEADERS=$(headers_for "$path" h1) wrk_round h1 "$path" "$2" "$3" "$url" httpd_ticks "$(body_for "$path")" "$(ctype_for "$path")" \
        "$(records_for "$path")"
}

run_h2() { # path round seconds
    local path=$1 round=$2 secs=$3 url log out
    url=http://127.0.0.1:$PORT/$path; [ "$path" = null ] || url=$url-h2$(route_for "$path" h2)
    log=$DIR/raw/h2-$path-$round.log
    local h0 b0 h1 b1 extra=(); h0=$(httpd_ticks) b0=$(broker_ticks)
    local IFS_was=$IFS h; IFS='|'
    for h in $(headers_for "$path" h2); do extra+=(-H "$h"); done
    IFS=$IFS_was
    out=$(h2load -c "$CONNS" -t 2 -m 1 -D "$secs" -d "$(body_for "$path")" \
          -H "content-type: $(ctype_for "$path")" "${extra[@]}" --log-file="$log" "$url" 2>&1) \
        || die "h2load failed: $out"
    echo "$out" >>"$DIR/raw/h2load.out"
    h1=$(httpd_ticks) b1=$(broker_ticks)
    # The log: start time, status, microseconds; one line per finished request.
    # h2load shows no bodies: a 207's accepted records are not counted; nor
    # headers: /idemreplay's one produced answer is not told from the replays.
    local per; per=$(records_for "$path"); [ "$path" = idemreplay ] && per=0
    sort -n -k3,3 "$log" | awk -v proto=h2 -v path="$path" -v round="$round" -v secs="$secs" \
            -v h="$((h1 - h0))" -v b="$((b1 - b0))" -v tick="$TICK_US" -v per="$per" '
        { t[NR] = $3; if ($2 >= 200 && $2 < 300) ok++; if ($2 == 200) full++ }
        END { n = NR; if (!n) { print proto "\t" path "\t" round "\t0\t0\t" secs "\t0\t0\t0\t0\t0"; exit }
              p50 = t[int((n - 1) * 0.50) + 1]; p99 = t[int((n - 1) * 0.99) + 1]
              printf "%s\t%s\t%s\t%d\t%d\t%s\t%d\t%d\t%.0f\t%.0f\t%d\n", proto, path, round, n, ok, secs, p50, p99,
                     h * tick / n, b * tick / n, full * per }' >>"$RAW"
    rm -f "$log"
}

# KU_BENCH_PERF=LABEL[,LABEL]: perf records the child (call graphs) during
# those rounds: a path of KU_BENCH_PATHS or null-PATH (the
# do-nothing rounds paired with it); report in $DIR/raw/perf-LABEL.txt.
profiled() { # driver path round seconds label
    local driver=$1 path=$2 round=$3 secs=$4 label=$5 perf_pid
    case ",${KU_BENCH_PERF:-}," in
        *",$label,"*) ;;
        *) $driver "$path" "$round" "$secs" "$label"; return ;;
    esac
    perf record -q -F 2000 --call-graph "${KU_BENCH_PERF_CALLGRAPH:-fp}" -o "$DIR/raw/perf-$label-$driver-$round.data" \
        -p "$(pgrep -P "$HTTPD_PID" | head -n 1)" >>"$LOG" 2>&1 &
    perf_pid=$!
    sleep 0.3
    $driver "$path" "$round" "$secs" "$label"
    kill -INT "$perf_pid" 2>/dev/null || true
    wait "$perf_pid" 2>/dev/null || true
    perf report -i "$DIR/raw/perf-$label-$driver-$round.data" --no-children --percent-limit 0.7 \
        --stdio -g none >>"$DIR/raw/perf-$label.txt" 2>>"$LOG" || true
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
RSS_START=$(child_rss)
STARTED=$(date +%s)
say "Warm-up (2 s per path; counted in accepted, not in the rates)"
for p in null $PATHS; do run_wrk "$p" 0 2; [ "$p" = null ] || ! h2_drives "$p" || run_h2 "$p" 0 1; done
RSS_WARM=$(child_rss)


for r in $(seq "$ROUNDS"); do
    for p in $PATHS; do
        say "HTTP/1.1 round $r/$ROUNDS: $p (+ /null), ${SECONDS_PER} s each, $CONNS connections"
        pair "profiled run_wrk" "$p" "$r" "$SECONDS_PER"
    done
done
for r in $(seq "$H2_ROUNDS"); do
    for p in $PATHS; do
        h2_drives "$p" || continue
        say "HTTP/2 round $r/$H2_ROUNDS: $p (+ /null), ${H2_SECONDS} s each, $CONNS connections"
        pair "profiled run_h2" "$p" "$r" "$H2_SECONDS"
    done
done
RSS_END=$(child_rss)

SOAK_RSS=
if [ "$SOAK" = 1 ]; then
    say "Soak: /async-h1 for $SOAK_SECONDS s, RSS every 30 s"
    SOAK_RSS=$(child_rss)
    left=$SOAK_SECONDS
    while [ "$left" -gt 0 ]; do
        step=$(( left < 30 ? left : 30 ))
        run_wrk async soak "$step"
        SOAK_RSS="$SOAK_RSS $(child_rss)"
        left=$((left - step))
    done
fi
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
ELAPSED=$(( $(date +%s) - STARTED ))

say "Stopping httpd (its producers flush), consuming the topics"
stop_httpd
DELIVERED=$DIR/raw/delivered.tsv
: >"$DELIVERED"
for p in $PATHS; do
    for proto in h1 h2; do
        n=$(count_topic "ku-bench-$p-$proto")
        printf '%s\t%s\t%s\n' "$proto" "$p" "$n" >>"$DELIVERED"
    done
done
grep -c 'KU0000[17]' "$DIR/error.log" >"$DIR/raw/send-failures" || true
# The first record's headers of the paths whose requests make some: /ce a
# binary-mode event (ce_ attributes, content-type), /idem* the key.
SAMPLES=$DIR/raw/samples.txt
: >"$SAMPLES"
for p in $PATHS; do
    case $p in
        ce | idem | idemreplay)
            printf -- '- %s: `%s`\n' "$p" "$(timeout 60 kcat -C -b "$BROKER" -t "ku-bench-$p-h1" -o beginning \
                -c 1 -e -q -f '%h' 2>/dev/null || true)" >>"$SAMPLES" ;;
    esac
done

# --- the report ------------------------------------------------------------------------
delivered_msgs() { awk -v proto="$1" -v path="$2" -F'\t' '$1 == proto && $2 == path { print $3 }' "$DELIVERED"; }
label() {
    case $1 in
        null) echo "do-nothing handler" ;; async) echo "async" ;; sync1) echo "sync, acks=1" ;;
        syncall) echo "sync, acks=all" ;; spool) echo "async + spool (SpoolSync $SPOOL_SYNC)" ;; lua) echo "async + one Lua function" ;; batch) echo "batch ndjson ($BATCH_RECORDS rec/req, async)" ;;
        v2one) echo "rest-v2, 1 rec/req (answered after the ack)" ;; v2batch) echo "rest-v2, $BATCH_RECORDS rec/req (answered after the ack)" ;;
        ce) echo "CloudEvents binary mode (async)" ;;
        v3) echo "rest-v3 stream, $BATCH_RECORDS rec/req (each after the ack)" ;;
        idem) echo "async + Idempotency-Key, a fresh key a request (table of ${KU_BENCH_IDEM_TABLE:-1024})" ;;
        idemreplay) echo "async + Idempotency-Key, one key (replayed answers)" ;;
        id1 | id16 | id200) echo "identity Basic/PLAIN, ${1#id} caller(s), pool of 16 (async)" ;;
    esac
}

declare -A RATIO MPS P99 DELIV LOST
{
    echo "# mod_kafka_upstream benchmark"
    echo
    written_by "$@"
    echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'))," \
         "shared: load average $LOAD_START at the start, $LOAD_END at the end." \
         "httpd $(apache2 -v | sed -n 's|^Server version: Apache/\([^ ]*\).*|\1|p') (MPM event, one child," \
         "160 threads), librdkafka $(pkg-config --modversion rdkafka 2>/dev/null || echo '?')," \
         "Kafka $(sed -n 's|^ *<kafka.version>\(.*\)</kafka.version>$|\1|p' "$SRC/t/kafka/pom.xml") (one broker, loopback)," \
         "wrk and h2load on the same machine, $CONNS connections, keep-alive."
    echo "Rounds: HTTP/1.1 (wrk) $ROUNDS x ${SECONDS_PER} s, HTTP/2 (h2load, h2c) $H2_ROUNDS x ${H2_SECONDS} s" \
         "per path, each paired with a do-nothing round just before or after it (order alternating)." \
         "Figures are medians over rounds; the ratio is the median of the pair-by-pair ratios of 2xx/s." \
         "Body: a $(stat -c %s "$BODY")-byte JSON object (batch: $BATCH_RECORDS NDJSON lines, $(stat -c %s "$BATCH") bytes)," \
         "default envelope (ForwardBody On); Kong defaults except for batch:" \
         "KafkaUpstreamBufferMessages 1000000, KafkaUpstreamBatchMessages 10000."
    for proto in h1 h2; do
        echo
        [ "$proto" = h1 ] && echo "## HTTP/1.1 (wrk)" || echo "## HTTP/2 (h2load)"
        echo
        echo "| path | req/s (2xx) | messages/s | p50 ms | p99 ms | ratio to do-nothing | httpd CPU µs/req | broker CPU µs/req | accepted msgs | delivered | lost |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        for p in null $PATHS; do
            [ "$proto" = h2 ] && ! h2_drives "$p" && continue
            rps=$(rates "$proto" "$p" | median)
            p50=$(field_median "$proto" "$p" 7); p99=$(field_median "$proto" "$p" 8)
            if [ "$p" = null ]; then
                ratio=1 acc=- del=- lost=- mps=-
            else
                ratio=$(ratios "$proto" "$p" | median | xargs printf "%.3f")
                acc=$(accepted_msgs "$proto" "$p")
                del=$(delivered_msgs "$proto" "$p")
                lost=$(( acc > del ? acc - del : 0 ))
                # messages/s: delivered over the time load was applied to the path
                mps=$(msgs_per_s "$acc" "$del" "$(seconds_total "$proto" "$p")")
                RATIO[$proto-$p]=$ratio MPS[$proto-$p]=$mps P99[$proto-$p]=$p99
                DELIV[$proto-$p]=$del LOST[$proto-$p]=$lost
            fi
            printf '| %s | %.0f | %s | %s | %s | %.3f | %.0f | %.0f | %s | %s | %s |\n' "$(label "$p")" "$rps" "$mps" \
                "$(ms "$p50")" "$(ms "$p99")" "$ratio" "$(field_median "$proto" "$p" 9)" \
                "$(field_median "$proto" "$p" 10)" "$acc" "$del" "$lost"
        done
    done
    echo
    echo "Accepted = records the module accepted, over every round of the path (warm-up" \
         "included): all of a 200's, those with status 200 in a 207's results (a batch some of" \
         "whose records were refused, local queue full; HTTP/2: h2load shows no bodies, so a" \
         "207's records are not counted as accepted and show as delivered beyond it); delivered = records consumed from the path's topic (kcat, after httpd stopped" \
         "and flushed). Delivered can exceed accepted by the requests in flight when a round ended" \
         "(answered after the client stopped counting). lost = accepted - delivered, when positive." \
         "Messages/s = min(accepted, delivered) / seconds of load on the path." \
         "CPU µs/req: CPU time (user + system) the httpd child, and the broker's JVM, spent" \
         "during the round, per request (wrk, h2load and other users of the machine excluded):" \
         "on a shared 2-core machine this is steadier than req/s, which the broker's own CPU" \
         "(on the same cores) and the other load pull down." \
         "Logged send failures (KU00001/KU00007 lines): $(cat "$DIR/raw/send-failures")."
    case " $PATHS " in *" v3 "*)
        echo
        echo "rest-v3 stream: one request is $BATCH_RECORDS concatenated record objects; req/s counts requests," \
             "messages/s records; accepted over HTTP/1.1 = answer objects with error_code 200, over HTTP/2" \
             "(no bodies) $BATCH_RECORDS a 200." ;;
    esac
    case " $PATHS " in *" idem"*)
        echo
        echo "Idempotency-Key: /idem is HTTP/1.1 only (h2load sends one set of headers), its do-nothing" \
             "rounds made by the same key-making wrk script; /idemreplay sends one key per protocol," \
             "so its topics hold one record per time the key was produced: the first request, and the" \
             "first after /idem's fresh keys evicted the key from the table (replays are accepted as" \
             "nothing; over HTTP/2 h2load sees no headers, the produced ones are not told apart, so accepted is 0)." ;;
    esac
    case " $PATHS " in *" id1 "* | *" id16 "* | *" id200 "*)
        echo
        echo "Identity passthrough: /idN sends N distinct Basic credentials in turn (wrk, HTTP/1.1 only;" \
             "its do-nothing rounds send the same headers), each a SASL PLAIN login to the broker's" \
             "SASL_PLAINTEXT listener, through a pool of 16 producers per child: beyond 16 callers the" \
             "least recently used producer is closed for a new one (a new login), or the request is" \
             "answered 503 when every producer is busy. The service-identity row to compare with is async." ;;
    esac
    if [ -s "$SAMPLES" ]; then
        echo
        echo "Headers of the first record of each such path's HTTP/1.1 topic:"
        echo
        cat "$SAMPLES"
    fi
    echo
    echo "## Memory"
    echo
    echo "Largest child RSS: $((RSS_START / 1024)) MiB after start, $((RSS_WARM / 1024)) MiB after warm-up," \
         "$((RSS_END / 1024)) MiB after the run."
    if [ -n "$SOAK_RSS" ]; then
        echo
        echo "Soak ($SOAK_SECONDS s of /async-h1 at $CONNS connections), RSS every 30 s, MiB:" \
             "$(for k in $SOAK_RSS; do printf '%s ' $((k / 1024)); done)"
    fi
    echo
    echo "## Targets (README: Performance; reported, never asserted)"
    echo
    # KU_BENCH_PATHS may leave these paths out: their targets are then not told.
    if [ -n "${RATIO[h1-async]:-}" ] && [ -n "${RATIO[h2-async]:-}" ]; then
        echo "- async >= 0.95x do-nothing: HTTP/1.1 ${RATIO[h1-async]}x ($(met_ge "${RATIO[h1-async]}" 0.95))," \
             "HTTP/2 ${RATIO[h2-async]}x ($(met_ge "${RATIO[h2-async]}" 0.95))"
    fi
    if [ -n "${RATIO[h1-syncall]:-}" ]; then
        echo "- sync acks=all >= 0.5x at $CONNS connections, p99 <= 10 ms: HTTP/1.1 ${RATIO[h1-syncall]}x" \
             "($(met_ge "${RATIO[h1-syncall]}" 0.5)), p99 $(ms "${P99[h1-syncall]}") ms ($(met_le "${P99[h1-syncall]}" 10000));" \
             "HTTP/2 ${RATIO[h2-syncall]}x ($(met_ge "${RATIO[h2-syncall]}" 0.5)), p99 $(ms "${P99[h2-syncall]}") ms ($(met_le "${P99[h2-syncall]}" 10000))"
    fi
    if [ -n "${MPS[h1-batch]:-}" ]; then
        echo "- batch ingest >= 200,000 messages/s delivered: HTTP/1.1 ${MPS[h1-batch]}" \
             "($(met_ge "${MPS[h1-batch]}" 200000)), HTTP/2 ${MPS[h2-batch]} ($(met_ge "${MPS[h2-batch]}" 200000))"
    fi
    lost_total=0
    for k in "${!LOST[@]}"; do lost_total=$((lost_total + LOST[$k])); done
    echo "- lost = 0: $([ "$lost_total" = 0 ] && echo met || echo "**missed** ($lost_total)")"
    if [ -n "$SOAK_RSS" ]; then
        first=${SOAK_RSS%% *} last=${SOAK_RSS##* }
        echo "- RSS flat over the soak: $((first / 1024)) -> $((last / 1024)) MiB" \
             "($(awk -v a="$first" -v b="$last" 'BEGIN { print (b <= a * 1.05 + 4096) ? "met (within 5% + 4 MiB)" : "**missed**" }'))"
    else
        echo "- RSS flat over a 10-minute soak: not run (\`--soak\`)"
    fi
    echo
    rounds_block "proto, path, round (0: warm-up), requests, 2xx, seconds, p50 us, p99 us, httpd CPU us/req, broker CPU us/req, accepted"
} >"$DIR/report.md"
publish run
