# SPDX-License-Identifier: Apache-2.0
# README "Operations", child exit: a bounded flush delivers what is queued, then the
# producer is purged and destroyed with a log line counting what was left
# undelivered. A graceful restart makes every child exit.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use Apache::TestRequest qw(POST GET);
use lib 't/lib';
use KafkaTest;
use HttpdLog;

plan tests => 5, need_lwp;

my $pid_file = Apache::Test::vars('t_logs') . '/httpd.pid';

my $offset = end_offset('ku-queue');
my $from = log_size();

# /linger-long waits a minute before sending; /async-unreachable never can.
ok t_cmp(POST('/linger-long', content => 'flushed at exit', 'Content-Type' => 'text/plain')->code,
         200, 'a message waits in the queue');
ok t_cmp(POST('/async-unreachable', content => 'x', 'Content-Type' => 'text/plain')->code,
         200, 'a message for an unreachable cluster is queued');

open(my $fh, '<', $pid_file) or die "$pid_file: $!";
chomp(my $pid = <$fh>);
kill 'USR1', $pid or die "graceful restart of $pid: $!";

ok t_cmp(wait_for_log($from, qr/KU00005: producer \/async-unreachable \(127\.0\.0\.1:1\) closed, 1 message\(s\) left undelivered/, 15),
         qr/\[kafka_upstream:warn\]/, 'the undelivered message is counted in a warning');
ok t_cmp(wait_for_log($from, qr/KU00005: producer \/linger-long \(\Q${\broker()}\E\) closed, 0 message/, 15),
         qr/left undelivered/, 'the healthy producer closed with nothing left');
my $rec = consume_one('ku-queue', $offset, timeout => 10);
ok t_cmp(decode_value($rec)->{body}, 'flushed at exit', 'the queued message was delivered by the exit flush');
