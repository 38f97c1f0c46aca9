# SPDX-License-Identifier: Apache-2.0
# Broker failover under load (README "Failure behaviour"), on a real 3-node Kafka cluster of
# this test's own (t/kafka/cluster.sh: KRaft, combined nodes, topic RF 3,
# min.insync.replicas 2, a dead broker fenced after 2 s). Three faults, each
# under sync (acks all, idempotent) and async load side by side, the killed
# node (but the last) started again under the same load, back in the ISR
# before the next fault:
#   - the partition leader SIGKILLed (a crash),
#   - the partition leader SIGTERMed (controlled shutdown),
#   - a follower SIGKILLed.
# Each time: every 2xx is in Kafka, none twice, nothing refused arrives, the
# only other answers are 503 and 504, and every Kafka-Offset (with its
# Kafka-Partition) in a 2xx is where that record is: never a made-up one
# (-1001, once). t/tools/ku-load sends and counts.
#
# Slow on a small machine (three JVMs started, two restarted: 3-7 minutes
# on 2 busy cores), so it runs under the MPMs in KU_FAILOVER_MPMS only
# ("event" by default; "event worker prefork" for all, "" for none).
# t/run-tests.sh sets KU_CLUSTER_BROKERS, KU_CLUSTER_PORT and KU_CLUSTER_DIR
# (ports KU_KAFKA_PORT+3000 to +3005, data in KU_KAFKA_DIR-cluster); the
# cluster is stopped at the end, also when the test dies.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use KafkaTest;
use File::Temp qw(tempdir);
use Time::HiRes qw(time sleep);

my $top = Apache::Test::vars('top_dir');
my ($mpm) = (`cat $top/t/conf/httpd.conf` =~ /LoadModule\s+mpm_(\w+)_module/);
$mpm //= $ENV{KU_MPM} // 'event';
my %run_under = map { $_ => 1 } split ' ', $ENV{KU_FAILOVER_MPMS} // 'event';

my @faults = ([ 'leader SIGKILL', 'leader', 'kill' ],
              [ 'leader SIGTERM', 'leader', 'term' ],
              [ 'follower SIGKILL', 'follower', 'kill' ]);
plan tests => 11 * @faults,
    need { 'KU_CLUSTER_BROKERS is not set (t/run-tests.sh sets it)' => !!$ENV{KU_CLUSTER_BROKERS},
           "mpm_$mpm is not in KU_FAILOVER_MPMS" => $run_under{$mpm} };

my $brokers = $ENV{KU_CLUSTER_BROKERS};
my $topic = 'ku-failover';
my $base_url = 'http://' . Apache::Test::vars('remote_addr') . ':' . Apache::Test::vars('port');
my $tool = "$top/t/tools/ku-load";
my $tmp = tempdir(CLEANUP => 1);
my $prefork = $mpm eq 'prefork';

# t/kafka/cluster.sh, on the cluster's ports and dir (KU_CLUSTER_PORT, KU_CLUSTER_DIR).
sub cluster {
    my $t = time;
    system('bash', "$top/t/kafka/cluster.sh", @_) == 0 or die "cluster.sh @_ failed\n";
    printf STDERR "# cluster: %s in %.1f s\n", "@_", time - $t;
}

my $main_pid = $$;
END { local $?; eval { cluster('stop') } if $brokers && $$ == $main_pid }
$SIG{$_} = sub { exit 1 } for qw(INT TERM HUP);

# The partition's leader and in-sync replicas, from the cluster's metadata.
sub partition_state {
    my $meta = eval { json->decode(scalar `kcat -L -J -b $brokers -t $topic -m 5 2>/dev/null`) };
    my ($t) = grep { $_->{topic} eq $topic } @{ $meta->{topics} || [] };
    my ($p) = @{ $t->{partitions} || [] } or return (-1, []);
    return ($p->{leader}, [ sort map { $_->{id} } @{ $p->{isrs} || [] } ]);
}

# Waits (90 s at most) until all three nodes are in sync again.
sub wait_full_isr {
    my $t = time;
    my ($leader, $isr);
    while (time - $t < 90) {
        ($leader, $isr) = partition_state();
        last if "@$isr" eq '1 2 3' && $leader > 0;
        sleep 0.5;
    }
    printf STDERR "# ISR %s, leader %d after %.1f s\n", "@$isr", $leader, time - $t;
    return $leader;
}

sub load_start {
    my ($path, @args) = @_;
    return ku_load_start('--url', "$base_url$path", '--topic', $topic, '--brokers', $brokers,
                         @args);
}

sub touch { open(my $fh, '>', $_[0]) or die "$_[0]: $!" }

sub end_offset_now {
    return `$^X $tool --print-offsets --topic $topic --brokers $brokers` =~ /^0:(\d+)/ ? $1 : 0;
}

