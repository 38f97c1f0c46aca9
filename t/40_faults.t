# SPDX-License-Identifier: Apache-2.0
# Never lose an accepted message, under real faults (README "Failure behaviour"), in this
# order: 20 graceful restarts of httpd under load and a stop under load
# (then started again), the broker healthy: every accepted message arrives,
# every exiting child flushed; a broker restart under load, sync
# (idempotent, acks=all: every 2xx in Kafka exactly once, every other answer
# 503 or 504, no 503 ever arrives) and async side by side (what was
# accepted while the broker was down arrives once it is back); with the
# broker down, a child exit (bounded by ShutdownTimeout plus a margin, the
# loss counted in KU00005) and back-pressure (503 + Retry-After at once,
# while a Location on the main broker keeps answering 200).
#
# The faults hit a broker of this test's own, never the suite's main one
# (other test files use that): ${KU_FAULT_BROKER} (127.0.0.1:PORT, the
# Locations of t/conf/40_faults.inc), data in ${KU_FAULT_KAFKA_DIR};
# t/run-tests.sh sets both (port KU_KAFKA_PORT+2000 and the six after it,
# see t/kafka/kafka.sh). It is started fresh here, restarted, stopped and
# started again, and stopped at the end, also when the test dies.
#
# t/tools/ku-load sends the requests (one unique id per body) and counts
# what reached Kafka. Bounds are functional (a limit far above what is
# expected), never a speed; each load is at most 2000 requests. About 65 s
# in all, of which the broker's start and two restarts take 20-30 s.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use Apache::TestRequest qw(GET);
use lib 't/lib';
use KafkaTest;
use FaultBroker;
use HttpdLog;
use File::Temp qw(tempdir);
use Time::HiRes qw(time sleep);

plan tests => 30, need { 'KU_FAULT_BROKER is not set (t/run-tests.sh sets it)'
                         => !!$ENV{KU_FAULT_BROKER} };

my $top = Apache::Test::vars('top_dir');
my $tool = "$top/t/tools/ku-load";
my $tmp = tempdir(CLEANUP => 1);
my $fault = $ENV{KU_FAULT_BROKER};
my ($fault_port) = $fault =~ /:(\d+)$/ or die "KU_FAULT_BROKER '$fault': host:port expected\n";
my $fault_dir = $ENV{KU_FAULT_KAFKA_DIR} // '/tmp/ku-kafka-fault-' . getpwuid($<);

# prefork has 3 processes at most here (Apache::Test's MaxClients): one
# connection each; the threaded MPMs take more.
my ($mpm) = (`cat $top/t/conf/httpd.conf` =~ /LoadModule\s+mpm_(\w+)_module/);
$mpm //= $ENV{KU_MPM} // 'event';
my $prefork = $mpm eq 'prefork';
print STDERR "# mpm $mpm, fault broker $fault ($fault_dir)\n";

# The librdkafka the module runs on (the status page says), for a bug of
# librdkafka before 2.3.0 the broker restart can meet (section 2).
my $librdkafka = eval { json->decode(GET('/ku-status')->content)->{librdkafka} }
    // die "the status page /ku-status does not name the librdkafka\n";
my $librdkafka_before_2_3 = sprintf('%03d%03d%03d', split /\./, $librdkafka) lt '002003000';

# --- the fault broker (kafka() and the other helpers: t/lib/FaultBroker.pm) ------

$SIG{$_} = sub { exit 1 } for qw(INT TERM HUP);

# --- ku-load -----------------------------------------------------------------

sub load { load_end(load_start(@_)) }

sub answers { ku_load_answers(@_) }

# The topic's end offsets summed (on the fault broker: a stopped one counts 0).
sub sum_offsets {
    my ($topic) = @_;
    my $off = `$^X $tool --print-offsets --topic $topic --brokers $fault 2>/dev/null`;
    my $sum = 0;
    $sum += $_ for $off =~ /\d+:(\d+)/g;
    return $sum;
}

