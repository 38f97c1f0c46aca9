# SPDX-License-Identifier: Apache-2.0
# README "Idempotency-Key", against the real broker (locations:
# t/conf/29_idempotency.inc), each answer checked against what Kafka holds:
#  - a retried key gets the first answer again (status, body, partition,
#    offset, marked Idempotent-Replayed) and produces nothing; the record
#    carries the key as its idempotency-key header;
#  - a client whose connection dropped before its answer (the record
#    produced) retries and gets the kept answer: the record is there once;
#  - duplicates sent while the first is in flight: one record, the others
#    409 (or the kept answer once it is there);
#  - the key with another body: 422; invalid keys, and none where one is
#    required: 400; nothing produced;
#  - after the TTL the key produces again; a full table evicts the least
#    recently used key (a replayed one outlives keys never asked again);
#  - a graceful restart keeps the keys;
#  - the status page counts (JSON and Prometheus).
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use Apache::TestRequest qw(GET);
use IO::Socket::INET ();
use Time::HiRes qw(time sleep);
use lib 't/lib';
use KafkaTest;
use HttpdLog;

# The test-only module holds answers back (X-Ku-Test-Answer-Delay), so
# that a request stays in flight after its record was produced.
my $hooks = Apache::Test::vars('t_dir') . '/modules/.libs/mod_ku_test_hooks.so';
plan tests => 53,
    need { "the test-only module $hooks is not built (./configure --enable-test-hooks)" => -e $hooks };

my $topic = 'ku-idempotency';
my $host = Apache::Test::vars('remote_addr') . ':' . Apache::Test::vars('port');
my $run = "$$-" . int(time);

# A request; on /idem-slow its answer is held back 1.5 s (the test module).
sub head_of {
    my ($path, $key, $body) = @_;
    my $slow = $path =~ s{^/idem-slow}{/idem};
    return join "\r\n", "POST $path HTTP/1.1", "Host: $host",
        defined $key ? ("Idempotency-Key: $key") : (), 'Content-Type: text/plain',
        $slow ? ('X-Ku-Test-Answer-Delay: 1500') : (),
        'Content-Length: ' . length($body), 'Connection: close';
}

sub post { my ($path, $key, $body) = @_; raw_request(head_of($path, $key, $body), $body) }

sub idem_status {
    my $res = GET '/ku-status';
    die 'status page: ' . $res->code unless $res->code == 200;
    return json->decode($res->content)->{idempotency} // {};
}

# The records from $from on, all of them.
sub records_since {
    my ($from) = @_;
    my $end = end_offset($topic);
    return () if $end <= $from;
    return consume($topic, $from, $end - $from, timeout => 10);
}

sub count_since { my @r = records_since(@_); return scalar @r }

