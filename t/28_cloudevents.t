# SPDX-License-Identifier: Apache-2.0
# README "CloudEvents" and "Trace context", against the real broker
# (locations: t/conf/28_cloudevents.inc):
#  - events made and sent by the official CloudEvents SDK (Python, its HTTP
#    binding: t/tools/ce-sdk.py) in binary, structured and batched mode;
#    the records read back with kcat and parsed by the SDK's Kafka binding
#    are the events sent, attribute for attribute, data and key included;
#    the records' own form (ce_ headers, content-type, key) is checked too;
#  - an event without a required attribute, with a bad specversion or a
#    time that is not RFC 3339: 400 naming the attribute; nothing produced;
#  - traceparent and tracestate reach the record whatever the header
#    allow-list; an invalid traceparent is dropped with its tracestate;
#    `generate` gives a request without one a new valid traceparent (in
#    its answer and its record); OpenTelemetry's W3C propagator reads what
#    the consumer gets;
#  - the error log line of a request (a topic the broker lacks) ends with
#    its traceparent: the one generated (as answered) or the valid one it
#    came with; an invalid one is never logged as its trace.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use HttpdLog;
use KafkaTest;
use JSON::PP ();

chomp(my $python = `bash t/tools/ce-venv.sh`);
plan tests => 60, need { 'CloudEvents SDK venv' => -x $python };

my $host = Apache::Test::vars('remote_addr') . ':' . Apache::Test::vars('port');
my $base = "http://$host";
my $ce_topic = 'ku-cloudevents';
my $trace_topic = 'ku-trace';
my $kcat_json = JSON::PP->new->utf8->canonical;

sub post {
    my ($path, $lines, $body) = @_;
    my $head = join "\r\n", "POST $path HTTP/1.1", "Host: $host", @$lines,
        'Content-Length: ' . length($body), 'Connection: close';
    return raw_request($head, $body);
}