# Waits (30 s at most) until the topic holds more than $base records: the
# load is under way.
sub wait_growth {
    my ($topic, $base) = @_;
    my $t = time;
    sleep 0.2 while time - $t < 30 && sum_offsets($topic) <= $base;
}

sub ku_offsets {
    my ($topic) = @_;
    chomp(my $off = `$^X $tool --print-offsets --topic $topic --brokers $fault`);
    die "offsets of $topic: $off\n" if $? || $off !~ /^\d+:\d+/;
    return $off;
}

# --- httpd -------------------------------------------------------------------

sub graceful { kill 'USR1', httpd_pid() or die "graceful restart: $!" }

# A refused answer whose record arrived: each one's answer (status, when),
# and the module's own account of the refusals (KU00007 names librdkafka's
# error), for the failure to be understood from the output alone.
sub explain_unexpected {
    my ($f, $answers, $from) = @_;
    my %unexpected = map { $_ => 1 } @{ $f->{unexpected_ids} };
    printf STDERR "# unexpected: %s answered %d%s at %.3f-%.3f\n", $_->[0], $_->[1],
        $_->[2] ? " ($_->[2])" : '', $_->[3], $_->[4]
        for grep { $unexpected{ $_->[0] } } @$answers;
    print STDERR "# $_" for grep { /KU00007: .*ku-fault-sync/ } log_lines_since($from);
}

my $t_all = time;
kafka('start');
kafka('create-topics', qw(ku-fault-sync:3 ku-fault-async:3 ku-fault-graceful:3
                          ku-fault-exit ku-fault-bp));

# --- 1. twenty graceful restarts of httpd under load, healthy broker ------------
# Each restart is awaited (the parent logs "resuming normal operations"), so
# none merges into the one before; the load runs until they are all done.
{
    my $from = log_size();
    my $t = time;
    my $stop = "$tmp/graceful.stop";
    my $base = sum_offsets('ku-fault-graceful');
    my $load = load_start('/faults-graceful', '--topic', 'ku-fault-graceful', '--brokers', $fault,
                          '--requests', 2000, '--workers', $prefork ? 2 : 4, '--rate', 60,
                          '--stop-file', $stop, '--wait', 45, '--run', "graceful-$$",
                          '--results', "$tmp/graceful.json");
    wait_growth('ku-fault-graceful', $base);
    my $t_first = time;
    my $restarts = 0;
    for (1 .. 20) {
        my $mark = log_size();
        graceful();
        $restarts++ if wait_for_log($mark, qr/configured -- resuming normal operations/, 20);
        sleep 0.2;
    }
    my $t_last = time;
    sleep 2;
    touch($stop);
    my $f = load_end($load);
    my $ga = answers("$tmp/graceful.json");
    my $before = grep { $_->[4] < $t_first } @$ga;
    my $after = grep { $_->[4] > $t_last } @$ga;
    printf STDERR "# graceful x20: %d restarts in %.1f s, whole run %.1f s, %d requests "
        . "answered before the first, %d after the last\n",
        $restarts, $t_last - $t_first, time - $t, $before, $after;
    ok t_cmp($restarts, 20, 'httpd did 20 graceful restarts');
    ok t_cmp($before > 0 && $after > 0, 1, 'graceful restarts: all under load');
    ok t_cmp($f->{refused}, 0, 'graceful restarts: every answer was 200');
    ok t_cmp($f->{accepted} > 0 && $f->{lost} == 0, 1,
             'graceful restarts: every accepted message arrived')
        or print STDERR "# lost: @{ $f->{lost_ids} }\n";
    ok t_cmp("$f->{duplicated} $f->{unexpected}", '0 0',
             'graceful restarts: none twice, none unexpected');
    my @closed = grep { m{KU00005: producer /faults-graceful } } log_lines_since($from);
    my @left = grep { !/closed, 0 message/ } @closed;
    print STDERR "# graceful x20: $_" for @left;
    ok t_cmp(scalar(@closed) > 0 && !@left, 1,
             'every exiting child flushed its lingering messages (KU00005: 0 left) '
             . '(' . scalar(@closed) . ' producers closed)');
}

