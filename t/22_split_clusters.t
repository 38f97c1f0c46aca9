# SPDX-License-Identifier: Apache-2.0
# README "Beyond Kong", against the real brokers (Locations in t/conf/22_split_clusters.inc):
# - KafkaUpstreamSplit ndjson|json-array: each line / array element is one
#   record (the body of its envelope, or the whole value in raw format);
#   sync: 200 with each record's topic/partition/offset when all were
#   acknowledged, 207 with per-record results when some failed, the first
#   failure's status when all did; a bad body is a 400 and nothing is
#   produced; async: 200 and every record arrives.
# - KafkaUpstreamIdempotence On: sync produce works, each record arrives
#   once, and the broker tracks the writes as an idempotent producer's.
# - KafkaUpstreamErrorDetail: librdkafka's text appended to "error" (README "Responses").
# - KafkaUpstreamClusterName: the producer's log lines carry the name.
# - Several clusters: each Location reaches its own broker (Kafka 4.1.1 and
#   3.9.1), and a sync request to an unreachable cluster does not hold up a
#   request to a healthy one.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use Apache::TestRequest qw(POST);
use IO::Socket::INET ();
use POSIX qw(WNOHANG);
use lib 't/lib';
use KafkaTest;
use HttpdLog;

my $split = 'ku-split';
my $missing = 'ku-no-such-topic';   # not on the broker; auto-create is off
my $k4 = broker();
my $k3 = $ENV{KU_KAFKA3} or die "KU_KAFKA3 is not set: run t/run-tests.sh\n";
my $hostport = Apache::Test::vars('remote_addr') . ':' . Apache::Test::vars('port');

# --- tables -------------------------------------------------------------------

# Sync splits where every record is acknowledged: name, path, body, the
# values expected on ku-split in order (a string: the raw value, a hash:
# the envelope).
my @ok_cases = (
    [ 'ndjson, envelope; blank and CRLF lines',
      '/split-ndjson', qq({"n":1}\n\n  \t\n{"n": 2, "s":"a b"}\r\n[3,4]\n"str"\n),
      [ { body => '{"n":1}', body_args => { n => 1 } },
        { body => '{"n": 2, "s":"a b"}', body_args => { n => 2, s => 'a b' } },
        { body => '[3,4]', body_args => [3, 4] },
        { body => '"str"', body_args => 'str' } ] ],
    [ 'json-array, envelope',
      '/split-array', qq([{"n":1},{"n":2,"s":"a b"},[3,4],"str",7]),
      [ { body => '{"n":1}', body_args => { n => 1 } },
        { body => '{"n":2,"s":"a b"}', body_args => { n => 2, s => 'a b' } },
        { body => '[3,4]', body_args => [3, 4] },
        { body => '"str"', body_args => 'str' },
        { body => '7', body_args => 7 } ] ],
    [ 'ndjson, raw: each line byte for byte, no last newline',
      '/split-ndjson-raw', qq({"a": 1}\n\n{"b":[1, 2]}\r\n"x y"),
      [ '{"a": 1}', '{"b":[1, 2]}', '"x y"' ] ],
    [ 'json-array, raw: each element',
      '/split-array-raw', qq([{"a":1},{"b":[1,2]},"x y",true]),
      [ '{"a":1}', '{"b":[1,2]}', '"x y"', 'true' ] ],
);

