# SPDX-License-Identifier: Apache-2.0
# The durable spool (README "The spool"): an accepted async record survives any
# broker outage, httpd restart or child crash. Against the fault broker of
# t/40_faults.t (${KU_FAULT_BROKER}, t/run-tests.sh sets it), the
# Locations of t/conf/43_spool.inc (spool t/spool, 4 MiB):
#   (f) a record for a missing topic: dead-lettered with the reason, once;
#   (c) kill -9 of a child under load, broker up: nothing lost;
#   then one outage of the broker, longer than 60 s (DeliveryTimeout 5 s),
#   with a load (a) running from before it to after it, and during it:
#   (b) 5 graceful restarts, a stop and a start of httpd under load;
#   (c) kill -9 of a child under load, its pid then another process's in
#   the slot it leaves in spool.state (not counted); (e) httpd stopped, the last record
#   of each segment file cut short, httpd started (the cut ones skipped,
#   one KU00048 line each); (d) the spool filled up (503 + Retry-After);
#   then the broker is back: every accepted record arrives (those cut in
#   (e) excepted), no refused one; duplicates are counted and shown
#   (at-least-once).
# Every count is by unique id in what reached Kafka (t/tools/ku-load).
# About 4 minutes per MPM on a quiet machine (the outage takes 60 s,
# the broker's start and restart most of the rest).
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET_BODY POST);
use Apache::TestUtil;
use lib 't/lib';
use KafkaTest;
use FaultBroker;
use HttpdLog;
use File::Temp qw(tempdir);
use MIME::Base64 qw(decode_base64);
use Time::HiRes qw(time sleep);

plan tests => 23, need { 'KU_FAULT_BROKER is not set (t/run-tests.sh sets it)'
                         => !!$ENV{KU_FAULT_BROKER} };