# --- 1b. httpd stopped under load (SIGTERM), healthy broker, then started --------
# Apache::Test's own server, stopped and started again as the harness does:
# the test files after this one find it as before. The parent gives its
# children 9 s before SIGKILL (AH00046): the exit flush must be done by then.
{
    my $from = log_size();
    my $stop = "$tmp/stop.stop";
    my $base = sum_offsets('ku-fault-graceful');
    my $load = load_start('/faults-graceful', '--topic', 'ku-fault-graceful', '--brokers', $fault,
                          '--requests', 2000, '--workers', $prefork ? 2 : 4, '--rate', 60,
                          '--stop-file', $stop, '--wait', 30, '--run', "stop-$$");
    wait_growth('ku-fault-graceful', $base);
    sleep 0.5;
    my $server = Apache::Test::config()->server;
    my $t = time;
    $server->stop;
    my $stopped = time - $t;
    touch($stop);
    $server->start or die "httpd did not start again\n";
    my $f = load_end($load);
    my @log = log_lines_since($from);
    my @closed = grep { m{KU00005: producer /faults-graceful } } @log;
    my @left = grep { !/closed, 0 message/ } @closed;
    my @killed = grep { /AH00046/ } @log;
    printf STDERR "# stop: httpd stopped in %.1f s, %d producers closed, %d children killed\n",
        $stopped, scalar @closed, scalar @killed;
    ok t_cmp($f->{accepted} > 0 && $f->{lost} == 0, 1,
             'stop under load: every accepted message arrived')
        or print STDERR "# lost: @{ $f->{lost_ids} }\n";
    ok t_cmp(scalar(@closed) > 0 && !@left && !@killed, 1,
             'stop under load: every child flushed before it exited (KU00005: 0 left), none killed');
}

