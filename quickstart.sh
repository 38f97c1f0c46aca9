#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# mod_kafka_upstream in one command, on a fresh Debian 12, as root:
# installs the build dependencies (apt), builds and installs the module,
# starts a local Kafka broker (jars from Maven Central) and a private httpd
# (its own config and logs, not the system apache2), sends one request and
# shows the Kafka message it became and the status page's URL. Both stay
# running for you to play with.
#
#   ./quickstart.sh         do all that (stops what an earlier run left first)
#   ./quickstart.sh stop    stop that httpd and broker and remove their files
#
# Environment: KU_KAFKA_PORT (19092) and KU_KAFKA_CONTROLLER_PORT (19093), the
# broker's ports; KU_QS_HTTP_PORT (8080), httpd's; KU_QS_DIR (/tmp/ku-quickstart),
# where the broker's data, the httpd config and all logs go; KU_QS_SKIP_DEPS=1
# skips the apt step (t/install-deps.sh). KU_KAFKA_HOME etc.: see t/kafka/kafka.sh.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DIR=$(realpath -m "${KU_QS_DIR:-/tmp/ku-quickstart}")
export KU_KAFKA_PORT=${KU_KAFKA_PORT:-19092}
export KU_KAFKA_CONTROLLER_PORT=${KU_KAFKA_CONTROLLER_PORT:-19093}
export KU_KAFKA_DIR=$DIR/kafka
HTTP_PORT=${KU_QS_HTTP_PORT:-8080}
BOOTSTRAP=127.0.0.1:$KU_KAFKA_PORT
KAFKA=$SRC/t/kafka/kafka.sh
CONF=$DIR/httpd/httpd.conf
MARK=$DIR/.ku-quickstart   # only a dir holding this is ever removed
TOPIC=events
STARTED=$(date +%s)

if [ -t 1 ]; then B=$'\033[1m' N=$'\033[0m'; else B='' N=''; fi
say() { printf '%s==> %s%s\n' "$B" "$*" "$N"; }
die() { printf 'quickstart.sh: %s\n' "$*" >&2; exit 1; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# run CMD...: CMD's output goes to $LOG; on failure, show the end of it and stop.
run() {
    local from
    from=$(( $(stat -c %s "$LOG") + 1 ))
    if ! "$@" >>"$LOG" 2>&1; then
        printf '\nquickstart.sh: failed: %s\n---- end of its output (all of it: %s)\n' "$*" "$LOG" >&2
        tail -c +"$from" "$LOG" | tail -n 30 >&2
        exit 1
    fi
}

# The httpd of an earlier run: its pid, if it is still an apache2 started with $CONF.
httpd_pid() {
    local pid
    pid=$(cat "$DIR/httpd/httpd.pid" 2>/dev/null) || return 1
    tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF "$CONF" && echo "$pid"
}

stop_all() {
    local pid did=
    if pid=$(httpd_pid); then
        # -k stop parses the config: if that fails (module changed since), signal it.
        apache2 -f "$CONF" -k stop >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
        # Children flush their Kafka queue (KafkaUpstreamShutdownTimeout) first.
        for _ in $(seq 100); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
        [ ! -d "/proc/$pid" ] || kill -KILL "$pid" 2>/dev/null || true
        echo "stopped httpd (pid $pid)"; did=1
    fi
    if [ -f "$KU_KAFKA_DIR/kafka.pid" ]; then
        bash "$KAFKA" stop && echo "stopped Kafka ($KU_KAFKA_DIR)"; did=1
    fi
    if [ -f "$MARK" ]; then
        rm -rf "$DIR" && echo "removed $DIR"; did=1
    elif [ -e "$DIR" ]; then
        die "$DIR was not made by quickstart.sh; not removing it (set KU_QS_DIR)"
    fi
    [ -n "$did" ] || echo "nothing to stop"
}

[ "$(id -u)" = 0 ] || die "run me as root (I apt-get install and make install)"

case ${1:-} in
    stop) stop_all; exit 0 ;;
    "") ;;
    *) sed -n '3,/^set -e/{/^set -e/d;s/^# \{0,1\}//p}' "$0" >&2; exit 2 ;;
esac

stop_all >/dev/null
for p in "$KU_KAFKA_PORT:KU_KAFKA_PORT" "$KU_KAFKA_CONTROLLER_PORT:KU_KAFKA_CONTROLLER_PORT" \
         "$HTTP_PORT:KU_QS_HTTP_PORT"; do
    ! port_open "${p%%:*}" || die "port ${p%%:*} on 127.0.0.1 is in use: choose another with ${p#*:}=..."
done

mkdir -p "$DIR/httpd/htdocs" && touch "$MARK"
LOG=$DIR/quickstart.log
: >"$LOG"
cd "$SRC"

if [ "${KU_QS_SKIP_DEPS:-0}" != 1 ]; then
    say "Installing build dependencies, Kafka tools and apache2 (apt-get)"
    run bash t/install-deps.sh
fi

