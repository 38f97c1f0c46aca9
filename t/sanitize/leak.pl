#!/usr/bin/perl
# SPDX-License-Identifier: Apache-2.0
# The leak check of t/sanitize.sh: does the memory of one httpd child grow
# with the requests it serves? The child (prefork, the only one) has
# mod_kafka_upstream and t/sanitize/memstats.c loaded. For each Location
# given, on ONE keep-alive connection (so that memory taken from the
# connection's pool for every request would pile up as well):
#   - $warmup requests, each answered 200; wait until all of them are
#     records on the broker (the producer's queue is empty then);
#   - measure: the child's RssAnon (/proc) and its malloc'd bytes
#     (GET /ku-sanitize-memstats on the same connection);
#   - $requests - $warmup more, wait, measure again.
# The growth between the two measurements must stay within the bounds. A
# figure above its bound is measured once more over as many requests: a
# one-time step (a queue's high-water mark that malloc keeps mapped) does
# not repeat, memory that grows per request does; only the second figure
# decides then.
#   leak.pl PORT CHILD_PID BROKER WARMUP REQUESTS RSS_BOUND_KB MALLOC_BOUND_KB LOCATION=TOPIC...
use strict;
use warnings;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);

my ($port, $child, $broker, $warmup, $requests, $rss_bound, $malloc_bound, @locations) = @ARGV;
die "usage: $0 PORT CHILD BROKER WARMUP REQUESTS RSS_BOUND_KB MALLOC_BOUND_KB LOC=TOPIC...\n"
    unless @locations;
my $more = $requests - $warmup;
my $body = 'm' x 600;
$| = 1;

sub rss_kb {
    open my $fh, '<', "/proc/$child/status" or die "child $child is gone: $!\n";
    while (<$fh>) { return $1 if /^RssAnon:\s+(\d+)/ }
    die "no RssAnon in /proc/$child/status\n";
}

sub end_offset {
    my ($topic) = @_;
    my $out = `kcat -Q -b $broker -t $topic:0:-1 2>&1`;
    $out =~ /\[0\]\s+offset\s+(\d+)/ or die "kcat -Q $topic: $out";
    return $1;
}

# One request on the connection: (status, body).
sub request {
    my ($sock, $method, $path, $content) = @_;
    my $req = "$method $path HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Leak-Check: yes\r\n";
    $req .= "Content-Type: text/plain\r\nContent-Length: " . length($content) . "\r\n"
        if defined $content;
    print {$sock} $req, "\r\n", $content // '' or die "write: $!\n";
    my $status_line = <$sock> // die "connection closed\n";
    my ($status) = $status_line =~ m{^HTTP/1\.\d (\d{3})} or die "bad status line: $status_line";
    my ($len, $chunked);
    while (my $line = <$sock>) {
        last if $line eq "\r\n";
        $len = $1 if $line =~ /^Content-Length:\s*(\d+)/i;
        $chunked = 1 if $line =~ /^Transfer-Encoding:\s*chunked/i;
        die "the server closes the connection after $path\n" if $line =~ /^Connection:\s*close/i;
    }
    my $data = '';
    if ($chunked) {
        while (1) {
            my $size = hex(<$sock> // die "connection closed\n");
            last unless $size;
            read($sock, my $chunk, $size + 2) == $size + 2 or die "short chunk\n";
            $data .= substr $chunk, 0, $size;
        }
        <$sock>;
    }
    elsif ($len) {
        read($sock, $data, $len) == $len or die "short body\n";
    }
    return ($status, $data);
}

my $failed = 0;
for my $spec (@locations) {
    my ($loc, $topic) = split /=/, $spec;
    my $sock = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 30)
        or die "connect 127.0.0.1:$port: $!\n";
    my $sent = 0;
    my $load = sub {
        my ($n) = @_;
        my $before = end_offset($topic);
        for (1 .. $n) {
            my ($status, $answer) = request($sock, 'POST', "$loc?key=k1&a=b", $body);
            die "$loc: request " . ($sent + $_) . " answered $status: $answer\n" unless $status == 200;
        }
        $sent += $n;
        my $after;
        for (1 .. 150) {
            $after = end_offset($topic);
            last if $after >= $before + $n;
            sleep 0.2;
        }
        die "$loc: $n requests answered 200, " . ($after - $before) . " records reached $topic\n"
            unless $after - $before == $n;
        sleep 0.5;   # delivery reports freed
        my ($status, $bytes) = request($sock, 'GET', '/ku-sanitize-memstats');
        die "memstats answered $status\n" unless $status == 200 && $bytes =~ /^(\d+)/;
        return (rss_kb(), int($1 / 1024));
    };
    my $t0 = time;
    my ($rss1, $mem1) = $load->($warmup);
    my ($rss2, $mem2) = $load->($more);
    my ($drss, $dmem) = ($rss2 - $rss1, $mem2 - $mem1);
    printf "   %-11s after %d and %d requests: RssAnon %d -> %d kB (%+d kB), malloc'd %d -> %d kB (%+d kB, %+.1f bytes/request) [%.0f s]\n",
        $loc, $warmup, $requests, $rss1, $rss2, $drss, $mem1, $mem2, $dmem, $dmem * 1024 / $more, time - $t0;
    if ($drss > $rss_bound || $dmem > $malloc_bound) {
        my ($rss3, $mem3) = $load->($more);
        ($drss, $dmem) = ($rss3 - $rss2, $mem3 - $mem2);
        printf "   %-11s %d more requests: RssAnon %d kB (%+d kB), malloc'd %d kB (%+d kB, %+.1f bytes/request)\n",
            $loc, $more, $rss3, $drss, $mem3, $dmem, $dmem * 1024 / $more;
    }
    my @over;
    push @over, "RssAnon grew $drss kB (bound $rss_bound)" if $drss > $rss_bound;
    push @over, "malloc'd memory grew $dmem kB (bound $malloc_bound)" if $dmem > $malloc_bound;
    if (@over) {
        print "FAIL: $loc: memory grows per request: ", join(', ', @over), "\n";
        $failed = 1;
    }
    close $sock;
}
exit $failed;