# --- 2. broker restart under load: sync (idempotent) and async side by side -----
# Both loads run until the sync Location got acknowledgements again after
# the broker came back (librdkafka reconnects with a backoff of up to 10 s),
# however long the restart takes.
{
    my $from = log_size();
    my $w = $prefork ? 1 : 3;
    my $stop = "$tmp/restart.stop";
    my $base = sum_offsets('ku-fault-sync');
    my $sync = load_start('/faults-sync', '--topic', 'ku-fault-sync', '--brokers', $fault,
                          '--requests', 1000, '--workers', $w, '--rate', 50, '--wait', 20,
                          '--stop-file', "$stop.sync", '--run', "sync-restart-$$",
                          '--results', "$tmp/sync.json");
    my $async = load_start('/faults-async', '--topic', 'ku-fault-async', '--brokers', $fault,
                           '--requests', 2000, '--workers', $w, '--rate', 100, '--wait', 120,
                           '--stop-file', $stop, '--run', "async-restart-$$",
                           '--results', "$tmp/async.json");
    wait_growth('ku-fault-sync', $base);
    sleep 1;
    my $t_stop = time;
    kafka('stop');
    my $t_down = time;
    sleep 2;
    my $t_up0 = time;
    kafka('restart');
    my $t_up = time;
    wait_growth('ku-fault-sync', sum_offsets('ku-fault-sync'));
    # The sync load ends before the graceful restart below: an exiting child
    # closes its idle keep-alive connections, and a request sent on one at
    # that moment is cut before httpd reads it (no answer, nothing produced,
    # nothing in the access log), which HTTP allows and "every request was
    # answered" would count against the broker restart.
    touch("$stop.sync");
    my $s = load_end($sync);
    # One graceful restart while the async load runs, the broker back: every
    # child exits with its exit flush, so the exit-flush check below always
    # has children to check.
    graceful();
    wait_growth('ku-fault-async', sum_offsets('ku-fault-async'));
    sleep 1;
    touch($stop);
    printf STDERR "# broker restart: down from %.1f s to %.1f s after the stop began\n",
        $t_down - $t_stop, $t_up - $t_stop;

    my $sa = answers("$tmp/sync.json");
    my $before = grep { $_->[1] == 200 && $_->[4] < $t_stop } @$sa;
    my $after = grep { $_->[1] == 200 && $_->[4] > $t_up } @$sa;
    print STDERR "# sync: $before acknowledged before the stop, $after after the broker was back\n";
    ok t_cmp($before > 0 && $after > 0, 1, 'sync: the broker restarted mid-run');
    ok t_cmp(join(' ', grep { $_ != 503 && $_ != 504 } keys %{ $s->{refused_by_status} }), '',
             'sync: every answer but 200 is 503 or 504');
    ok t_cmp(join(' ', %{ $s->{refused_without_retry_after} }), '', 'sync: every 503 has Retry-After');
    ok t_cmp($s->{lost}, 0, 'sync: every 200 is in Kafka') or print STDERR "# lost: @{ $s->{lost_ids} }\n";
    ok t_cmp($s->{duplicated}, 0, 'sync: exactly once (idempotent producer)')
        or print STDERR "# duplicated: @{ $s->{duplicated_ids} }\n";
    ok t_cmp($s->{unexpected}, 0, 'sync: no 503 ever arrives')
        or explain_unexpected($s, $sa, $from);
    ok t_cmp($s->{unanswered}, 0, 'sync: every request was answered');

    my $a = load_end($async);
    my $down = grep { $_->[1] == 200 && $_->[3] >= $t_down && $_->[4] <= $t_up0 }
        @{ answers("$tmp/async.json") };
    print STDERR "# async: $down accepted while the broker was down\n";
    ok t_cmp($a->{accepted}, $a->{sent}, 'async: every request accepted (queued)');
    ok t_cmp($down > 0, 1, 'async: some were accepted while the broker was down');
    # librdkafka before 2.3.0 (Debian 12's 2.0.2) can fail an idempotent
    # producer fatally after a broker restart ("sequence desynchronization",
    # librdkafka PR #4438); what it held is lost (README "librdkafka").
    # Skipped only then: that line for this Location in this window and an
    # affected librdkafka; any other loss fails.
    my ($desync) = grep { m{KU00002: producer /faults-async .*sequence desynchronization} }
        log_lines_since($from);
    if ($desync && $librdkafka_before_2_3) {
        print STDERR "# async: $a->{lost} lost to librdkafka's known idempotence bug: $desync";
        skip("librdkafka $librdkafka: idempotent producer failed fatally (PR #4438)", 0) for 1 .. 2;
    }
    else {
        ok t_cmp($a->{lost}, 0, 'async: every accepted message arrived once the broker was back')
            or print STDERR "# lost: @{ $a->{lost_ids} }\n";
        ok t_cmp($a->{duplicated}, 0, 'async: none twice (idempotent producer)');
    }
    # The children the graceful restart stopped have exited by now, or
    # shortly: their producers' KU00005 lines.
    wait_for_log($from, qr{KU00005: producer /faults-async }, 10);
    my @closed = grep { m{KU00005: producer /faults-async } } log_lines_since($from);
    my @left = grep { !/closed, 0 message/ } @closed;
    print STDERR "# async: @{[ scalar @closed ]} producers closed meanwhile (the graceful "
        . "restart's children, and any the MPM stopped)\n";
    print STDERR "# async: $_" for @left;
    ok t_cmp(scalar(@closed) > 0 && !@left, 1,
             'async: the exiting children left no message undelivered (KU00005: 0 left) '
             . '(' . scalar(@closed) . ' producers closed)');
}

