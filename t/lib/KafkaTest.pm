# SPDX-License-Identifier: Apache-2.0
package KafkaTest;
# What the tests need from Kafka: the end offset of a partition before a
# request, and the records that arrived after it, read with kcat -J.
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use JSON::PP ();
use IO::Socket::INET ();
use Apache::Test ();

our @EXPORT = qw(broker config_check_base config_test_location end_offset consume
                 consume_one decode_value json raw_request ku_load_start ku_load_end
                 ku_load_answers);

# kcat prints UTF-8 bytes; the payload inside is then a character string.
my $kcat_json = JSON::PP->new->utf8;
my $json = JSON::PP->new->canonical;

sub json { $json }

sub broker { $ENV{KU_BROKER} or die "KU_BROKER is not set: run t/run-tests.sh\n" }

# The offset the next record of topic/partition will get (on $broker, by
# default the main test broker).
sub end_offset {
    my ($topic, $partition, $broker) = @_;
    $partition //= 0;
    my $b = $broker // broker();
    my $out = `kcat -Q -b $b -t $topic:$partition:-1 2>&1`;
    $out =~ /\[$partition\]\s+offset\s+(-?\d+)/
        or die "kcat -Q $topic: $out";
    return $1;
}

# Up to $count records of topic/partition from $offset on, waiting at most
# $timeout seconds for them; each a hash as kcat -J prints it
# (key, payload, headers, partition, offset). Options: partition, timeout,
# broker.
sub consume {
    my ($topic, $offset, $count, %opt) = @_;
    my $partition = $opt{partition} // 0;
    my $timeout = $opt{timeout} // 15;
    my $b = $opt{broker} // broker();
    my @cmd = ('timeout', $timeout, 'kcat', '-C', '-q', '-J', '-b', $b,
               '-t', $topic, '-p', $partition, '-o', $offset, '-c', $count);
    open(my $fh, '-|', @cmd) or die "kcat: $!";
    my @records = map { $kcat_json->decode($_) } grep { /\S/ } <$fh>;
    close $fh;
    return @records;
}

sub consume_one {
    my ($topic, $offset, %opt) = @_;
    my ($record) = consume($topic, $offset, 1, %opt);
    return $record;
}

# The record's value as the envelope it holds.
sub decode_value {
    my ($record) = @_;
    return undef unless $record && defined $record->{payload};
    return $json->decode($record->{payload});
}

# Sends $head (request line and headers, "\r\n"-separated, without the
# blank line) and $body exactly as given on a new connection to the test
# server, so the headers httpd sees are known to the byte. With
# expect_100 => 1 it waits for "100 Continue" before sending the body.
# Returns a hash: status, headers (lower-case names), body, interim (the
# interim status line, if any).
sub raw_request {
    my ($head, $body, %opt) = @_;
    $body //= '';
    my $hostport = Apache::Test::vars('remote_addr') . ':' . Apache::Test::vars('port');
    my $sock = IO::Socket::INET->new(PeerAddr => $hostport, Timeout => 30)
        or die "connect $hostport: $!";
    binmode $sock;
    my %res;
    $sock->print("$head\r\n\r\n");
    if ($opt{expect_100}) {
        my $first = <$sock> // '';
        $res{interim} = $first =~ s/\r?\n$//r;
        # A final answer instead of "100 Continue": the body is never sent.
        return _read_response($sock, \%res, $first) if $first !~ m{^HTTP/1\.1 100};
        <$sock>;    # the blank line after the interim response
    }
    $sock->print($body);
    return _read_response($sock, \%res);
}

sub _read_response {
    my ($sock, $res, $status_line) = @_;
    $status_line //= <$sock> // '';
    ($res->{status}) = $status_line =~ m{^HTTP/1\.\d (\d{3})};
    while (my $line = <$sock>) {
        last if $line =~ /^\r?\n$/;
        my ($name, $value) = $line =~ /^([^:]+):\s*(.*?)\r?\n$/ or next;
        $res->{headers}{lc $name} = $value;
    }
    local $/;
    $res->{body} = <$sock> // '';
    close $sock;
    return $res;
}

# The start of an httpd.conf for `httpd -t` checks of the module: the event
# MPM and authz_core from $moddir, the module built in $so; runtime files
# in $tmp.
sub config_check_base {
    my ($t_dir, $so, $moddir, $tmp) = @_;
    return <<"EOF";
ServerRoot "$t_dir"
ServerName 127.0.0.1
Listen 127.0.0.1:8599
PidFile "$tmp/httpd.pid"
ErrorLog "$tmp/error_log"
DefaultRuntimeDir "$tmp"
LoadModule mpm_event_module "$moddir/mod_mpm_event.so"
LoadModule authz_core_module "$moddir/mod_authz_core.so"
LoadModule kafka_upstream_module "$so"
EOF
}

# t/tools/ku-load --json with @args, in the background; ku_load_end waits
# for it and returns its figures, ku_load_answers the answers of a run it
# saved with --results.
sub ku_load_start {
    my (@args) = @_;
    my $tool = Apache::Test::vars('top_dir') . '/t/tools/ku-load';
    open(my $fh, '-|', $^X, $tool, '--json', @args) or die "ku-load: $!";
    return $fh;
}

sub ku_load_end {
    my ($fh) = @_;
    local $/;
    my $out = <$fh> // '';
    close $fh;
    return eval { $json->decode($out) } || die "ku-load gave no figures (exit $?): $out\n";
}

sub ku_load_answers {
    my ($file) = @_;
    open(my $fh, '<', $file) or die "$file: $!";
    local $/;
    return $json->decode(<$fh>)->{answers};
}

# `httpd -t` of $base (config_check_base) plus @lines: those starting
# "server:" in the server config, the others in <Location /x>, which has a
# cluster and a topic. The config file goes to $tmp. Returns the exit
# status as 'exit N' and the output.
my $config_count = 0;
sub config_test_location {
    my ($base, $tmp, @lines) = @_;
    my $httpd = Apache::Test::vars('httpd');
    my $conf = sprintf '%s/case%02d.conf', $tmp, ++$config_count;
    open my $fh, '>', $conf or die "$conf: $!";
    print $fh $base, (map { s/^server://r . "\n" } grep { /^server:/ } @lines),
        "<Location /x>\n", (map { "    $_\n" } 'SetHandler kafka-upstream',
        'KafkaUpstreamBootstrapServers 127.0.0.1:9092', 'KafkaUpstreamTopic ku-config',
        grep { !/^server:/ } @lines), "</Location>\n";
    close $fh or die "$conf: $!";
    my $output = `'$httpd' -t -f '$conf' 2>&1`;
    return ($? == 0 ? 'exit 0' : 'exit ' . ($? >> 8), $output);
}

1;
