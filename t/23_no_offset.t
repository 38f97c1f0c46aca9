# SPDX-License-Identifier: Apache-2.0
# README "Failure behaviour": a 2xx sync answer names only the offset (and partition) that
# librdkafka reported; a delivery report without one (RD_KAFKA_OFFSET_INVALID,
# -1001) leaves the Kafka-Offset header, and the `offset` of that record's
# `results` entry, out. Staged deterministically against the real broker:
# with acks 0 (t/conf/23_no_offset.inc) no delivery report has an offset,
# as happens to messages librdkafka "implicitly acks" after a failover
# (t/42_failover.t). Each record must still be in Kafka, exactly once.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use Apache::TestRequest qw(POST);
use lib 't/lib';
use KafkaTest;

plan tests => 12, need_lwp;

my $topic = 'ku-no-offset';
my $missing = 'ku-no-such-topic';   # not on the broker; auto-create is off

sub answer_of {
    my ($res) = @_;
    return eval { json->decode($res->content) } // { unparsed => $res->content };
}

# The bodies of the $count records from $offset on, and whether they are the
# topic's last: what the request produced, exactly once.
sub bodies_from {
    my ($offset, $count) = @_;
    my @bodies = map { decode_value($_)->{body} } consume($topic, $offset, $count, timeout => 30);
    push @bodies, 'then more' if end_offset($topic) != $offset + $count;
    return \@bodies;
}

# --- one record: headers ---------------------------------------------------------
{
    my $before = end_offset($topic);
    my $body = qq({"n":"single-$$"});
    my $res = POST '/sync-acks0', content => $body, 'Content-Type' => 'application/json';
    ok t_cmp($res->code, 200, 'acks 0, one record: 200');
    ok t_cmp($res->header('Kafka-Topic'), $topic, 'acks 0, one record: Kafka-Topic');
    ok t_cmp($res->header('Kafka-Partition') // 'none', 0, 'acks 0, one record: Kafka-Partition');
    ok t_cmp($res->header('Kafka-Offset') // 'none', 'none',
             'acks 0, one record: no Kafka-Offset (librdkafka reported none)');
    ok t_cmp(json->encode(bodies_from($before, 1)), json->encode([$body]),
             'acks 0, one record: in Kafka, once');
}

# --- several records: per-record results ------------------------------------------
{
    my @lines = (qq({"n":"split-1-$$"}), qq({"n":"split-2-$$"}));
    my $before = end_offset($topic);
    my $res = POST '/sync-acks0-split', content => join("\n", @lines) . "\n",
        'Content-Type' => 'application/x-ndjson';
    ok t_cmp($res->code, 200, 'acks 0, split: 200');
    ok t_cmp(json->encode(answer_of($res)->{results}),
             json->encode([ map { { topic => $topic, status => 200, partition => 0 } } @lines ]),
             'acks 0, split: each result has its partition and no offset');
    ok t_cmp(json->encode(bodies_from($before, 2)), json->encode(\@lines),
             'acks 0, split: every record in Kafka, once');
}

# --- some records fail (207) --------------------------------------------------------
{
    my $line = qq({"n":"partial-$$"});
    my $before = end_offset($topic);
    my $res = POST "/sync-acks0-split?topics=$topic,$missing", content => "$line\n",
        'Content-Type' => 'application/x-ndjson';
    ok t_cmp($res->code, 207, 'acks 0, one topic missing: 207');
    my $answer = answer_of($res);
    ok t_cmp(json->encode($answer->{results}),
             json->encode([ { topic => $topic, status => 200, partition => 0 },
                            { topic => $missing, status => 502, error => 'unknown topic' } ]),
             'acks 0, 207: the acknowledged record has no offset, the failed one its error');
    ok t_cmp($answer->{message}, 'Multi-Status', 'acks 0, 207: message');
    ok t_cmp(json->encode(bodies_from($before, 1)), json->encode([$line]),
             'acks 0, 207: the acknowledged record in Kafka, once');
}