my $top = Apache::Test::vars('top_dir');
my $spool = Apache::Test::vars('serverroot') . '/spool';
my $tool = "$top/t/tools/ku-load";
my $tmp = tempdir(CLEANUP => 1);
my $fault = fault_broker();
my ($mpm) = (`cat $top/t/conf/httpd.conf` =~ /LoadModule\s+mpm_(\w+)_module/);
my $workers = ($mpm // '') eq 'prefork' ? 2 : 3;
my $topic = 'ku-spool';

# --- helpers (t/lib/FaultBroker.pm has the common ones) ------------------------------

$SIG{$_} = sub { exit 1 } for qw(INT TERM HUP);

sub count_run { load_end(load_start('', '--count', $_[0], '--wait', $_[1] // 60)) }

sub offsets {
    chomp(my $off = `$^X $tool --print-offsets --topic $topic --brokers $fault`);
    die "offsets of $topic: $off\n" if $? || $off !~ /^\d+:\d+/;
    return $off;
}

sub sum_offsets {
    my $sum = 0;
    $sum += $_ for `$^X $tool --print-offsets --topic $topic --brokers $fault 2>/dev/null`
        =~ /\d+:(\d+)/g;
    return $sum;
}

# A load of /spool until the stop file exists; --no-count: counted later.
sub spool_load {
    my ($name, @args) = @_;
    return load_start('/spool', '--topic', $topic, '--brokers', $fault, '--workers', $workers,
                      '--run', "$name-$$", '--results', "$tmp/$name.json", @args);
}

# Kills one child with SIGKILL while a load runs; returns its pid.
sub kill_a_child {
    my ($victim) = children(httpd_pid());
    kill 'KILL', $victim or die "kill -9 $victim: $!";
    print STDERR "# killed child $victim with SIGKILL\n";
    return $victim;
}

# spool.state (spool_int.h's ku_spool_shared_t): 4 counters, then 1024
# slots of pid (int32), records waiting (uint32), the oldest's accept time.
sub spool_state {
    open(my $fh, '<', "$spool/spool.state") or die "$spool/spool.state: $!";
    binmode $fh;
    sysread($fh, my $state, 32 + 16 * 1024) == 32 + 16 * 1024 or die "spool.state: short\n";
    return $state;
}

# A slot's pid and records waiting.
sub spool_slot { unpack 'l< L<', substr(spool_state(), 32 + 16 * $_[0], 8) }

# A child of httpd with spooled records waiting, and its slot (5 s at most).
sub child_with_records {
    my $t = time;
    while (time - $t < 5) {
        my %child = map { $_ => 1 } children(httpd_pid());
        my $state = spool_state();
        for my $i (0 .. 1023) {
            my ($pid, $waiting) = unpack 'l< L<', substr($state, 32 + 16 * $i, 8);
            return ($pid, $i) if $child{$pid} && $waiting > 0;
        }
        sleep 0.2;
    }
    die "no child of httpd publishes spooled records waiting\n";
}

sub give_slot_to {
    my ($slot, $pid) = @_;
    open(my $fh, '+<', "$spool/spool.state") or die "$spool/spool.state: $!";
    binmode $fh;
    sysseek($fh, 32 + 16 * $slot, 0) or die "seek: $!";
    syswrite($fh, pack('l<', $pid)) == 4 or die "spool.state: $!";
}

# Cuts 3 bytes off each segment file whose last entry is a record (a crash
# in the middle of its write); returns the ids of the records cut.
sub cut_last_records {
    my @ids;
    for my $file (glob "$spool/*.kus") {
        open(my $fh, '+<', $file) or die "$file: $!";
        binmode $fh;
        local $/;
        my $data = <$fh>;
        my ($at, $last, $type) = (0);
        while ($at + 16 <= length $data) {
            my ($magic, $t, $len) = unpack 'VVV', substr($data, $at, 12);
            last if $magic != 0x3153554b || $at + 16 + $len > length $data;
            ($last, $type) = ($at, $t);
            $at += 16 + $len;
        }
        next unless defined $last && $type == 1;
        my ($id) = substr($data, $last) =~ /"id":"([^"]+)"/ or next;
        truncate($fh, length($data) - 3) or die "truncate $file: $!";
        push @ids, $id;
    }
    return @ids;
}

my $t_all = time;
kafka('start');
kafka('create-topics', "$topic:3");

# --- (f) a missing topic: dead-lettered, not retried forever ----------------------
{
    my $from = log_size();
    my $id = "missing-$$";
    my $res = POST('/spool-missing', content => qq({"id":"$id"}),
                   'Content-Type' => 'application/json');
    ok t_cmp($res->code, 200, '(f) the record for a missing topic was accepted (spooled)');
    ok t_cmp(wait_for_log($from, qr/KU00049: .*ku-spool-missing.*Unknown topic/i, 90) ? 1 : 0, 1,
             '(f) dead-lettered with the reason, logged (KU00049)');
    sleep 2;
    my @dead = grep { decode_base64($_->{value_base64}) =~ /\Q$id\E/ }
        map { json->decode($_) } do { local @ARGV = ("$spool/dead-letter.jsonl"); <> };
    my $line = $dead[0] // { topic => '-' };
    ok t_cmp(scalar(@dead) . " $line->{topic} " . ($line->{reason} // ''),
             qr/^1 ku-spool-missing .*nknown topic/,
             '(f) one dead-letter line with topic and reason, the record in it');
}

# --- (c) kill -9 of a child under load, broker up ----------------------------------
{
    my $stop = "$tmp/kill-up.stop";
    my $load = spool_load('kill-up', '--requests', 2000, '--rate', 40, '--stop-file', $stop,
                          '--wait', 60);
    my $base = sum_offsets();
    sleep 0.2 while sum_offsets() <= $base + 20;
    kill_a_child();
    sleep 3;
    touch($stop);
    my $f = load_end($load);
    print STDERR "# (c) broker up: $f->{accepted} accepted, $f->{duplicated} duplicated "
        . "(at-least-once: acknowledged, not yet marked done when killed)\n";
    ok t_cmp($f->{accepted} > 0 && $f->{lost} == 0, 1,
             '(c) kill -9 under load, broker up: every accepted record arrived')
        or print STDERR "# lost: @{ $f->{lost_ids} }\n";
    ok t_cmp($f->{unexpected}, 0, '(c) broker up: no refused record arrived');
}

# --- the outage: (a) throughout, (b), (c), (e), (d) during it ------------------------
my $offsets = offsets();
my $a_stop = "$tmp/a.stop";
my $a_load = spool_load('outage', '--requests', 3000, '--rate', 10, '--stop-file', $a_stop,
                        '--no-count', '--offsets', $offsets);
sleep 2;
kafka('stop');
my $t_down = time;
my @during = ('--no-count', '--offsets', $offsets);

# (b) five graceful restarts under load, then a stop and a start
{
    my $stop = "$tmp/b.stop";
    my $load = spool_load('restarts', '--requests', 1000, '--rate', 20, '--stop-file', $stop,
                          @during);
    my $restarts = 0;
    for (1 .. 5) {
        my $mark = log_size();
        kill 'USR1', httpd_pid();
        $restarts++ if wait_for_log($mark, qr/resuming normal operations/, 20);
        sleep 1;
    }
    my $server = Apache::Test::config()->server;
    $server->stop;
    $server->start or die "httpd did not start again\n";
    sleep 1;
    touch($stop);
    load_end($load);
    ok t_cmp($restarts, 5, '(b) 5 graceful restarts, then a stop and a start, broker down');
}

# (c) kill -9 of a child under load, broker down. Its slot in spool.state
# stays; the test then takes the killed child's pid over in it, as another
# process may once the pids go round (minutes on a busy machine; a thread's
# id counts too): that slot must count for nothing (checked when the spool
# has drained).
{
    my $stop = "$tmp/c.stop";
    my $load = spool_load('kill-down', '--requests', 1000, '--rate', 20, '--stop-file', $stop,
                          @during);
    sleep 2;
    my ($victim, $slot) = child_with_records();
    kill 'KILL', $victim or die "kill -9 $victim: $!";
    print STDERR "# killed child $victim (spool.state slot $slot) with SIGKILL\n";
    my ($pid, $waiting) = spool_slot($slot);
    ok t_cmp("$pid " . ($waiting > 0 ? 'waiting' : 'none'), "$victim waiting",
             '(c) the killed child left its slot in spool.state, records waiting in it');
    give_slot_to($slot, $$);
    sleep 2;
    touch($stop);
    load_end($load);
}

# (e) httpd stopped, the last record of each segment cut short, httpd started
my @cut;
my $e_from;
{
    load_end(spool_load('torn', '--requests', 30, @during));
    my $server = Apache::Test::config()->server;
    $server->stop;
    @cut = cut_last_records();
    $e_from = log_size();
    $server->start or die "httpd did not start again\n";
    print STDERR "# (e) cut short: @cut\n";
    ok t_cmp(scalar(@cut) > 0, 1, '(e) a segment file ended in a torn record');
}

# (d) the spool fills up: 503 + Retry-After, nothing refused arrives later
my $d;
{
    $d = load_end(spool_load('full', '--requests', 400, '--pad', 20000, @during));
    ok t_cmp(join(' ', keys %{ $d->{refused_by_status} }) . " $d->{unanswered}", '503 0',
             '(d) spool full: every answer but 200 is 503');
    ok t_cmp($d->{accepted} > 0 && $d->{refused} > 0, 1, '(d) the spool took some, then refused');
    ok t_cmp(join(' ', %{ $d->{refused_without_retry_after} }), '', '(d) every 503 has Retry-After');
}

sleep 0.5 while time - $t_down < 61;
kafka('restart');
my $t_up = time;
sleep 3;
touch($a_stop);
load_end($a_load);
# The status page: the spool's records all acknowledged (twice in a row,
# an adoption may be under way), 5 minutes at most.
my $status;
{
    my ($t, $zero) = (time, 0);
    while (time - $t < 300 && $zero < 2) {
        $status = json->decode(GET_BODY('/ku-status'))->{spool};
        $zero = $status->{records_waiting} == 0 ? $zero + 1 : 0;
        sleep 1;
    }
    printf STDERR "# spool drained in %.0f s after the broker was back: %s\n", time - $t,
        json->encode($status);
    ok t_cmp($status->{records_waiting}, 0, 'status page: no record left waiting');
    ok t_cmp($status->{replayed} > 0 && $status->{dead_lettered} >= 1
             && $status->{torn_skipped} >= @cut, 1,
             'status page: replayed, dead-lettered and torn records counted');
    my $prom = GET_BODY('/ku-status?format=prometheus');
    ok t_cmp(scalar(() = $prom =~ /^kafka_upstream_spool_(?:bytes|records_waiting|oldest_waiting_seconds|replayed_total|dead_lettered_total) \d/mg),
             5, 'status page: the spool figures in Prometheus format');
}
my %lost;
{
    my $f = count_run("$tmp/outage.json", 10);
    my $down = grep { $_->[1] == 200 && $_->[3] > $t_down && $_->[4] < $t_up }
        @{ json->decode(do { local (@ARGV, $/) = ("$tmp/outage.json"); <> })->{answers} };
    printf STDERR "# (a) broker down %.0f s; %d accepted meanwhile, %d accepted in all, "
        . "%d duplicated\n", $t_up - $t_down, $down, $f->{accepted}, $f->{duplicated};
    ok t_cmp($t_up - $t_down >= 60 && $down > 0, 1, '(a) accepted during an outage of 60 s');
    ok t_cmp($f->{unexpected}, 0, '(a) no refused record arrived');
    $lost{$_} = 'outage' for @{ $f->{lost_ids} };
}
my %figures;
for my $run (qw(restarts kill-down torn full)) {
    my $f = $figures{$run} = count_run("$tmp/$run.json", 10);
    $lost{$_} = $run for @{ $f->{lost_ids} };
    print STDERR "# $run: $f->{accepted} accepted, $f->{lost} lost, $f->{duplicated} duplicated\n";
    ok t_cmp($f->{unexpected}, 0, "$run: no refused record arrived");
}
ok t_cmp($figures{restarts}{accepted} > 0 && $figures{'kill-down'}{accepted} > 0, 1,
         '(b) (c) records accepted during the outage');
# A cut record may still arrive: sent before the outage began, written by
# the broker, its acknowledgement lost (at-least-once).
my %was_cut = map { $_ => 1 } @cut;
ok t_cmp(join(' ', grep { !$was_cut{$_} } sort keys %lost), '',
         '(a)-(e) every accepted record arrived, but some of those cut short in (e)')
    or print STDERR "# lost: @{[ sort keys %lost ]}\n";
my @torn = grep { /KU00048: .*torn/ } log_lines_since($e_from);
ok t_cmp(scalar @torn, scalar @cut, '(e) one KU00048 line per torn record');
printf STDERR "# 43_spool.t: %.1f s\n", time - $t_all;
kafka('stop');