say "Building mod_kafka_upstream"
run autoreconf -fi
run ./configure
run make -j"$(nproc)"
run make install
MODDIR=$(apxs -q LIBEXECDIR)
echo "    installed $MODDIR/mod_kafka_upstream.so (+ a2enmod files in $(apxs -q SYSCONFDIR)/mods-available)"

if [ ! -f "${KU_KAFKA_HOME:-$HOME/.cache/mod_kafka_upstream/kafka}/libs/.complete" ]; then
    say "Fetching Kafka from Maven Central (first run only)"
fi
run bash "$KAFKA" fetch
say "Starting Kafka on $BOOTSTRAP, creating topic '$TOPIC'"
run bash "$KAFKA" start
run bash "$KAFKA" create-topics "$TOPIC"

say "Starting httpd on 127.0.0.1:$HTTP_PORT"
cat >"$CONF" <<EOF
# Written by quickstart.sh: a private httpd, independent of /etc/apache2.
ServerRoot $DIR/httpd
DefaultRuntimeDir $DIR/httpd
PidFile $DIR/httpd/httpd.pid
ErrorLog $DIR/httpd/error.log
LogLevel warn kafka_upstream:info
LogFormat "%h %t \"%r\" %>s %b" common
CustomLog $DIR/httpd/access.log common
ServerName 127.0.0.1
Listen 127.0.0.1:$HTTP_PORT
DocumentRoot $DIR/httpd/htdocs
# Started as root, it serves as www-data like Debian's apache2.
User www-data
Group www-data

LoadModule mpm_event_module $MODDIR/mod_mpm_event.so
LoadModule authz_core_module $MODDIR/mod_authz_core.so
LoadModule authz_host_module $MODDIR/mod_authz_host.so
LoadModule kafka_upstream_module $MODDIR/mod_kafka_upstream.so

<Location /events>
    SetHandler kafka-upstream
    Require all granted
    KafkaUpstreamBootstrapServers $BOOTSTRAP
    KafkaUpstreamTopic $TOPIC
    KafkaUpstreamForwardMethod On
    KafkaUpstreamForwardURI On
    KafkaUpstreamForwardHeaders On
</Location>

# The status page (README: Status page): JSON, or Prometheus text with
# ?format=prometheus; loopback only.
<Location /kafka-upstream-status>
    SetHandler kafka-upstream-status
    Require local
</Location>
EOF
run apache2 -f "$CONF" -t
run apache2 -f "$CONF" -k start
for _ in $(seq 100); do port_open "$HTTP_PORT" && break; sleep 0.1; done
port_open "$HTTP_PORT" || { tail -n 20 "$DIR/httpd/error.log" >&2; die "httpd did not start"; }

URL="http://127.0.0.1:$HTTP_PORT/events?source=quickstart"
BODY='{"hello":"kafka"}'
echo
echo "\$ curl -sS -i -X POST '$URL' -H 'Content-Type: application/json' -d '$BODY'"
curl -sS -i -X POST "$URL" -H 'Content-Type: application/json' -d "$BODY" \
    | tr -d '\r' | grep -iv '^\(date\|server\):'
echo

# Async (the default): the 200 came once the message was queued; it reaches the
# broker within KafkaUpstreamAsyncFlushTimeout (1 s), so wait for it, not for -e.
msg=$(timeout 20 kcat -C -b "$BOOTSTRAP" -t "$TOPIC" -o beginning -c 1 -q \
      -f 'topic %t, partition %p, offset %o\n%s') || true
[ -n "$msg" ] || { tail -n 20 "$DIR/httpd/error.log" >&2; die "no message arrived in topic $TOPIC"; }
echo "\$ kcat -C -b $BOOTSTRAP -t $TOPIC -o beginning -c 1"
printf '%sThe Kafka message it became%s (%s):\n' "$B" "$N" "${msg%%$'\n'*}"
payload=${msg#*$'\n'}
if command -v python3 >/dev/null; then
    python3 -m json.tool <<<"$payload"
elif command -v json_pp >/dev/null; then
    json_pp -json_opt pretty,canonical <<<"$payload"
else
    echo "$payload"
fi

STATUS_URL="http://127.0.0.1:$HTTP_PORT/kafka-upstream-status"
prometheus=$(curl -sS "$STATUS_URL?format=prometheus" \
             | grep -m1 '^kafka_upstream_messages_delivered_total' || echo "(no answer)")
cat <<EOF

Done in $(( $(date +%s) - STARTED )) s. Still running, for you to try:
  Kafka  $BOOTSTRAP   (data and log: $KU_KAFKA_DIR)
  httpd  127.0.0.1:$HTTP_PORT  (config and logs: $DIR/httpd)
  send:     curl -sS -X POST '$URL' -H 'Content-Type: application/json' -d '{"n":2}'
  consume:  kcat -C -b $BOOTSTRAP -t $TOPIC -o beginning -e
  stop both: ${KU_QS_DIR:+KU_QS_DIR=$DIR }$0 stop
  status:   $STATUS_URL   (JSON; ?format=prometheus for Prometheus), e.g.
            $prometheus
EOF
