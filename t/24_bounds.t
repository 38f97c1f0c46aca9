# SPDX-License-Identifier: Apache-2.0
# The limits on what one request may make (README "Limits"), against the
# real broker (Locations in t/conf/24_bounds.inc):
# - KafkaUpstreamMaxRecords, MaxTopics, MaxRecordHeaders, MaxFormFields:
#   at the limit the request is served; one more is refused with the
#   status and error naming the limit, and nothing reaches Kafka.
# - A 500,000-line ndjson body: refused under the default record limit,
#   and with the limit raised, answered with the local queue filling in
#   the middle (the rest refused at once, one log line); either way the
#   serving child's memory (VmRSS, and its peak VmHWM for the refusal)
#   grows by less than 64 MB. So does every child while 24 such bodies
#   arrive at once. Memory depends on the MPM: run.sh runs this file under
#   event, worker and prefork.
# - A KafkaUpstreamRecordHeaderRename target: the client's own header of
#   that name never reaches the record.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use Apache::TestRequest qw(POST);
use lib 't/lib';
use KafkaTest;
use HttpdLog;
use POSIX ();

my $topic = 'ku-bounds';
my $other = 'ku-split';
my $host = Apache::Test::vars('remote_addr') . ':' . Apache::Test::vars('port');
my $big_lines = 500_000;
my $mb64 = 64 * 1024;   # kB
my $hooks = -e Apache::Test::vars('serverroot') . '/modules/.libs/mod_ku_test_hooks.so';

plan tests => 10 + 8 + 4 + 3 + 4 + 10 + 6, need_lwp;

# --- helpers ------------------------------------------------------------------

sub answer_of {
    my ($body) = @_;
    return eval { json->decode($body) } // { unparsed => $body };
}

