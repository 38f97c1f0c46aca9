# SPDX-License-Identifier: Apache-2.0
# Shared by bench/run.sh and bench/compare.sh (sourced, not run): tools,
# builds, the private httpd, the wrk driver, pairing with do-nothing rounds,
# the per-round figures and the report sections. The sourcing script sets
# SRC (the tree), DIR (its work dir: build/, raw/), LOG, RAW (the rounds
# file), CONNS, WRK_THREADS, and BROKER; KAFKA is t/kafka/kafka.sh.
#
# RAW holds one line per round, tab-separated:
#   gateway path round requests 2xx seconds p50_us p99_us gateway_cpu_us/req
#   broker_cpu_us/req accepted_records
# (run.sh's gateway column is the protocol: h1 or h2.)

KAFKA=$SRC/t/kafka/kafka.sh
PROG=bench/$(basename "$0")
die() { echo "$PROG: $*" >&2; exit 1; }
say() { echo "==> $(date -u +%T) $*" >&2; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

need_tools() { # tool... (installs the missing ones with t/install-deps.sh when root)
    local missing= tool
    for tool in "$@"; do command -v "$tool" >/dev/null || missing="$missing $tool"; done
    [ -z "$missing" ] && return 0
    [ "$(id -u)" = 0 ] || die "missing:$missing (run as root to install them)"
    say "Installing$missing (t/install-deps.sh)"
    bash "$SRC/t/install-deps.sh"
}

# The module from the tree (BUILD=1: built in $SRC as the tests do) and the
# do-nothing handler (bench/mod_ku_null.c, apxs, in $DIR/build).
build_modules() {
    if [ "$BUILD" = 1 ]; then
        say "Building mod_kafka_upstream in $SRC"
        (cd "$SRC" && { [ -f Makefile ] || { autoreconf -fi && ./configure; }; } && make -j"$(nproc)") \
            >>"$LOG" 2>&1 || { tail -n 30 "$LOG" >&2; die "build failed (log: $LOG)"; }
    fi
    MODULE=$SRC/.libs/mod_kafka_upstream.so
    [ -f "$MODULE" ] || die "no $MODULE (drop --no-build)"
    mkdir -p "$DIR/build"
    cp "$SRC/bench/mod_ku_null.c" "$DIR/build/"
    (cd "$DIR/build" && apxs -c mod_ku_null.c) >>"$LOG" 2>&1 || die "apxs -c mod_ku_null.c failed (log: $LOG)"
    NULL_MODULE=$DIR/build/.libs/mod_ku_null.so
    MODDIR=$(apxs -q LIBEXECDIR)
}

start_kafka() { # topic[:parts]...
    say "Starting Kafka ${KU_KAFKA_VERSION:-(default release)} on $BROKER"
    bash "$KAFKA" fetch >>"$LOG" 2>&1 || die "kafka.sh fetch failed (log: $LOG)"
    bash "$KAFKA" start >>"$LOG" 2>&1 || die "kafka.sh start failed (log: $LOG)"
    bash "$KAFKA" create-topics "$@" >>"$LOG" 2>&1 || die "create-topics failed (log: $LOG)"
    BROKER_PID=$(cat "$KU_KAFKA_DIR/kafka.pid" 2>/dev/null || echo)
}
stop_kafka() { bash "$KAFKA" stop >/dev/null 2>&1 || true; }

count_topic() { # topic: records in it (consumed from the beginning)
    timeout 300 kcat -C -b "$BROKER" -t "$1" -o beginning -e -q -f '.\n' | wc -l
}

# --- the private httpd -----------------------------------------------------------------
location() { # path topic extra-directives...
    local path=$1 topic=$2
    shift 2
    printf '<Location /%s>\n    SetHandler kafka-upstream\n    KafkaUpstreamTopic %s\n' "$path" "$topic"
    printf '    %s\n' "$@"
    printf '</Location>\n'
}

# The global part of an httpd.conf: one child of MPM with THREADS threads
# (enough for CONNS blocked sync requests), keep-alive, /null, the broker.
# Extra arguments are appended as lines (more modules, Protocols...).
httpd_conf_head() { # port mpm threads max-keepalive-requests keepalive-timeout extra-lines...
    local port=$1 mpm=$2 threads=$3 mkar=$4 kat=$5 user_lines=
    shift 5
    [ "$(id -u)" = 0 ] && user_lines="User www-data
Group www-data"
    cat <<EOF
# Written by $PROG.
ServerRoot $DIR
DefaultRuntimeDir $DIR
PidFile $DIR/httpd.pid
ErrorLog $DIR/error.log
LogLevel warn
ServerName 127.0.0.1
Listen 127.0.0.1:$port
DocumentRoot $DIR
$user_lines
LoadModule mpm_${mpm}_module $MODDIR/mod_mpm_${mpm}.so
LoadModule authz_core_module $MODDIR/mod_authz_core.so
LoadModule ku_null_module $NULL_MODULE
LoadModule kafka_upstream_module $MODULE
# One child with enough threads for $CONNS blocked sync requests.
ServerLimit 1
StartServers 1
ThreadLimit $threads
ThreadsPerChild $threads
MaxRequestWorkers $threads
MinSpareThreads 1
MaxSpareThreads $threads
MaxConnectionsPerChild 0
KeepAlive On
MaxKeepAliveRequests $mkar
KeepAliveTimeout $kat
<Location />
    Require all granted
</Location>
KafkaUpstreamBootstrapServers $BROKER
KafkaUpstreamShutdownTimeout 20000
<Location /null>
    SetHandler ku-null
</Location>
EOF
    [ $# = 0 ] || printf '%s\n' "$@"
}

HTTPD_PID=
start_httpd() { # conf port: sets HTTPD_PID
    local conf=$1 port=$2
    [ "$(id -u)" != 0 ] || chown www-data "$DIR"
    rm -f "$DIR/httpd.pid"
    apache2 -f "$conf" -t >>"$LOG" 2>&1 || die "httpd config refused (log: $LOG)"
    apache2 -f "$conf" -k start >>"$LOG" 2>&1 || die "httpd did not start (log: $LOG)"
    for _ in $(seq 100); do port_open "$port" && [ -s "$DIR/httpd.pid" ] && break; sleep 0.1; done
    HTTPD_PID=$(cat "$DIR/httpd.pid" 2>/dev/null) || die "httpd did not start: $(tail -n 5 "$DIR/error.log")"
}
stop_httpd() {
    local pid=$HTTPD_PID
    [ -n "$pid" ] || return 0
    HTTPD_PID=
    kill -TERM "$pid" 2>/dev/null || return 0
    # Children flush their Kafka queues (KafkaUpstreamShutdownTimeout) first.
    for _ in $(seq 300); do [ -d "/proc/$pid" ] || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
}

# --- CPU -------------------------------------------------------------------------------
TICK_US=$((1000000 / $(getconf CLK_TCK)))
cpu_ticks() { # pids...: their utime + stime (all threads), clock ticks
    local pid t=0
    for pid in "$@"; do
        t=$((t + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)))
    done
    echo "$t"
}
broker_ticks() { cpu_ticks $BROKER_PID; }
cpu_per_req() { awk -v a="$1" -v b="$2" -v n="$3" -v t="$TICK_US" 'BEGIN { printf "%.0f", n ? (b - a) * t / n : 0 }'; }

# --- bodies ----------------------------------------------------------------------------
write_bodies() { # sets BODY (140-byte JSON) and BATCH (BATCH_RECORDS NDJSON lines)
    BODY=$DIR/body.json
    BATCH=$DIR/batch.ndjson
    printf '{"event":"page_view","user":"u-1234567","session":"s-89abcdef","path":"/products/42","ts":1764000000123,"tags":["web","bench"],"value":3.14}' >"$BODY"
    for i in $(seq "${BATCH_RECORDS:-100}"); do
        printf '{"event":"page_view","user":"u-%07d","path":"/products/%d","ts":1764000000%03d,"value":%d}\n' \
            "$i" "$i" "$((i % 1000))" "$i"
    done >"$BATCH"
}

# --- drivers ---------------------------------------------------------------------------
# One wrk round (HTTP/1.1 keep-alive, CONNS connections, WRK_THREADS threads)
# on URL, POSTing BODYFILE; appends its RAW line. TICKS names the command
# that prints the gateway's CPU ticks.
wrk_round() { # gateway path round seconds url ticks bodyfile ctype records-per-request
    local gw=$1 path=$2 round=$3 secs=$4 url=$5 ticks=$6 out line g0 b0
    g0=$($ticks) b0=$(broker_ticks)
    out=$(KU_BENCH_BODY=$7 KU_BENCH_CTYPE=$8 KU_BENCH_RECORDS=$9 KU_BENCH_HEADERS=${KU_BENCH_HEADERS:-} \
          wrk -t "$WRK_THREADS" -c "$CONNS" -d "${secs}s" --timeout 10s -s "$SRC/bench/count.lua" "$url" 2>&1) \
        || die "wrk failed: $out"
    echo "$out" >>"$DIR/raw/wrk.out"
    line=$(grep '^RESULT' <<<"$out") || die "wrk printed no RESULT: $out"
    # shellcheck disable=SC2086
    set -- ${line#RESULT }
    local requests=${1#*=} ok=${2#*=} secs_run=${5#*=} p50=${6#*=} p99=${7#*=} records=${8#*=}
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$gw" "$path" "$round" "$requests" "$ok" "$secs_run" \
        "$p50" "$p99" "$(cpu_per_req "$g0" "$($ticks)" "$requests")" "$(cpu_per_req "$b0" "$(broker_ticks)" "$requests")" \
        "$records" >>"$RAW"
}

# A round of PATH paired with a do-nothing (/null) round of the same driver,
# the order alternating by round, so machine noise cancels in the pair's
# ratio. RUN (may be several words) is called as: RUN PATH ROUND SECONDS LABEL
# (LABEL: PATH, or null-PATH for the do-nothing round).
pair() { # run path round seconds
    local run=$1 path=$2 round=$3 secs=$4
    if [ $((round % 2)) = 1 ]; then
        $run null "$round" "$secs" "null-$path"
        $run "$path" "$round" "$secs" "$path"
    else
        $run "$path" "$round" "$secs" "$path"
        $run null "$round" "$secs" "null-$path"
    fi
}

# --- figures from RAW (rounds numbered from 1; 0 is the warm-up) ------------------------
ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (!NR) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
rates() { awk -v gw="$1" -v path="$2" -F'\t' '$1 == gw && $2 == path && $3 ~ /^[1-9]/ { print $5 / $6 }' "$RAW"; }
field_median() { awk -v gw="$1" -v path="$2" -v col="$3" -F'\t' '$1 == gw && $2 == path && $3 ~ /^[1-9]/ { print $col }' "$RAW" | median; }
ratios() { # per round: path rate / the paired null rate (the null round of the same driver pair)
    awk -v gw="$1" -v path="$2" -F'\t' '
        $3 !~ /^[1-9]/ || $1 != gw { next }
        { rate = $5 / $6; done = 0
          if (prevround == $3 && $2 == path && prevpath == "null") { print rate / prev; done = 1 }
          else if (prevround == $3 && $2 == "null" && prevpath == path) { print prev / rate; done = 1 }
          # a round pairs with one neighbour only
          prev = rate; prevpath = done ? "" : $2; prevround = $3 }' "$RAW"
}
accepted_msgs() { # gateway path: accepted records over all rounds (warm-up, soak included)
    awk -v gw="$1" -v path="$2" -F'\t' '$1 == gw && $2 == path { s += $11 } END { print s + 0 }' "$RAW"
}
seconds_total() { awk -v gw="$1" -v path="$2" -F'\t' '$1 == gw && $2 == path { s += $6 } END { print s + 0 }' "$RAW"; }
msgs_per_s() { # accepted delivered seconds: min(accepted, delivered) / seconds
    awk -v a="$1" -v d="$2" -v s="$3" 'BEGIN { printf "%.0f", s ? (d < a ? d : a) / s : 0 }'
}
met_ge() { awk -v v="$1" -v t="$2" 'BEGIN { print (v >= t) ? "met" : "**missed**" }'; }
met_le() { awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t) ? "met" : "**missed**" }'; }

# REPORT is made of sections, each between "<!-- bench:NAME begin/end -->"
# lines and written by one script (run.sh: run, compare.sh: compare), so a
# script rewrites its own section and keeps the others.
write_section() { # report name < content
    local report=$1 name=$2 new
    local begin="<!-- bench:$name begin -->" end="<!-- bench:$name end -->"
    new=$(mktemp)
    { echo "$begin"; cat; echo "$end"; } >"$new"
    if [ -f "$report" ] && grep -qxF "$begin" "$report"; then
        awk -v b="$begin" -v e="$end" -v f="$new" '
            $0 == b { while ((getline l < f) > 0) print l; skip = 1; next }
            $0 == e { skip = 0; next }
            !skip' "$report" >"$report.tmp" && mv "$report.tmp" "$report"
    elif [ -s "$report" ]; then
        { echo; cat "$new"; } >>"$report"
    else
        cp "$new" "$report"
    fi
    rm -f "$new"
}

# --- report pieces -----------------------------------------------------------------------
written_by() { # the run's arguments: the report's "Written by" sentence
    echo "Written by \`bash $PROG${*:+ $*}\` on $(date -u '+%Y-%m-%d %H:%M UTC'), commit" \
         "\`$(cd "$SRC" && git rev-parse --short HEAD 2>/dev/null || echo '?')$(cd "$SRC" && git diff --quiet HEAD -- '*.c' '*.h' 2>/dev/null || echo '+changes')\`.${KU_BENCH_NOTE:+ $KU_BENCH_NOTE}"
}
rounds_block() { # legend of RAW's columns (ELAPSED: seconds of load)
    echo "## Rounds"
    echo
    echo "$1:"
    echo
    echo '```'
    cat "$RAW"
    echo '```'
    echo
    echo "Run took ${ELAPSED} s of load, raw output in $DIR/raw."
}
publish() { # section: $DIR/report.md becomes that section of REPORT, and is printed
    write_section "$REPORT" "$1" <"$DIR/report.md"
    cat "$DIR/report.md"
}
