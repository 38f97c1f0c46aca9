# SPDX-License-Identifier: Apache-2.0
# A producer librdkafka declares unusable (a fatal error: idempotence state
# lost) answers 503, and the module recovers without a restart by hand: the
# next request in the same child gets a new producer. A real broker cannot
# be made to raise a fatal error, so librdkafka's own rd_kafka_test_fatal_error
# raises it, through the handler of a test-only module loaded beside the
# module as shipped (t/modules/mod_ku_test_hooks.c, t/conf/41_fatal.inc).
# Without that module (./configure --enable-test-hooks) the file skips.
# The same module says whether the child pool's allocator has a mutex
# (prefork's has none unless the module sets one; README "Internals").
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use Apache::TestRequest qw(POST);
use lib 't/lib';
use KafkaTest;
use HttpdLog;

my $hooks = Apache::Test::vars('t_dir') . '/modules/.libs/mod_ku_test_hooks.so';
plan tests => 8, need need_lwp,
    { "the test-only module $hooks is not built (./configure --enable-test-hooks)" => -e $hooks };

# One keep-alive connection: every request below is served by one child.
Apache::TestRequest::user_agent(reset => 1, keep_alive => 1);
my $log_from = log_size();

sub post { POST(shift, content => shift, 'Content-Type' => 'text/plain') }

my $res = post('/fatal', 'before');
ok t_cmp($res->code, 200, 'the idempotent producer works');
# prefork's child pool has an allocator of its own, without a mutex unless
# the module gives it one; its poll and replay threads allocate from it
# while requests do (README "Internals").
ok t_cmp($res->header('X-Ku-Test-Child-Allocator') // 'no header', 'locked',
         "the child pool's allocator has a mutex");

my $offset = end_offset('ku-sync');
$res = post('/fatal/trigger', 'x');
ok t_cmp($res->content, '{"status":503,"error":"producer unusable"}',
         'after the fatal error a send is refused: 503 producer unusable');

$res = post('/fatal', 'after');
ok t_cmp($res->code, 200, 'the next request in the same child is acknowledged');
my $rec = consume_one('ku-sync', $res->header('Kafka-Offset') // 0, timeout => 10);
ok t_cmp(decode_value($rec) && decode_value($rec)->{body}, 'after', 'and its record arrived');
ok t_cmp(scalar(consume('ku-sync', $offset, 5, timeout => 3)), 1,
         'the refused record never reached Kafka');

my $log = log_since($log_from);
ok t_cmp($log, qr/KU00002: producer \/fatal \(.*\) failed fatally: test_fatal_error: raised by the test hook/,
         'the fatal error is logged');
ok t_cmp($log, qr/KU00015: producer \/fatal \(.*\) replaced after a fatal error/,
         'and the producer replaced');