# "status {answer}" of a raw request: what a refusal must be, in one string.
sub said {
    my ($res) = @_;
    return ($res->{status} // 'none') . ' ' . json->encode(answer_of($res->{body}));
}

sub refusal {
    my ($status, $reason, $error) = @_;
    return "$status " . json->encode({ message => $reason, error => $error });
}

# POST path with the header lines and body exactly as given. HTTP/1.0: the
# answer is not chunked, its body is the JSON as it is.
sub post {
    my ($path, $headers, $body) = @_;
    my $head = join "\r\n", "POST $path HTTP/1.0", "Host: $host",
        'Content-Length: ' . length($body), @$headers, 'Connection: close';
    return raw_request($head, $body);
}

sub ndjson { post($_[0], [ 'Content-Type: application/x-ndjson' ], $_[1]) }

sub lines { join '', map { qq({"n":$_}\n) } 1 .. $_[0] }

# A 200 sync answer's records on ku-bounds, from its offset(s).
sub offsets_of {
    my ($res) = @_;
    return $res->{headers}{'kafka-offset'} // 'none' unless $res->{body} =~ /"results"/;
    return join ',', map { $_->{offset} // 'none' } @{ answer_of($res->{body})->{results} };
}

# A child's memory in kB, from /proc: VmRSS, VmHWM (its peak).
sub memory_of {
    my ($pid) = @_;
    open(my $fh, '<', "/proc/$pid/status") or return {};
    my %m = map { /^(Vm\w+):\s+(\d+)/ ? ($1 => $2) : () } <$fh>;
    return \%m;
}

# The memory of every child of the running httpd, by pid.
sub children_memory {
    my $parent = do {
        open(my $fh, '<', Apache::Test::vars('t_logs') . '/httpd.pid') or die "httpd.pid: $!";
        0 + <$fh>;
    };
    my %children;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open(my $fh, '<', $stat) or next;
        my ($pid, $ppid) = (<$fh> // '') =~ /^(\d+) \(.*\) \S+ (\d+)/ or next;
        $children{$pid} = memory_of($pid) if $ppid == $parent;
    }
    return \%children;
}

# How much the child that served the request grew (kB): [rss, peak], and
# what it was before and after, for the log. A child that did not exist
# before (prefork may start one) is compared with the largest child then.
sub growth {
    my ($before, $pid) = @_;
    my $was = $before->{$pid} // (sort { $b->{VmRSS} <=> $a->{VmRSS} } values %$before)[0];
    my $now = memory_of($pid);
    print STDERR "# child $pid: VmRSS $was->{VmRSS} -> $now->{VmRSS} kB, "
            . "VmHWM $was->{VmHWM} -> $now->{VmHWM} kB\n";
    return ($now->{VmRSS} - $was->{VmRSS}, $now->{VmHWM} - $was->{VmHWM});
}

# Growth within the bound: 64 MB, generous (README "Limits").
sub within {
    my ($kb, $name) = @_;
    return t_cmp($kb < $mb64 ? 'under 64 MB' : "$kb kB", 'under 64 MB', $name);
}

sub wait_offset {
    my ($want) = @_;
    my $now;
    for (1 .. 150) {
        $now = end_offset($topic);
        last if $now >= $want;
        select undef, undef, undef, 0.2;
    }
    return $now;
}

# --- 1. KafkaUpstreamMaxRecords ---------------------------------------------------

{
    my $before = end_offset($topic);
    my $res = ndjson('/bounds-records', lines(3));
    ok t_cmp($res->{status}, 200, 'three records, the limit: 200');
    ok t_cmp(end_offset($topic), $before + 3, 'three records, the limit: all produced');

    $before = end_offset($topic);
    $res = ndjson('/bounds-records', lines(4));
    ok t_cmp(said($res), refusal(413, 'Request Entity Too Large',
                                 'too many records: at most 3 per request'),
             'four records: 413 naming the limit');
    ok t_cmp(end_offset($topic), $before, 'four records: nothing produced');
}

{
    my ($before, $before_other) = (end_offset($topic), end_offset($other));
    my $res = ndjson("/bounds-records?topics=$topic,$other", lines(2));
    ok t_cmp(said($res), refusal(413, 'Request Entity Too Large',
                                 'too many records: at most 3 per request'),
             'two lines to two topics are four records: 413');
    ok t_cmp(end_offset($topic) . ' ' . end_offset($other), "$before $before_other",
             'two lines to two topics: nothing produced on either');

    $res = post('/bounds-records-array', [ 'Content-Type: application/json' ], '[1,2,3,4]');
    ok t_cmp(said($res), refusal(413, 'Request Entity Too Large',
                                 'too many records: at most 3 per request'),
             'json-array of four: 413');
    ok t_cmp(end_offset($topic), $before, 'json-array of four: nothing produced');

    # Past the limit the body is not read further: a malformed line after
    # it is never reached.
    $res = ndjson('/bounds-records', lines(4) . "{bad\n");
    ok t_cmp($res->{status}, 413, 'a bad line after the fourth record: still 413');
    $res = ndjson('/bounds-records', lines(2) . "{bad\n" . lines(2));
    ok t_cmp($res->{status}, 400, 'a bad line before the limit: 400');
}

# --- 2. the 500,000-line body ------------------------------------------------------

my $big = "1\n" x $big_lines;

SKIP: {
    skip 'needs mod_ku_test_hooks (./configure --enable-test-hooks)', 4 unless $hooks;
    my $before = end_offset($topic);
    my $memory = children_memory();
    my $res = ndjson('/bounds-default', $big);
    ok t_cmp(said($res), refusal(413, 'Request Entity Too Large',
                                 'too many records: at most 10000 per request'),
             '500,000 lines under the default limit: 413');
    my ($rss, $peak) = growth($memory, $res->{headers}{'x-ku-test-pid'});
    ok within($rss, "refused: the child's VmRSS grew by $rss kB");
    ok within($peak, "refused: the child's peak VmHWM grew by $peak kB");
    select undef, undef, undef, 1;   # async Location: let anything queued arrive
    ok t_cmp(end_offset($topic), $before, 'refused: nothing produced');
}

# A few dozen at once: each refused, and no child grows past the bound
# (each child against what it was before, a new one against the largest).
{
    my $parallel = 24;
    my $before = end_offset($topic);
    my $memory = children_memory();
    my @senders;
    for (1 .. $parallel) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            my $res = eval { ndjson('/bounds-default', $big) } // {};
            POSIX::_exit(($res->{status} // 0) == 413 ? 0 : 1);
        }
        push @senders, $pid;
    }
    my $refused = grep { waitpid($_, 0) == $_ && $? == 0 } @senders;
    ok t_cmp($refused, $parallel, "$parallel bodies of $big_lines lines at once: each 413");
    my $largest = (sort { $b->{VmRSS} <=> $a->{VmRSS} } values %$memory)[0];
    my $now = children_memory();
    my ($worst, $worst_pid) = (0, 0);
    for my $pid (keys %$now) {
        my $grew = ($now->{$pid}{VmRSS} // 0) - (($memory->{$pid} // $largest)->{VmRSS} // 0);
        ($worst, $worst_pid) = ($grew, $pid) if $grew > $worst;
    }
    print STDERR "# $parallel at once: the child that grew most ($worst_pid) grew by $worst kB\n";
    ok within($worst, "$parallel at once: no child's VmRSS grew by 64 MB (at most $worst kB)");
    select undef, undef, undef, 1;
    ok t_cmp(end_offset($topic), $before, "$parallel at once: nothing produced");
}

SKIP: {
    skip 'needs mod_ku_test_hooks (./configure --enable-test-hooks)', 4 unless $hooks;
    my $before = end_offset($topic);
    my $memory = children_memory();
    my $log = log_size();
    my $res = ndjson('/bounds-raised', $big);
    # Half a million results: read with a pattern, JSON::PP would take minutes.
    my @status = $res->{body} =~ /"status":(\d+)/g;
    my $accepted = grep { $_ == 200 } @status;
    # 200s, then 503s only: once the queue is full the rest is not tried.
    my $shape = join ' ', map { "$_->[0]x$_->[1]" } runs(@status);
    print STDERR "# statuses in order: $shape\n";
    ok t_cmp($res->{status} . ' ' . scalar(@status) . ' ' . ($shape =~ s/^200x\d+ 503x\d+$/200...503.../r),
             "207 $big_lines 200...503...",
             "limit raised, queue of 1000: 207, records accepted then the rest refused ($shape)");
    my ($rss, $peak) = growth($memory, $res->{headers}{'x-ku-test-pid'});
    ok within($rss, "accepted: the child's VmRSS grew by $rss kB (peak VmHWM by $peak kB)");
    my @lines = grep { /KU00007/ } log_lines_since($log);
    ok t_cmp(scalar(@lines) . ' ' . ($lines[0] // ''),
             qr/^1 .*answered 503 for topic $topic: local queue full .*; \d+ records of this request failed/,
             'one log line for the request, counting its refused records');
    ok t_cmp(wait_offset($before + $accepted), $before + $accepted,
             "the $accepted accepted records arrive, and no more");
}

# Consecutive equal values: [value, count] ...
sub runs {
    my @runs;
    for (@_) {
        if (@runs && $runs[-1][0] == $_) { $runs[-1][1]++ } else { push @runs, [ $_, 1 ] }
    }
    return @runs;
}

# --- 3. KafkaUpstreamMaxTopics -------------------------------------------------------

{
    my ($before, $before_other) = (end_offset($topic), end_offset($other));
    my $res = post("/bounds-topics?topics=$topic,$other", [ 'Content-Type: text/plain' ], 'x');
    ok t_cmp(said($res), refusal(400, 'Bad Request', 'too many topics: at most 1 per request'),
             'two topics, one allowed per request: 400');
    ok t_cmp(end_offset($topic) . ' ' . end_offset($other), "$before $before_other",
             'two topics: nothing produced on either');
    $res = post("/bounds-topics?topics=$other,$other", [ 'Content-Type: text/plain' ], 'x');
    ok t_cmp($res->{status}, 200, 'one topic named twice is one topic: 200');
    ok t_cmp(end_offset($other), $before_other + 1, 'one topic named twice: one record');
}

# --- 4. KafkaUpstreamMaxRecordHeaders --------------------------------------------------

{
    # Host, Content-Length, Content-Type, Connection: 4; X-List: 1 more.
    my $before = end_offset($topic);
    my $res = post('/bounds-headers', [ 'Content-Type: text/plain', 'X-List: a' ], 'x');
    ok t_cmp($res->{status}, 200, 'five record headers, the limit: 200');
    ok t_cmp(end_offset($topic), $before + 1, 'five record headers: produced');
    $before = end_offset($topic);
    # One header line, two elements: six record headers.
    $res = post('/bounds-headers', [ 'Content-Type: text/plain', 'X-List: a, b' ], 'x');
    ok t_cmp(said($res), refusal(431, 'Request Header Fields Too Large',
                                 'too many record headers: at most 5 per record'),
             'six record headers: 431');
    ok t_cmp(end_offset($topic), $before, 'six record headers: nothing produced');
}

# --- 5. KafkaUpstreamMaxFormFields -------------------------------------------------------

{
    my $form = 'Content-Type: application/x-www-form-urlencoded';
    my $multipart = 'Content-Type: multipart/form-data; boundary=XyZ';
    my $parts = sub { join('', map { "--XyZ\r\nContent-Disposition: form-data; name=\"f$_\"\r\n\r\nv$_\r\n" } 1 .. $_[0]) . "--XyZ--\r\n" };
    my @cases = (
        [ 'urlencoded, three fields', $form, 'a=1&b=2&c=3', 200 ],
        [ 'urlencoded, three fields and empty pieces', $form, '&a=1&&b=2&=x&c=3&', 200 ],
        [ 'urlencoded, four fields', $form, 'a=1&b=2&c=3&d', 413 ],
        [ 'multipart, three parts', $multipart, $parts->(3), 200 ],
        [ 'multipart, four parts', $multipart, $parts->(4), 413 ],
    );
    for my $case (@cases) {
        my ($name, $type, $body, $status) = @$case;
        my $before = end_offset($topic);
        my $res = post('/bounds-form', [ $type ], $body);
        if ($status == 413) {
            ok t_cmp(said($res), refusal(413, 'Request Entity Too Large',
                                         'too many form fields: at most 3 per request'),
                     "$name: 413");
            ok t_cmp(end_offset($topic), $before, "$name: nothing produced");
        }
        else {
            ok t_cmp($res->{status}, 200, "$name: 200");
            ok t_cmp(end_offset($topic), $before + 1, "$name: produced");
        }
    }
}

# --- 6. a rename target wins -------------------------------------------------------------

{
    my @cases = (
        [ 'X-Request-Id and a forged request-id',
          [ 'request-id: FORGED', 'X-Request-Id: real-1', 'X-Trace: t-1' ],
          [ 'request-id' => 'real-1', 'x-trace' => 't-1' ] ],
        [ 'X-Request-Id after the forged one, other spelling',
          [ 'X-Trace: t-2', 'Request-ID: FORGED', 'x-request-id: real-2' ],
          [ 'x-trace' => 't-2', 'request-id' => 'real-2' ] ],
        [ 'a forged request-id alone', [ 'Request-Id: FORGED', 'X-Trace: t-3' ],
          [ 'x-trace' => 't-3' ] ],
    );
    for my $case (@cases) {
        my ($name, $headers, $expected) = @$case;
        my $res = post('/bounds-rename', [ 'Content-Type: text/plain', @$headers ], 'x');
        ok t_cmp($res->{status}, 200, "$name: 200");
        my $record = consume_one($topic, offsets_of($res), timeout => 10);
        ok t_cmp(json->encode($record ? $record->{headers} // [] : 'no record'),
                 json->encode($expected), "$name: the record's headers");
    }
}