# Refused bodies: name, path, body, the error. Nothing may be produced.
my @bad_cases = (
    [ 'ndjson: malformed line 3 (after a good line and a blank one)',
      '/split-ndjson', qq({"a":1}\n\n{"a":\n{"b":2}\n), 'invalid JSON on line 3' ],
    [ 'ndjson: trailing garbage on line 2',
      '/split-ndjson', qq({"a":1}\n{"a":1} x\n), 'invalid JSON on line 2' ],
    [ 'ndjson: empty body', '/split-ndjson', '', 'no records in the body' ],
    [ 'ndjson: blank lines only', '/split-ndjson', "\n  \n\r\n", 'no records in the body' ],
    [ 'json-array: an object, not an array',
      '/split-array', '{"a":1}', 'JSON body is not an array' ],
    [ 'json-array: malformed', '/split-array', '[{"a":1},', 'invalid JSON body' ],
    [ 'json-array: empty array', '/split-array', '[]', 'no records in the body' ],
    [ 'json-array: empty body', '/split-array', '', 'no records in the body' ],
);

# Per section: 207 (6), all failed (2), async (4), idempotence (4), error
# detail (4), cluster name (1), two clusters (6), unreachable cluster (5).
plan tests => 4 * @ok_cases + 2 * @bad_cases + 6 + 2 + 4 + 4 + 4 + 1 + 6 + 5, need_lwp;

# --- helpers ------------------------------------------------------------------

sub post_json {
    my ($path, $body, $type) = @_;
    return POST $path, content => $body, 'Content-Type' => $type // 'application/json';
}

sub answer_of {
    my ($res) = @_;
    return eval { json->decode($res->content) } // { unparsed => $res->content };
}

# The value of a consumed record, to compare with a table's expectation.
sub value_as {
    my ($record, $expected) = @_;
    return undef unless $record;
    return $record->{payload} unless ref $expected;
    return json->encode(decode_value($record));
}

sub expected_as { ref $_[0] ? json->encode($_[0]) : $_[0] }

# Topics that the broker does not know (auto-create is off).
sub topic_absent {
    my ($topic) = @_;
    my $meta = `kcat -L -b $k4 -t $topic 2>&1`;
    return $meta =~ /Broker: Unknown topic or partition|0 partitions/ ? 'absent' : $meta;
}

# --- 1. split: all acknowledged ---------------------------------------------------

for my $case (@ok_cases) {
    my ($name, $path, $body, $values) = @$case;
    my $before = end_offset($split);
    my $res = post_json($path, $body, $path =~ /ndjson/ ? 'application/x-ndjson' : undef);
    ok t_cmp($res->code, 200, "$name: 200");
    my $answer = answer_of($res);
    my @results = @{ $answer->{results} // [] };
    ok t_cmp(json->encode([ map { { topic => $_->{topic}, status => $_->{status},
                                    partition => $_->{partition} } } @results ]),
             json->encode([ map { { topic => $split, status => 200, partition => 0 } } @$values ]),
             "$name: one acknowledged result per record");
    my @got = map { value_as(consume_one($split, $_->{offset} // -1, timeout => 10),
                             $values->[0]) } @results;
    ok t_cmp(json->encode(\@got), json->encode([ map { expected_as($_) } @$values ]),
             "$name: the record at each result's offset is that element");
    ok t_cmp(end_offset($split), $before + @$values, "$name: exactly one record per element");
}

# --- 2. split: refused bodies --------------------------------------------------------

for my $case (@bad_cases) {
    my ($name, $path, $body, $error) = @$case;
    my $before = end_offset($split);
    my $res = post_json($path, $body, $path =~ /ndjson/ ? 'application/x-ndjson' : undef);
    ok t_cmp($res->code . ' ' . json->encode(answer_of($res)),
             '400 ' . json->encode({ message => 'Bad Request', error => $error }),
             "$name: 400 with the error");
    ok t_cmp(end_offset($split), $before, "$name: nothing produced");
}

# --- 3. split: some records fail (207), all fail ------------------------------------

{
    my $name = 'ndjson to ku-split and a missing topic';
    my @lines = ('{"part":1}', '{"part":2}');
    my $before = end_offset($split);
    my $res = post_json("/split-ndjson?topics=$split,$missing", join("\n", @lines) . "\n",
                        'application/x-ndjson');
    ok t_cmp($res->code, 207, "$name: 207");
    my $answer = answer_of($res);
    ok t_cmp($answer->{message}, 'Multi-Status', "$name: message");
    my @results = @{ $answer->{results} // [] };
    # Records in order: each line to each topic.
    ok t_cmp(json->encode([ map { { %$_, offset => defined $_->{offset} ? 'N' : undef } } @results ]),
             json->encode([ map { ({ topic => $split, status => 200, partition => 0, offset => 'N' },
                                   { topic => $missing, status => 502, error => 'unknown topic',
                                     offset => undef }) } @lines ]),
             "$name: per-record results, 200 for ku-split, 502 unknown topic for the other");
    my @got = map { decode_value(consume_one($split, $_->{offset}, timeout => 10))->{body} }
              grep { $_->{status} == 200 } @results;
    ok t_cmp(json->encode(\@got), json->encode(\@lines),
             "$name: the acknowledged records are on ku-split at their offsets");
    ok t_cmp(end_offset($split), $before + @lines, "$name: nothing else on ku-split");
    ok t_cmp(topic_absent($missing), 'absent', "$name: the missing topic was not created");
}

{
    my $name = 'json-array to the missing topic only';
    my $res = post_json("/split-array?topics=$missing", '[1,2,3]');
    ok t_cmp($res->code . ' ' . json->encode(answer_of($res)),
             '502 ' . json->encode({ message => 'Bad Gateway', error => 'unknown topic' }),
             "$name: no record acknowledged: the first failure's status and error");
    ok t_cmp(topic_absent($missing), 'absent', "$name: the missing topic was not created");
}

# --- 4. split, async --------------------------------------------------------------------

{
    my $name = 'ndjson, async';
    my @lines = ('{"async":1}', '{"async":2}', '{"async":3}');
    my $before = end_offset($split);
    my $res = post_json('/split-async', join("\n", @lines), 'application/x-ndjson');
    ok t_cmp($res->code, 200, "$name: 200");
    ok t_cmp(json->encode(answer_of($res)),
             json->encode({ message => 'message sent',
                            results => [ map { { topic => $split, status => 200 } } @lines ] }),
             "$name: each record accepted (no offsets: not acknowledged yet)");
    my @got = map { decode_value($_)->{body} } consume($split, $before, scalar @lines, timeout => 10);
    ok t_cmp(json->encode(\@got), json->encode(\@lines), "$name: all records arrive, in order");
    ok t_cmp(end_offset($split), $before + @lines, "$name: and nothing more");
}

# --- 5. idempotence ------------------------------------------------------------------------

# The broker's view of the idempotent producers that wrote ku-idem:0
# (Kafka's DescribeProducers, with the broker's own tools): producer id ->
# last sequence number. A producer without idempotence is not listed.
sub idempotent_producers {
    my $libs = ($ENV{KU_KAFKA_HOME} // "$ENV{HOME}/.cache/mod_kafka_upstream/kafka") . '/libs';
    my $out = `java -cp '$libs/*' org.apache.kafka.tools.TransactionsCommand --bootstrap-server $k4 describe-producers --topic ku-idem --partition 0 2>/dev/null`;
    die "describe-producers: $out" unless $out =~ /^ProducerId\s+ProducerEpoch/;
    my %last;
    $last{$1} = $2 while $out =~ /^(\d+)\s+\d+\s+-?\d+\s+(-?\d+)\s/mg;
    return \%last;
}

{
    my $name = 'idempotent producer';
    my $before = end_offset('ku-idem');
    my $known = idempotent_producers();
    my @bodies = map { "idempotent $_" } 1 .. 3;
    my @codes = map { POST('/idempotent', content => $_, 'Content-Type' => 'text/plain') }
                @bodies;
    ok t_cmp(join(' ', map { $_->code } @codes), '200 200 200', "$name: acknowledged");
    my @got = map { decode_value(consume_one('ku-idem', $_->header('Kafka-Offset') // -1,
                                             timeout => 10))->{body} } @codes;
    ok t_cmp(json->encode(\@got), json->encode(\@bodies),
             "$name: each record at the offset its answer gave");
    ok t_cmp(end_offset('ku-idem'), $before + @bodies, "$name: each record arrived once");
    # Each new producer numbered its records from 0: together, 3 records.
    my $now = idempotent_producers();
    my @new = grep { !exists $known->{$_} } keys %$now;
    my $written = 0;
    $written += $now->{$_} + 1 for @new;
    ok t_cmp(scalar(@new) . " new, $written records",
             qr/^[1-9]\d* new, 3 records$/,
             "$name: the broker tracked these writes as an idempotent producer's (sequence numbers)");
}

# --- 6. error detail ------------------------------------------------------------------------

{
    my $res = POST '/error-detail-on', content => 'x', 'Content-Type' => 'text/plain';
    ok t_cmp($res->code . ' ' . json->encode(answer_of($res)),
             '502 ' . json->encode({ message => 'Bad Gateway',
                                     error => 'unknown topic: Broker: Unknown topic or partition' }),
             'ErrorDetail On: librdkafka\'s text appended');
    # Once the producer knows the topic is missing, librdkafka refuses the
    # next message itself; the answer still gives the broker's words.
    $res = POST '/error-detail-on', content => 'x', 'Content-Type' => 'text/plain';
    ok t_cmp($res->code . ' ' . (answer_of($res)->{error} // ''),
             qr/^502 unknown topic: Broker: Unknown topic or partition$/,
             'ErrorDetail On, again: 502 with librdkafka\'s text');
    $res = POST '/error-detail-off', content => 'x', 'Content-Type' => 'text/plain';
    ok t_cmp($res->code . ' ' . json->encode(answer_of($res)),
             '502 ' . json->encode({ message => 'Bad Gateway', error => 'unknown topic' }),
             'ErrorDetail Off: the short error only');
    ok t_cmp(topic_absent('ku-missing-detail-on') . ' ' . topic_absent('ku-missing-detail-off'),
             'absent absent', 'error detail: nothing produced, no topic created');
}

# --- 7. cluster name ------------------------------------------------------------------------

# Nothing listens on 127.0.0.1:1: the producer made at child start reports it.
ok t_cmp(wait_for_log(0, qr/KU00003: producer \/cluster-down \(/, 10),
         qr/KU00003: producer \/cluster-down \(nowhere 127\.0\.0\.1:1\): /,
         'ClusterName: the producer\'s log lines carry the cluster name');

# --- 8. several clusters ------------------------------------------------------------------

# Posts $body to $path, which must reach $on (and not $off): ku-clusters'
# end offsets on both brokers before and after, and the record itself.
sub check_cluster {
    my ($name, $path, $on, $off) = @_;
    my $body = "to $name " . time . " $$";
    my %before = (on => end_offset('ku-clusters', 0, $on), off => end_offset('ku-clusters', 0, $off));
    my $res = POST $path, content => $body, 'Content-Type' => 'text/plain';
    ok t_cmp($res->code, 200, "$name: acknowledged");
    my $rec = consume_one('ku-clusters', $res->header('Kafka-Offset') // -1,
                          broker => $on, timeout => 10);
    ok t_cmp(decode_value($rec) && decode_value($rec)->{body}, $body,
             "$name: the record is on its broker at the answered offset");
    ok t_cmp(end_offset('ku-clusters', 0, $on) . ' ' . end_offset('ku-clusters', 0, $off),
             ($before{on} + 1) . " $before{off}", "$name: one record there, none on the other broker");
}

check_cluster('Kafka 4.1.1 cluster', '/cluster-k4', $k4, $k3);
check_cluster('Kafka 3.9.1 cluster', '/cluster-k3', $k3, $k4);

# A sync request to the unreachable cluster waits its delivery timeout (4 s);
# meanwhile a request to the healthy cluster is answered.
{
    my $name = 'unreachable cluster';
    my %before = (k4 => end_offset('ku-clusters', 0, $k4), k3 => end_offset('ku-clusters', 0, $k3));
    pipe(my $from_child, my $to_parent) or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        # The child: send the request, say so, then pass the answer on.
        close $from_child;
        my $sock = IO::Socket::INET->new(PeerAddr => $hostport, Timeout => 30)
            or POSIX::_exit(2);
        print $sock "POST /cluster-down HTTP/1.1\r\nHost: $hostport\r\n"
            . "Content-Type: text/plain\r\nContent-Length: 4\r\nConnection: close\r\n\r\ndown";
        syswrite $to_parent, "sent\n";
        local $/;
        my $answer = <$sock> // '';
        syswrite $to_parent, $answer;
        POSIX::_exit(0);
    }
    close $to_parent;
    my $sent = <$from_child> // '';
    select undef, undef, undef, 0.5;    # let the server take it up
    my $res = POST '/cluster-k4', content => 'while another cluster is down',
        'Content-Type' => 'text/plain';
    my $pending = waitpid($pid, WNOHANG) == 0;
    ok t_cmp("$sent " . $res->code, "sent\n 200",
             "$name: the healthy cluster answered 200");
    ok t_cmp($pending ? 'pending' : 'answered', 'pending',
             "$name: ... while the request to the unreachable cluster was still waiting");
    my $rec = consume_one('ku-clusters', $res->header('Kafka-Offset') // -1,
                          broker => $k4, timeout => 10);
    ok t_cmp(decode_value($rec) && decode_value($rec)->{body}, 'while another cluster is down',
             "$name: the healthy cluster's record arrived");
    my $down = do { local $/; <$from_child> } // '';
    waitpid($pid, 0);
    my ($status) = $down =~ m{^HTTP/1\.1 (\d{3})};
    my ($body) = $down =~ /\r\n\r\n(.*)\z/s;
    $body = eval { json->encode(json->decode($body)) } // $body // '';
    ok t_cmp(($status // '') . ' ' . $body,
             '503 ' . json->encode({ message => 'Service Unavailable', error => 'brokers unreachable' }),
             "$name: the unreachable cluster's request got 503 brokers unreachable");
    ok t_cmp(end_offset('ku-clusters', 0, $k4) . ' ' . end_offset('ku-clusters', 0, $k3),
             ($before{k4} + 1) . " $before{k3}",
             "$name: only the healthy request's record is on either broker");
}
