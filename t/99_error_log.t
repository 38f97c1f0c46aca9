# SPDX-License-Identifier: Apache-2.0
# The whole error log of this run holds no unexpected error: runs last
# (t/run-tests.sh appends it to a KU_TESTS list), reads every line the
# server wrote so far and fails on any line at level error, crit, alert or
# emerg, and on any crash line at whatever level (a child's exit signal, a
# sanitizer report), unless an entry of the allow-list below matches it.
# Each entry is a line some test provokes on purpose; its comment names
# that test. A new error line a change brings in fails this file until it
# is understood: then it is fixed, or added here with the test that causes it.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use HttpdLog;

plan tests => 1;

my @allowed = (
    # Brokers nobody listens on (127.0.0.1:1: /sync-unreachable,
    # /async-unreachable, /cluster-down, whose producers start with every
    # child): t/04_sync.t, t/22_split_clusters.t, t/90_child_exit.t. Brokers
    # stopped, killed or restarted on purpose: t/40_faults.t, t/42_failover.t,
    # t/43_spool.t. librdkafka says so through KU00004.
    qr/KU00004: librdkafka FAIL: .*(Connection refused|request\(s\) timed out: disconnect|Receive failed|Disconnected|Connection reset by peer)/,
    # Failed logins and TLS on purpose (wrong password, unknown user,
    # untrusted certificate, hostname mismatch, no client certificate,
    # SCRAM to Kafka 4 from librdkafka < 2.6.1, bad tokens): t/08_security.t,
    # t/09_tokens.t, t/13_oauth.t.
    qr/KU00004: librdkafka FAIL: .*(SASL authentication error|SASL \S+ mechanism handshake failed|SSL handshake failed|tls_post_process_server_certificate)/,
    # The token endpoint refusing the client, untrusted, or down: t/13_oauth.t.
    qr/KU00004: librdkafka OIDC: .*Failed to retrieve OIDC token/,
    # The fatal error the test-only module raises, and the module's own
    # line about it: t/41_fatal.t.
    qr/KU00004: librdkafka FATAL: .*test_fatal_error: raised by the test hook/,
    qr/KU00002: producer \/fatal \(.*\) failed fatally: test_fatal_error: raised by the test hook/,
    # librdkafka before 2.3.0 failing an idempotent producer after the broker
    # restart of t/40_faults.t (PR #4438; that test checks which librdkafka).
    qr/KU00004: librdkafka FATAL: .*Fatal error: Broker: Broker received an out of order sequence number: ProduceRequest for ku-fault-(?:sync|async) .*sequence desynchronization/,
    qr/KU00002: producer \/faults-(?:sync|async) \(.*\) failed fatally: .*sequence desynchronization/,
    # Requests answered with an error the tests ask for: a missing topic,
    # unreachable or unauthenticated brokers, a full queue (t/04_sync.t,
    # t/05_queue_full.t, t/08_security.t, t/09_tokens.t, t/13_oauth.t,
    # t/22_split_clusters.t, t/28_cloudevents.t (ku-trace-missing, its
    # traceparent at the end), t/40_faults.t, t/43_spool.t).
    qr/KU00007: answered \d+ for topic \S+: /,
    # rest-v2 records refused on purpose: an unknown topic and partitions
    # that do not exist (t/25_rest_v2.t).
    qr/KU00063: rest-v2 record for topic ku-rest-v2(?:-missing)? answered 404\d\d: (?:Topic|Partition) not found\./,
    # Message functions that fail or go beyond a bound on purpose: t/27_lua.t.
    qr/KU0006[678]: KafkaUpstreamMessageLua: message function (?:failed|exceeded its (?:instruction|memory) limit) \(.*\), nothing produced/,
    # rest-v3 records refused on purpose: bad base64, an unknown partition and
    # topic, one record too many, malformed JSON after a record, a record
    # with too many headers in a request carrying a traceparent (t/26_rest_v3.t).
    qr/KU00071: rest-v3 record for topic ku-rest-v3(?:-missing)? answered (?:400: (?:value\.data: not a base64 string|the body is not JSON)|40403: This server does not host this topic-partition\.|413: (?:more than 5 records in one request|too many record headers: at most 6 per record(?: \(traceparent 00-[0-9a-f]{32}-[0-9a-f]{16}-01\))?))$/,
    # rest-v3 AVRO, JSONSCHEMA and PROTOBUF records refused on purpose: data
    # the schema refuses, an unknown schema id, a schema of another type or
    # without the record name its strategy needs, a record-name strategy
    # without a schema, no registry (t/26_rest_v3.t).
    qr/KU00071: rest-v3 record for topic ku-rest-v3 answered (?:400: (?:Error serializing message: |Invalid schema: |value: subject_name_strategy RECORD_NAME needs schema_id or schema$)|42206: Payload error\. Schema Registry must be configured)/,
    # Async messages the broker outage made undeliverable: t/40_faults.t,
    # t/43_spool.t, t/90_child_exit.t.
    qr/KU00001: \d+ accepted message\(s\) could not be delivered by producer /,
    # The misconfigured /no-topic Location: t/03_errors.t, t/50_status.t; and
    # the rate limiter's count of held-back lines, any tag's (a producer's
    # limiter is named "KU00004 (producer ...)", the spool's "KU00046
    # (spool)"), at the level of the lines it held back.
    qr/KU00008: kafka-upstream handler without KafkaUpstreamBootstrapServers and KafkaUpstreamTopic for \/no-topic/,
    qr/KU00016: \d+ KU000\d\d(?: \(.*\))? line\(s\) were not logged in the last \d+ s/,
    # A wrong password for the basic-auth Location: t/21_headers_format.t,
    # t/12_no_walk.t.
    qr/AH01617: user ku-tester: authentication failure for /,
    # KafkaUpstream directives refused in .htaccess: t/11_htaccess.t.
    qr{/ku-htaccess/\.htaccess: KafkaUpstream\w+ not allowed here},
    # The unreadable .htaccess a walking request meets: t/12_no_walk.t.
    qr{AH00529: .*/ku-nowalk/\.htaccess pcfg_openfile: unable to check htaccess file},
    # `Require all denied` in a Location of ours: t/12_no_walk.t.
    qr{AH01630: client denied by server configuration: .*/ku-nowalk/denied},
    # The spool's dead letters for a topic the broker lacks, and the spool
    # filled on purpose: t/43_spool.t.
    qr/KU00049: spool: a record for topic ku-spool-missing refused for good/,
    qr/KU00046: spool \S+: full \(max-size reached\): answered 503/,
    # mpm_event closing a keep-alive connection while the server stops or
    # restarts under load, as t/40_faults.t and t/43_spool.t make it.
    qr/AH03093: process_socket: apr_pollset_add failure for keep alive/,
    # Requests httpd itself refuses, from the bad-input corpus: t/30_bad_input.t.
    qr{AH10244: invalid URI path \(/corpus/},
    # Schemas the module refuses on purpose (an unsupported JSON Schema
    # keyword, a broken schema): t/60_schema_registry.t, whose subjects are
    # all named ku-sr-*.
    qr/KU00036: subject ku-sr-\S+ version \S+ cannot be used: /,
    # A message= the PROTOBUF schema lacks: t/61_protobuf.t.
    qr/KU00036: subject ku-pb-order-value version latest cannot be used: Protobuf schema id \d+: the schema has no message ku\.shop\.Nope/,
    # mpm_prefork, which has 3 processes in Apache::Test's configuration,
    # when the load and fault tests keep all of them busy (t/40_faults.t,
    # t/43_spool.t, t/50_status.t's pinned keep-alive connection).
    qr/AH00161: server reached MaxRequestWorkers setting/,
    # httpd stopping while children are busy flushing: the stops under load
    # of t/40_faults.t and t/43_spool.t; under the sanitizers children exit
    # slowly enough for httpd to SIGKILL one (the spool test covers kills).
    qr/AH00046: child process \d+ still did not exit, sending a SIGKILL/,
    # mpm_event while 20 graceful restarts follow each other: t/40_faults.t,
    # t/43_spool.t.
    qr/AH03490: scoreboard is full, not at MaxRequestWorkers/,
);

my $error = qr/^\[[^\]]+\] \[[\w.]*:(?:error|crit|alert|emerg)\]/;
my $crash = qr/exit signal|Segmentation fault|AH0005[12]:|double free|core dump|AddressSanitizer|runtime error:/;

my (%unexpected, $count);
for my $line (log_lines_since(0)) {
    next unless $line =~ $error || $line =~ $crash;
    next if grep { $line =~ $_ } @allowed;
    $count++;
    # One example of each kind: the line without its time, pid and numbers.
    (my $kind = $line) =~ s/^\[[^\]]+\] //;
    $kind =~ s/\[pid [^\]]+\] |\[client [^\]]+\] //g;
    $kind =~ s/\d+/N/g;
    $unexpected{$kind} //= $line;
}
my @examples = sort values %unexpected;
splice @examples, 20;
print STDERR "# unexpected: $_" for @examples;
ok t_cmp($count // 0, 0, 'no unexpected error or crash line in the error log ('
         . scalar(keys %unexpected) . ' kind(s))');