sub key_header {
    my ($rec) = @_;
    my @h = @{ $rec->{headers} // [] };
    my %h = map { $h[2 * $_] => $h[2 * $_ + 1] } 0 .. @h / 2 - 1;
    return $h{'idempotency-key'} // '';
}

my $before = idem_status();

# --- a retry gets the same answer ----------------------------------------------
my $from = end_offset($topic);
my $first = post('/idem', "basic-$run", 'one');
my $again = post('/idem', "basic-$run", 'one');
ok t_cmp($first->{status}, 200, 'first request: 200');
ok t_cmp($again->{status}, 200, 'retry: the same status');
ok t_cmp($again->{body}, $first->{body}, 'retry: the same body');
ok t_cmp($again->{headers}{'kafka-offset'} // 'none', $first->{headers}{'kafka-offset'},
         'retry: the same offset');
ok t_cmp($again->{headers}{'kafka-partition'} // 'none', '0', 'retry: the same partition');
ok t_cmp($again->{headers}{'idempotent-replayed'} // 'no', 'true', 'retry: marked a replay');
ok t_cmp($first->{headers}{'idempotent-replayed'} // 'no', 'no', 'first: not a replay');
my @recs = records_since($from);
ok t_cmp(scalar @recs, 1, 'one record for two requests');
ok t_cmp(key_header($recs[0]), "basic-$run", 'the record carries the key');

# --- the same key, another request ------------------------------------------------
$from = end_offset($topic);
my $other = post('/idem', "basic-$run", 'two');
ok t_cmp($other->{status}, 422, 'same key, another body: 422');
ok t_cmp($other->{body}, qr/Idempotency-Key already used/, '422 says why');
ok t_cmp(post('/idem-short', "basic-$run", 'one')->{status}, 422,
         'same key, another URI: 422');

# --- keys that are not keys ----------------------------------------------------------
ok t_cmp(post('/idem', 'x' x 256, 'one')->{status}, 400, 'a 256-byte key: 400');
ok t_cmp(post("/idem", q{ab"cd}, "one")->{status}, 400, "a double quote inside: 400");
ok t_cmp(post('/idem', "caf\xc3\xa9", 'one')->{status}, 400, 'not ASCII: 400');
my $bad = post('/idem', '', 'one');
ok t_cmp($bad->{status}, 400, 'an empty key: 400');
ok t_cmp($bad->{body}, qr/Idempotency-Key invalid/, '400 says why');
ok t_cmp(post('/idem-required', undef, 'one')->{status}, 400, 'no key where required: 400');
ok t_cmp(count_since($from), 0, 'nothing produced for any of them');
$from = end_offset($topic);
my $quoted = post('/idem-required', qq{"quoted-$run"}, 'one');
ok t_cmp($quoted->{status}, 200, 'the draft\'s quoted form where a key is required: 200');
@recs = records_since($from);
ok t_cmp(@recs ? key_header($recs[0]) : 'none', "quoted-$run", 'the key without its quotes');
ok t_cmp(post('/idem', 'x' x 255, 'one')->{status}, 200, 'a 255-byte key: 200');

# --- a dropped connection, then the retry ------------------------------------------------
$from = end_offset($topic);
{
    my $sock = IO::Socket::INET->new(PeerAddr => $host, Timeout => 10) or die "connect: $!";
    $sock->print(head_of('/idem-slow', "drop-$run", 'dropped') . "\r\n\r\ndropped");
    close $sock;    # the answer is never read
}
my ($dropped_rec) = consume($topic, $from, 1, timeout => 10);
ok t_cmp($dropped_rec && $dropped_rec->{payload}, qr/dropped/, 'the dropped request was produced');
my $retry;
my $t = time;
do { $retry = post('/idem', "drop-$run", 'dropped'); sleep 0.2 if $retry->{status} == 409 }
    while ($retry->{status} == 409 && time - $t < 10);
ok t_cmp($retry->{status}, 200, 'the retry: 200');
ok t_cmp($retry->{headers}{'idempotent-replayed'} // 'no', 'true', 'the retry: the kept answer');
ok t_cmp($retry->{headers}{'kafka-offset'} // 'none', $dropped_rec ? $dropped_rec->{offset} : -1,
         'the retry names the record produced the first time');
sleep 0.5;
ok t_cmp(count_since($from), 1, 'Kafka holds it once');

# --- concurrent duplicates ---------------------------------------------------------------
$from = end_offset($topic);
my @socks = map {
    my $s = IO::Socket::INET->new(PeerAddr => $host, Timeout => 15) or die "connect: $!";
    $s->print(head_of('/idem-slow', "conc-$run", 'concurrent') . "\r\n\r\nconcurrent");
    sleep 0.05;
    $s;
} 1 .. 5;
my @statuses = map {
    my $line = <$_> // '';
    local $/;
    my $rest = <$_> // '';
    close $_;
    my ($st) = $line =~ m{^HTTP/1\.1 (\d{3})};
    ($st // 0) . ($rest =~ /^Idempotent-Replayed: true/mi ? '-replay' : '');
} @socks;
ok t_cmp(scalar(grep { $_ eq '200' } @statuses), 1, 'one of five duplicates produced');
ok t_cmp(scalar(grep { $_ eq '409' || $_ eq '200-replay' } @statuses), 4,
         'the others: 409 or the kept answer (' . join(' ', @statuses) . ')');
ok t_cmp(scalar(grep { $_ eq '409' } @statuses) >= 1, 1, 'at least one met the first in flight');
sleep 0.5;
@recs = records_since($from);
ok t_cmp(scalar @recs, 1, 'Kafka holds one record');

# --- TTL --------------------------------------------------------------------------------
$from = end_offset($topic);
my $ttl1 = post('/idem-short', "ttl-$run", 'ttl');
my $ttl2 = post('/idem-short', "ttl-$run", 'ttl');
ok t_cmp($ttl2->{headers}{'kafka-offset'} // 'none', $ttl1->{headers}{'kafka-offset'},
         'within the TTL: the kept answer');
sleep 2.5;
my $ttl3 = post('/idem-short', "ttl-$run", 'ttl');
ok t_cmp($ttl3->{headers}{'idempotent-replayed'} // 'no', 'no', 'after the TTL: answered anew');
ok t_cmp($ttl3->{headers}{'kafka-offset'} // -1, ($ttl1->{headers}{'kafka-offset'} // 0) + 1,
         'after the TTL: a new record');
ok t_cmp(count_since($from), 2, 'Kafka holds two');

# --- a full table ------------------------------------------------------------------------
my $evicted_before = idem_status()->{evictions} // 0;
$from = end_offset($topic);
my $oldest = post('/idem', "oldest-$run", 'old');
post('/idem', "fill-$_-$run", "fill $_") for 1 .. 16;
my $after = post('/idem', "oldest-$run", 'old');
ok t_cmp($after->{headers}{'idempotent-replayed'} // 'no', 'no',
         'the oldest key was evicted: answered anew');
ok t_cmp(count_since($from), 18, 'one record per request');
ok t_cmp(idem_status()->{evictions} - $evicted_before >= 2, 1, 'evictions counted');
my $newest = post('/idem', "fill-16-$run", 'fill 16');
ok t_cmp($newest->{headers}{'idempotent-replayed'} // 'no', 'true', 'a newer key was kept');

# A replayed key is in use: keys never asked again give way before it
# (the table holds 16; 12 new keys after the replay evict older ones only).
$from = end_offset($topic);
my $used = post('/idem', "used-$run", 'used');
post('/idem', "before-$_-$run", "before $_") for 1 .. 8;
post('/idem', "used-$run", 'used');
post('/idem', "after-$_-$run", "after $_") for 1 .. 12;
my $still = post('/idem', "used-$run", 'used');
ok t_cmp($still->{headers}{'idempotent-replayed'} // 'no', 'true',
         'a replayed key outlives the newer keys never asked again');
ok t_cmp($still->{headers}{'kafka-offset'} // 'none', $used->{headers}{'kafka-offset'},
         'the replayed key: its first offset');
my $gone = post('/idem', "before-1-$run", 'before 1');
ok t_cmp($gone->{headers}{'idempotent-replayed'} // 'no', 'no',
         'a key claimed after it and never asked again was evicted');
ok t_cmp(count_since($from), 22, 'one record per new key');

# --- graceful restart ----------------------------------------------------------------------
$from = end_offset($topic);
my $kept = post('/idem', "restart-$run", 'restart');
my $log_from = log_size();
open(my $pf, '<', Apache::Test::vars('t_logs') . '/httpd.pid') or die "pid file: $!";
chomp(my $pid = <$pf>);
kill 'USR1', $pid or die "graceful restart of $pid: $!";
ok t_cmp(wait_for_log($log_from, qr/KU00072: /, 15), qr/kept from the previous generation/,
         'graceful restart: the table is kept');
my $res;
$t = time;
do { sleep 0.2; $res = eval { post('/idem', "restart-$run", 'restart') } } while (!$res && time - $t < 15);
ok t_cmp($res && $res->{headers}{'idempotent-replayed'} // 'no', 'true',
         'after the restart: the kept answer');
ok t_cmp($res && $res->{headers}{'kafka-offset'} // 'none', $kept->{headers}{'kafka-offset'},
         'after the restart: the same offset');
ok t_cmp(count_since($from), 1, 'after the restart: still one record');

# --- the status page -----------------------------------------------------------------------
my $now = idem_status();
ok t_cmp($now->{capacity}, 16, 'status: the table size');
ok t_cmp($now->{stored} - ($before->{stored} // 0) >= 24, 1, 'status: answers stored');
ok t_cmp($now->{hits} - ($before->{hits} // 0) >= 5, 1, "status: hits");
ok t_cmp($now->{conflicts} - ($before->{conflicts} // 0) >= 1, 1, 'status: conflicts');
ok t_cmp($now->{mismatches} - ($before->{mismatches} // 0), 2, 'status: mismatches');
my $prom = GET('/ku-status?format=prometheus')->content;
ok t_cmp($prom, qr/^kafka_upstream_idempotency_hits_total $now->{hits}$/m, 'Prometheus: hits');
