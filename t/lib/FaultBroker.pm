# SPDX-License-Identifier: Apache-2.0
package FaultBroker;
# What the fault tests share (t/40_faults.t, t/43_spool.t): the fault broker ${KU_FAULT_BROKER} driven by t/kafka/kafka.sh,
# t/tools/ku-load runs and httpd's processes (the error log: t/lib/HttpdLog.pm).
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use Apache::Test ();
use KafkaTest qw(ku_load_start ku_load_end);
use Time::HiRes qw(time sleep);

our @EXPORT = qw(fault_broker kafka load_start load_end httpd_pid children touch);

my $top = Apache::Test::vars('top_dir');
my $pid_file = Apache::Test::vars('t_logs') . '/httpd.pid';
my $base_url = 'http://' . Apache::Test::vars('remote_addr') . ':' . Apache::Test::vars('port');
my $fault = $ENV{KU_FAULT_BROKER} // '';
my ($fault_port) = $fault =~ /:(\d+)$/;
my $fault_dir = $ENV{KU_FAULT_KAFKA_DIR} // '/tmp/ku-kafka-fault-' . getpwuid($<);
my $main_pid = $$;

sub fault_broker { $fault }

# t/kafka/kafka.sh on the fault broker's ports and dir only, with a short
# broker session (a restarted broker is unfenced sooner).
sub kafka {
    my @args = @_;
    local %ENV = %ENV;
    delete @ENV{grep { /^KU_KAFKA_(?:\w*PORT|VERSION)$/ } keys %ENV};
    @ENV{qw(KU_KAFKA_PORT KU_KAFKA_DIR KU_KAFKA_PROPERTIES)} =
        ($fault_port, $fault_dir, 'broker.session.timeout.ms=2000');
    my $t = time;
    system('bash', "$top/t/kafka/kafka.sh", @args) == 0 or die "kafka.sh @args on $fault failed\n";
    printf STDERR "# fault broker: %s in %.1f s\n", "@args", time - $t;
}

# Stopped when the test ends, also when it dies.
END { local $?; eval { kafka('stop') } if $$ == $main_pid && $fault_port }

# Starts t/tools/ku-load --json on a path; load_end returns its figures.
sub load_start {
    my ($path, @args) = @_;
    return ku_load_start('--url', "$base_url$path", @args);
}

sub load_end { ku_load_end(@_) }

sub httpd_pid {
    open(my $fh, '<', $pid_file) or die "$pid_file: $!";
    chomp(my $pid = <$fh>);
    return $pid;
}

# The live (not zombie) children of $ppid.
sub children {
    my ($ppid) = @_;
    my @kids;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open(my $fh, '<', $stat) or next;
        my ($pid, $state, $parent) = (<$fh> // '') =~ /^(\d+) \(.*\) (\S) (\d+)/ or next;
        push @kids, $pid if $parent == $ppid && $state ne 'Z';
    }
    return @kids;
}

sub touch { open(my $fh, '>', $_[0]) or die "$_[0]: $!" }

1;