# --- 3. child exit with the broker down ------------------------------------------
# /faults-exit: ShutdownTimeout 2000 ms. Its messages cannot be delivered:
# each child's exit flush gives up after 2 s, the purge drops them, KU00005
# counts them.
my %offsets = map { $_ => ku_offsets($_) } qw(ku-fault-exit ku-fault-bp);
kafka('stop');
# The bound: far below the delivery timeout (120 s) a flush without bound
# would wait for, far above the 2 s the flush may take: every producer of
# the child (some 60 here, one per configured section and virtual host) is
# closed in turn, each taking tens of milliseconds.
my $exit_margin = 30;
my $exit_accepted;
{
    my $f = load('/faults-exit', '--no-count', '--topic', 'ku-fault-exit',
                 '--brokers', $fault, '--requests', 200, '--workers', $prefork ? 2 : 4,
                 '--run', "exit-down-$$", '--offsets', $offsets{'ku-fault-exit'},
                 '--results', "$tmp/exit.json");
    $exit_accepted = $f->{accepted};
    ok t_cmp($f->{accepted}, $f->{sent}, 'child exit: every request queued with the broker down');

    my $from = log_size();
    my $ppid = httpd_pid();
    my @old = children($ppid);
    my $t = time;
    graceful();
    my %alive = map { $_ => 1 } @old;
    while (%alive && time - $t < 2 + $exit_margin + 10) {
        my %now = map { $_ => 1 } children($ppid);
        delete @alive{ grep { !$now{$_} } keys %alive };
        sleep 0.05 if %alive;
    }
    my $took = time - $t;
    printf STDERR "# child exit: %d old children gone %.2f s after the graceful restart "
         . "(ShutdownTimeout 2 s, bound %d s)\n", scalar(@old), $took, 2 + $exit_margin;
    # No child seen before the restart would leave nothing to wait for: a failure.
    ok t_cmp(@old && !%alive && $took <= 2 + $exit_margin ? 1 : 0, 1,
             'child exit: the old children (at least one) ended within ShutdownTimeout + margin');
    my $left = 0;
    my @lines = grep { m{KU00005: producer /faults-exit \(\Q$fault\E\) closed} } log_lines_since($from);
    for (@lines) { $left += $1 if /:warn\].*closed, (\d+) message\(s\) left undelivered/ }
    print STDERR "# child exit: @{[ scalar @lines ]} producers closed, $left message(s) counted undelivered\n";
    ok t_cmp($left, $exit_accepted, 'child exit: KU00005 warnings count every undelivered message');
}

# --- 4. back-pressure: a full queue, the broker down --------------------------------
my $bp;
{
    my $bpload = load_start('/faults-bp', '--no-count', '--topic', 'ku-fault-bp',
                            '--brokers', $fault, '--requests', 300,
                            '--workers', $prefork ? 2 : 4, '--run', "bp-down-$$",
                            '--offsets', $offsets{'ku-fault-bp'}, '--results', "$tmp/bp.json");
    my $healthy = load_start('/faults-healthy', '--topic', 'ku-defaults', '--brokers', broker(),
                             '--requests', 100, '--workers', 1, '--run', "healthy-$$",
                             '--wait', 10);
    $bp = load_end($bpload);
    my $h = load_end($healthy);
    ok t_cmp(join(' ', sort keys %{ $bp->{refused_by_status} }) . " $bp->{unanswered}", '503 0',
             'back-pressure: every answer but 200 is 503');
    ok t_cmp($bp->{accepted} > 0 && $bp->{refused} > 0, 1,
             'back-pressure: the queue took some, then refused');
    ok t_cmp(join(' ', %{ $bp->{refused_without_retry_after} }), '',
             'back-pressure: every 503 has Retry-After');
    # DeliveryTimeout 120 s: a refusal that waited for room would take about that long.
    ok t_cmp($bp->{latency_seconds}{max} < 10, 1,
             'back-pressure: every answer far within the delivery timeout');
    ok t_cmp("$h->{accepted}/$h->{sent} $h->{lost}", "$h->{sent}/$h->{sent} 0",
             'meanwhile a Location on the healthy broker got every message acknowledged');
}

kafka('restart');
{
    my $f = load_end(load_start('', '--count', "$tmp/bp.json", '--wait', 120));
    ok t_cmp("$f->{lost} $f->{unexpected} $f->{duplicated}", '0 0 0',
             'back-pressure: the accepted arrived once the broker was back, no refused one');
    my $e = load_end(load_start('', '--count', "$tmp/exit.json", '--wait', 3));
    ok t_cmp("$e->{records} $e->{lost}", "0 $exit_accepted",
             'child exit: the purged messages never arrive');
}
kafka('stop');
printf STDERR "# 40_faults.t: %.1f s\n", time - $t_all;