# Waits (90 s at most) until $n records of run $run are in the topic from
# $from on: that load is under way, its producers connected. Reads on from
# where it was, at most 500 records a time.
sub wait_records {
    my ($run, $from, $n) = @_;
    my ($t, $seen, $next) = (time, 0, $from);
    while ($seen < $n && time - $t < 90) {
        for (`timeout 10 kcat -C -q -e -b $brokers -t $topic -p 0 -o $next -c 500 -f '%o %s\n'`) {
            my ($offset) = /^(\d+) / or next;
            $next = $offset + 1;
            $seen++ if /\Q$run\E-\d/;
        }
        sleep 0.5 if $seen < $n;
    }
    printf STDERR "# %d records of %s after %.1f s\n", $seen, $run, time - $t;
}

my $t_all = time;
cluster('start');
cluster('create-topics', $topic);

for my $fault (@faults) {
    my ($name, $role, $how) = @$fault;
    my $leader = wait_full_isr();
    my $victim = $role eq 'leader' ? $leader : (grep { $_ != $leader } 1 .. 3)[0];
    my $run = "$role-$how-$$" =~ s/\W/-/gr;
    my $stop = "$tmp/$run.stop";
    my $w = $prefork ? 1 : 3;
    my $from = end_offset_now();
    my $sync = load_start('/failover-sync', '--requests', 4000, '--workers', $w, '--rate', 40,
                          '--stop-file', $stop, '--wait', 60, '--run', "sync-$run",
                          '--results', "$tmp/$run-sync.json");
    my $async = load_start('/failover-async', '--requests', 4000, '--workers', $w, '--rate', 20,
                           '--stop-file', $stop, '--wait', 120, '--run', "async-$run");
    wait_records("sync-$run", $from, 20);
    my $t_fault = time;
    cluster($how, $victim);
    sleep 6;    # fenced after 2 s; the load meets the new leader or the shrunk ISR
    my $t_over = time;
    # Started again under the load, for the next fault; the last one's node stays down.
    my $new_leader;
    if ($fault != $faults[-1]) {
        cluster('restart', $victim);
        $new_leader = wait_full_isr();
    } else {
        sleep 4;
        ($new_leader) = partition_state();
    }
    sleep 2;
    touch($stop);
    my $s = ku_load_end($sync);
    my $a = ku_load_end($async);
    my $sa = ku_load_answers("$tmp/$run-sync.json");
    my $before = grep { $_->[1] == 200 && $_->[4] < $t_fault } @$sa;
    my $after = grep { $_->[1] == 200 && $_->[3] > $t_over } @$sa;
    my $by = join ',', map { "$_:$s->{refused_by_status}{$_}" } sort keys %{ $s->{refused_by_status} };
    printf STDERR "# %s: node %d (leader %d, then %d); sync sent %d, 200 %d (%d before the "
        . "fault, %d after the failover), refused {%s}, without Kafka-Offset %d, misplaced %d, "
        . "504s present %d; async sent %d, accepted %d, delivered %d\n",
        $name, $victim, $leader, $new_leader, $s->{sent}, $s->{accepted}, $before, $after, $by,
        $s->{without_offset}, $s->{misplaced}, $s->{uncertain_present}, $a->{sent},
        $a->{accepted}, $a->{delivered};

    ok t_cmp($before > 0 && $after > 0, 1, "$name: sync 200s before the fault and after the failover");
    ok t_cmp(join(' ', grep { $_ != 503 && $_ != 504 } keys %{ $s->{refused_by_status} }), '',
             "$name, sync: every answer but 200 is 503 or 504");
    ok t_cmp($s->{unanswered}, 0, "$name, sync: every request answered");
    ok t_cmp($s->{lost}, 0, "$name, sync: every 200 is in Kafka")
        or print STDERR "# lost: @{ $s->{lost_ids} }\n";
    ok t_cmp($s->{duplicated}, 0, "$name, sync: none twice")
        or print STDERR "# duplicated: @{ $s->{duplicated_ids} }\n";
    ok t_cmp($s->{unexpected}, 0, "$name, sync: no 503 arrives")
        or print STDERR "# unexpected: @{ $s->{unexpected_ids} }\n";
    ok t_cmp($s->{misplaced}, 0, "$name, sync: every Kafka-Offset is where its record is")
        or print STDERR "# misplaced: @{ $s->{misplaced_answers} }\n";
    ok t_cmp($s->{accepted} - $s->{without_offset} > 0, 1,
             "$name, sync: 200s name their offset (checked above)");
    ok t_cmp($a->{accepted}, $a->{sent}, "$name, async: every request accepted");
    ok t_cmp($a->{lost}, 0, "$name, async: every accepted message arrived")
        or print STDERR "# lost: @{ $a->{lost_ids} }\n";
    ok t_cmp($a->{duplicated}, 0, "$name, async: none twice")
        or print STDERR "# duplicated: @{ $a->{duplicated_ids} }\n";
}
printf STDERR "# failover test: %.0f s in all\n", time - $t_all;