# The SDK sends the events of $mode to $path: (status, answer body).
sub sdk_send {
    my ($path, $mode) = @_;
    my @out = `'$python' t/tools/ce-sdk.py send $base$path $mode`;
    chomp @out;
    return ($out[0] // 'no answer', $out[1] // '');
}

# What the SDK's Kafka binding makes of these records, against the events
# of $mode: "equal N" or why not.
sub sdk_compare {
    my ($mode, @records) = @_;
    open(my $fh, '|-', "'$python' t/tools/ce-sdk.py compare $mode > t/logs/ce-compare.out")
        or die "ce-sdk: $!";
    print $fh $kcat_json->encode($_), "\n" for @records;
    close $fh;
    open(my $in, '<', 't/logs/ce-compare.out') or die $!;
    chomp(my $verdict = <$in> // 'no output');
    return $verdict;
}

# OpenTelemetry's propagator on a record's headers.
sub otel_extract {
    my ($record) = @_;
    open(my $fh, '|-', "'$python' t/tools/ce-sdk.py trace > t/logs/ce-trace.out")
        or die "ce-sdk: $!";
    print $fh $kcat_json->encode($record->{headers} // []);
    close $fh;
    open(my $in, '<', 't/logs/ce-trace.out') or die $!;
    chomp(my $verdict = <$in> // 'no output');
    return $verdict;
}

# A record's headers as "name=value" joined by "|".
sub header_list {
    my ($record) = @_;
    my @h = @{ $record->{headers} // [] };
    return join '|', map { "$h[2 * $_]=$h[2 * $_ + 1]" } 0 .. @h / 2 - 1;
}

sub utf8_text { my $s = shift; utf8::decode($s); $s }

# --- binary mode ------------------------------------------------------------------

my $offset = end_offset($ce_topic);
my ($status, $answer) = sdk_send('/ce', 'binary');
ok t_cmp($status, 200, 'binary: the SDK\'s event is accepted');
my $rec = consume_one($ce_topic, $offset);
ok t_cmp($rec && $rec->{key}, 'pk-1', 'binary: partitionkey is the record key');
ok t_cmp(header_list($rec),
         qr/^(?=.*\|?ce_id=ord-1(\||$))(?=.*ce_subject=caf\x{e9} 1)(?=.*ce_comexampleext=v 1; 100% sure)(?=.*content-type=application\/json)(?!.*partitionkey)/,
         'binary: ce_ headers percent-decoded, content-type, no ce_partitionkey');
ok t_cmp($rec && $rec->{payload}, '{"n": 1, "items": ["a", "b"], "note": "na\u00efve"}',
         'binary: the body is the value');
ok t_cmp(sdk_compare('binary', $rec), 'equal 1', 'binary: the SDK reads back the event sent');

# --- structured mode --------------------------------------------------------------

$offset = end_offset($ce_topic);
($status) = sdk_send('/ce', 'structured');
ok t_cmp($status, 200, 'structured: accepted');
$rec = consume_one($ce_topic, $offset);
ok t_cmp(header_list($rec), 'content-type=application/cloudevents+json',
         'structured: Kafka structured mode, content-type the event format');
ok t_cmp($rec && $rec->{payload}, qr/^\{"type": "com\.example\.note".*"data": "hello, Kafka"\}$/,
         'structured: the value is the event as sent');
ok t_cmp(sdk_compare('structured', $rec), 'equal 1', 'structured: the SDK reads back the event');

$offset = end_offset($ce_topic);
($status) = sdk_send('/ce-binary', 'structured');
ok t_cmp($status, 200, 'structured to binary: accepted');
$rec = consume_one($ce_topic, $offset);
ok t_cmp(header_list($rec), qr/^(?=.*ce_id=note-2)(?=.*content-type=text\/plain)(?!.*cloudevents)/,
         'structured to binary: ce_ headers and the data\'s content-type');
ok t_cmp($rec && $rec->{payload}, 'hello, Kafka', 'structured to binary: text data as it is');
ok t_cmp(sdk_compare('structured', $rec), 'equal 1', 'structured to binary: the SDK reads it back');

# --- batched mode -----------------------------------------------------------------

$offset = end_offset($ce_topic);
($status, $answer) = sdk_send('/ce', 'batch');
ok t_cmp($status, 200, 'batch: accepted');
my $results = eval { json->decode($answer)->{results} } // [];
ok t_cmp(join(',', map { "$_->{offset}" } @$results), join(',', $offset, $offset + 1),
         'batch: one result per event, with its offset');
my @recs = consume($ce_topic, $offset, 2);
ok t_cmp(join(',', map { $_->{key} // 'none' } @recs), 'pk-1,none', 'batch: each event\'s key');
ok t_cmp(sdk_compare('batch', @recs), 'equal 2', 'batch: the SDK reads back both events');

$offset = end_offset($ce_topic);
($status) = sdk_send('/ce', 'batch-bytes');
ok t_cmp($status, 200, 'batch with binary data: accepted');
@recs = consume($ce_topic, $offset, 3);
ok t_cmp($recs[2] && $recs[2]->{payload}, qr{"data_base64": ?"AAH\+/yByYXc="},
         'batch with binary data: data_base64 kept');
ok t_cmp(sdk_compare('batch-bytes', @recs), 'equal 3', 'batch with binary data: equal events');

$offset = end_offset($ce_topic);
($status) = sdk_send('/ce-binary', 'batch');
ok t_cmp($status, 200, 'batch to binary: accepted');
@recs = consume($ce_topic, $offset, 2);
ok t_cmp(sdk_compare('batch', @recs), 'equal 2', 'batch to binary: the SDK reads back both');

# The request's own headers stay beside the event's, but none poses as them.
$offset = end_offset($ce_topic);
my $res = post('/ce-binary', ['ce-specversion: 1.0', 'ce-id: e-9', 'ce-source: /s', 'ce-type: t',
                              'Content-Type: text/plain', 'X-Kept: yes'], 'body');
ok t_cmp($res->{status}, 200, 'binary, raw: accepted');
$rec = consume_one($ce_topic, $offset);
ok t_cmp(header_list($rec),
         join('|', 'x-kept=yes', 'ce_specversion=1.0', 'ce_id=e-9', 'ce_source=/s', 'ce_type=t',
              'content-type=text/plain'),
         'binary, raw: allowed headers kept, ce-* and Content-Type as the event\'s only');

# --- bad events: 400 naming the attribute, nothing produced --------------------------

my @ce = ('ce-specversion: 1.0', 'ce-id: b-1', 'ce-source: /s', 'ce-type: t');
my $ev = '"specversion":"1.0","id":"b-2","source":"/s","type":"t"';
my @bad = (
    [ 'no ce-id', [ grep { !/ce-id/ } @ce ], '', 400, qr/'id' missing/ ],
    [ 'specversion 0.3', [ 'ce-specversion: 0.3', @ce[1 .. 3] ], '', 400, qr/'specversion' must be 1\.0/ ],
    [ 'ce-time without T', [ @ce, 'ce-time: 2026-12-05 00:00:00Z' ], '', 400, qr/'time' is not an RFC 3339/ ],
    [ 'ce-time without offset', [ @ce, 'ce-time: 2026-12-05T00:00:00' ], '', 400, qr/'time'/ ],
    [ 'a plain request', [ 'Content-Type: application/json' ], '{}', 400, qr/'specversion' missing/ ],
    [ 'structured without type', [ 'Content-Type: application/cloudevents+json' ],
      '{"specversion":"1.0","id":"x","source":"/s"}', 400, qr/'type' missing/ ],
    [ 'structured with a numeric id', [ 'Content-Type: application/cloudevents+json' ],
      '{"specversion":"1.0","id":7,"source":"/s","type":"t"}', 400, qr/'id' has a value of the wrong type/ ],
    [ 'batch with a bad second event', [ 'Content-Type: application/cloudevents-batch+json' ],
      "[{$ev},{\"specversion\":\"1.0\",\"id\":\"y\",\"type\":\"t\"}]", 400, qr/event 1: .*'source' missing/ ],
    [ 'another event format', [ 'Content-Type: application/cloudevents+avro' ], 'x', 415, qr/JSON event format/ ],
);
$offset = end_offset($ce_topic);
for my $case (@bad) {
    my ($name, $lines, $body, $want, $detail) = @$case;
    $res = post('/ce', $lines, $body);
    ok t_cmp($res->{status}, $want, "bad: $name: status");
    ok t_cmp($res->{body}, $detail, "bad: $name: the answer names it");
}
ok t_cmp(end_offset($ce_topic), $offset, 'bad: nothing produced');

# --- trace context ------------------------------------------------------------------

my $tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
my $ts = 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE';
$offset = end_offset($trace_topic);
$res = post('/trace', [ "traceparent: $tp", "tracestate: $ts", 'X-Kept: 1', 'X-Other: 2' ], '{}');
$rec = consume_one($trace_topic, $offset);
ok t_cmp(header_list($rec), "x-kept=1|traceparent=$tp|tracestate=$ts",
         'trace: traceparent and tracestate forwarded beside the allow-list');
ok t_cmp(otel_extract($rec), "valid 4bf92f3577b34da6a3ce929d0e0e4736 00f067aa0ba902b7 01 $ts",
         'trace: OpenTelemetry\'s propagator continues the trace');

for my $invalid ('00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
                 '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
                 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01') {
    $offset = end_offset($trace_topic);
    $res = post('/trace', [ "traceparent: $invalid", "tracestate: $ts", 'X-Kept: 1' ], '{}');
    $rec = consume_one($trace_topic, $offset);
    ok t_cmp(header_list($rec), 'x-kept=1', "trace: invalid $invalid dropped with its tracestate");
}

$offset = end_offset($trace_topic);
$res = post('/trace-generate', [], '{}');
my $made = $res->{headers}{traceparent} // '';
ok t_cmp($made, qr/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/, 'generate: the answer carries a new traceparent');
$rec = consume_one($trace_topic, $offset);
ok t_cmp(header_list($rec), "traceparent=$made", 'generate: the record carries the same');
ok t_cmp(otel_extract($rec), qr/^valid \Q@{[substr($made, 3, 32)]}\E /,
         'generate: OpenTelemetry\'s propagator takes it');

$offset = end_offset($trace_topic);
$res = post('/trace-generate', [ "traceparent: $tp" ], '{}');
$rec = consume_one($trace_topic, $offset);
ok t_cmp(header_list($rec) . ' answer:' . ($res->{headers}{traceparent} // 'none'),
         "traceparent=$tp answer:none", 'generate: a valid traceparent is kept, none made');

$offset = end_offset($trace_topic);
$res = post('/trace-generate', [ 'traceparent: garbage', "tracestate: $ts" ], '{}');
$made = $res->{headers}{traceparent} // '';
$rec = consume_one($trace_topic, $offset);
ok t_cmp(header_list($rec), qr/^traceparent=00-[0-9a-f]{32}-[0-9a-f]{16}-01$/,
         'generate: an invalid one is replaced, its tracestate dropped');

$offset = end_offset($trace_topic);
$res = post('/trace-off', [ "traceparent: $tp" ], '{}');
$rec = consume_one($trace_topic, $offset);
ok t_cmp(header_list($rec), '', 'off: not forwarded (record headers are Off there)');

# --- the request's error log lines carry its traceparent --------------------------

# The KU00007 lines one request to $path wrote: (its answer, those lines).
sub logged_failure {
    my ($path, @lines) = @_;
    my $from = log_size();
    my $res = post($path, \@lines, '{}');
    my $line = wait_for_log($from, qr/KU00007: .*ku-trace-missing/, 10);
    chomp $line;
    return ($res, $line);
}

my $line;
($res, $line) = logged_failure('/trace-missing');
$made = $res->{headers}{traceparent} // 'none';
ok t_cmp($res->{status} . ' ' . $made, qr/^502 00-[0-9a-f]{32}-[0-9a-f]{16}-01$/,
         'log: the error answer carries the traceparent made');
ok t_cmp($line, qr/KU00007: .* \(traceparent \Q$made\E\)$/,
         'log: the request\'s error line ends with the traceparent it was answered');

($res, $line) = logged_failure('/trace-missing', "traceparent: $tp");
ok t_cmp($line, qr/ \(traceparent \Q$tp\E\)$/, 'log: generate keeps and logs a valid incoming one');

($res, $line) = logged_failure('/trace-missing-forward', "traceparent: $tp");
ok t_cmp($line, qr/ \(traceparent \Q$tp\E\)$/, 'log: forward logs the incoming one too');

my $invalid = '00-00000000000000000000000000000000-00f067aa0ba902b7-01';
($res, $line) = logged_failure('/trace-missing-forward', "traceparent: $invalid");
ok t_cmp($line, qr/^(?!.*traceparent).*KU00007: /, 'log: forward: an invalid one is not logged');

($res, $line) = logged_failure('/trace-missing', "traceparent: $invalid");
$made = $res->{headers}{traceparent} // 'none';
ok t_cmp($line, qr/^(?!.*\Q$invalid\E).* \(traceparent \Q$made\E\)$/,
         'log: generate: an invalid one is replaced in the log by the one made');
