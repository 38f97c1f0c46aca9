# SPDX-License-Identifier: Apache-2.0
# KafkaUpstreamAsync Off (README "Responses"): the answer comes after the broker's
# acknowledgement and says where the record went; the broker's refusal is a
# 502, unreachable brokers a 503 with Retry-After.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use Apache::TestRequest qw(POST GET);
use lib 't/lib';
use KafkaTest;

plan tests => 16, need_lwp;

sub error_of {
    my ($res) = @_;
    return eval { json->encode(json->decode($res->content)) } // $res->content;
}

for my $path ('/sync', '/sync-acks-all') {
    my $res = POST "$path/order?id=7", content => '{"qty":2}',
        'Content-Type' => 'application/json';
    ok t_cmp($res->code, 200, "$path: acknowledged");
    ok t_cmp($res->header('Kafka-Topic'), 'ku-sync', "$path: Kafka-Topic");
    ok t_cmp($res->header('Kafka-Partition'), 0, "$path: Kafka-Partition");
    my $offset = $res->header('Kafka-Offset') // -1;
    ok t_cmp($offset, qr/^\d+$/, "$path: Kafka-Offset");
    my $rec = consume_one('ku-sync', $offset, timeout => 5);
    my $expected = $path eq '/sync'
        ? { method => 'POST', uri => "$path/order?id=7", uri_args => { id => '7' },
            body => '{"qty":2}', body_args => { qty => 2 } }
        : { body => '{"qty":2}', body_args => { qty => 2 } };
    ok t_cmp(json->encode(decode_value($rec)), json->encode($expected),
             "$path: the record at Kafka-Offset is this request");
}

# auto.create.topics.enable=false on the broker: the topic stays missing.
{
    my $res = POST '/sync-missing-topic', content => 'x', 'Content-Type' => 'text/plain';
    ok t_cmp($res->code, 502, 'missing topic: 502');
    ok t_cmp(error_of($res), '{"error":"unknown topic","message":"Bad Gateway"}',
             'missing topic: JSON error');
    my $b = broker();
    my $meta = `kcat -L -b $b -t ku-does-not-exist 2>&1`;
    ok t_cmp($meta, qr/Broker: Unknown topic or partition|0 partitions/,
             'missing topic: still not created, nothing produced');
}

# Nothing listens where /sync-unreachable points.
{
    my $res = POST '/sync-unreachable', content => 'x', 'Content-Type' => 'text/plain';
    ok t_cmp($res->code, 503, 'unreachable brokers: 503');
    ok t_cmp($res->header('Retry-After'), 1, 'unreachable brokers: Retry-After');
    ok t_cmp(error_of($res), '{"error":"brokers unreachable","message":"Service Unavailable"}',
             'unreachable brokers: JSON error');
}
