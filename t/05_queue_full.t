# SPDX-License-Identifier: Apache-2.0
# A full local queue (README "Failure behaviour"): 503 with Retry-After at once, never a
# blocked worker, and the refused messages never reach Kafka. /queue-full
# holds two messages and lingers 3 s before sending them; one keep-alive
# connection keeps the requests in the same child, on the same queue, until
# the 503 closes it.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use Apache::TestRequest qw(POST);
use lib 't/lib';
use KafkaTest;

plan tests => 7, need_lwp;

Apache::TestRequest::user_agent(reset => 1, keep_alive => 1);
my $topic = 'ku-queue';
my $offset = end_offset($topic);

my @status = map {
    POST('/queue-full', content => "id-$_", 'Content-Type' => 'text/plain')
} 1 .. 3;

ok t_cmp(join(' ', map { $_->code } @status), '200 200 503',
         'two messages fill the queue, the third is refused');
ok t_cmp($status[2]->header('Retry-After'), 1, '503 says Retry-After');
ok t_cmp(eval { json->encode(json->decode($status[2]->content)) },
         '{"error":"local queue full","message":"Service Unavailable"}', '503 JSON error');

my @got = map { decode_value($_)->{body} } consume($topic, $offset, 3, timeout => 10);
ok t_cmp("@got", 'id-1 id-2', 'exactly the accepted messages arrived, once each');

# Once delivered, the queue has room again.
my $res = POST('/queue-full', content => 'id-4', 'Content-Type' => 'text/plain');
ok t_cmp($res->code, 200, 'accepted again after the queue drained');
my ($rec) = consume($topic, $offset + 2, 1, timeout => 10);
ok t_cmp(decode_value($rec)->{body}, 'id-4', 'and it arrives');
ok t_cmp(scalar(consume($topic, $offset, 10, timeout => 2)), 3, 'nothing else reached the topic');
