# SPDX-License-Identifier: Apache-2.0
# The bad-input corpus (README "The message", "Responses"): every case in t/corpus/*.http (format
# in t/corpus/README) plus the large ones generated below is sent byte for
# byte to /corpus (t/conf/30_bad_input.inc: everything forwarded, sync,
# KafkaUpstreamMaxBodySize 65536, topic ku-all). For each case:
# - the status is the expected one;
# - 4xx/5xx: when the module answered, its JSON error body
#   {"message":<reason>,"error":<detail>}; when httpd itself answered, not
#   the module's JSON; and nothing produced: a marker request sent next to
#   the same topic must be the very next record;
# - 2xx: exactly one new record (Kafka-Offset points at it, the end offset
#   moved by one), valid JSON, with the expected fields.
# Last, no child crashed: no request went unanswered, the server still
# produces, and the httpd error log written during this file has no
# "exit signal" / segfault line; and every request is in the access log
# with a real status.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use File::Basename qw(basename);
use lib 't/lib';
use KafkaTest;
use HttpdLog;

my $topic = 'ku-all';
my $path = '/corpus';
my $limit = 65536;                  # KafkaUpstreamMaxBodySize in t/conf/30_bad_input.inc
my $host = Apache::Test::vars('remote_addr') . ':' . Apache::Test::vars('port');
my $corpus_dir = 't/corpus';

# A server that closes early (413, httpd's 400) must not kill the test.
$SIG{PIPE} = 'IGNORE';

my %reason = (400 => 'Bad Request', 404 => 'Not Found', 413 => 'Request Entity Too Large',
              414 => 'Request-URI Too Long', 501 => 'Not Implemented');

# --- building requests ---------------------------------------------------------

sub chunked {
    my ($body, $size) = @_;
    my $out = '';
    for (my $i = 0; $i < length $body; $i += $size) {
        my $piece = substr($body, $i, $size);
        $out .= sprintf("%x\r\n%s\r\n", length $piece, $piece);
    }
    return $out . "0\r\n\r\n";
}

# Head lines (no CRLF) and body into what goes on the wire: HOST and LEN
# filled in, Connection: close added unless the head has a Connection.
sub finish {
    my ($case, @head) = @_;
    $case->{body} = chunked($case->{body}, $case->{chunk_size}) if $case->{chunk_size};
    my $len = length $case->{body};
    s/\bHOST\b/$host/g, s/^(Content-Length:\s*)LEN$/$1$len/i for @head;
    push @head, 'Connection: close' unless grep { /^Connection:/i } @head;
    $case->{head} = join "\r\n", @head;
    return $case;
}

sub unescape { $_[0] =~ s/\\x([0-9A-Fa-f]{2})/chr hex $1/ger }

# One t/corpus/NAME.http file (see t/corpus/README).
sub load_case {
    my ($file) = @_;
    open my $fh, '<:raw', $file or die "$file: $!";
    my $text = do { local $/; <$fh> };
    close $fh;
    my %c = (name => basename($file, '.http'), fields => [], absent => []);
    while ($text =~ s/\A#([^\n]*)\n//) {
        my $line = $1;
        if ($line =~ /^ (expect|error|by|body-newlines|chunk-size): (.*)$/) {
            (my $key = $1) =~ tr/-/_/;
            $c{$key} = $2;
        }
        elsif ($line =~ /^ field: (\S+) = (.*)$/) {
            push @{ $c{fields} }, [$1, json->decode($2)];
        }
        elsif ($line =~ /^ absent: (\S+)$/) {
            push @{ $c{absent} }, $1;
        }
        elsif ($line =~ /^ (\w[\w-]*):/) {
            die "$file: unknown directive '$1'\n";
        }
    }
    die "$file: no '# expect: STATUS' line\n" unless ($c{expect} // '') =~ /^\d{3}$/;
    my ($head, $body) = split /\n\n/, $text, 2;
    die "$file: no empty line after the head\n" unless defined $body;
    $body =~ s/\n\z//;
    $body =~ s/\n/\r\n/g if ($c{body_newlines} // '') eq 'crlf';
    $c{body} = unescape($body);
    return finish(\%c, map { unescape($_) } split /\n/, $head);
}

# A generated case: name, expected status, head lines (request line first),
# body, options (error, by, chunk_size, fields, absent, checks).
sub gen {
    my ($name, $expect, $head, $body, %opt) = @_;
    return finish({ name => $name, expect => $expect, body => $body, fields => [],
                    absent => [], %opt }, @$head);
}

sub post_head {
    my ($type, @extra) = @_;
    return ["POST $path HTTP/1.1", 'Host: HOST', "Content-Type: $type", @extra];
}

# --- the generated cases ----------------------------------------------------------

# 10,000 distinct three-letter names "aaa=1&aab=1&...": 59,999 bytes, under
# the 64 KiB limit.
my @names = ('aaa');
push @names, do { my $n = $names[-1]; ++$n } while @names < 10000;
my $form = join '&', map { "$_=1" } @names;
my $form_checks = [
    [ 'body_args has 10000 keys', sub { scalar keys %{ $_[0]{body_args} } }, 10000 ],
    [ 'the first and last fields', sub { join ',', @{ $_[0]{body_args} }{ $names[0], $names[-1] } }, '1,1' ],
    [ 'the body is kept whole', sub { length $_[0]{body} }, length $form ],
];

my $nest = sub { my ($n) = @_; ('[' x $n) . '1' . (']' x $n) };
my $obj_nest = sub { my ($n) = @_; ('{"a":' x $n) . '1' . ('}' x $n) };
my $deep = ('[' x ($limit / 2)) . (']' x ($limit / 2));   # exactly at the limit
my $x_limit = 'x' x $limit;
my @repeated = map { "X-Rep: v$_" } 1 .. 50;
my @big_fields = map { "X-Big-$_: " . ('b' x 8000) } 1 .. 90;

my @generated = (
    gen('form-10000-fields', 200,
        post_head('application/x-www-form-urlencoded', 'Content-Length: LEN'), $form,
        checks => $form_checks),
    gen('form-10000-fields-chunked', 200,
        post_head('application/x-www-form-urlencoded', 'Transfer-Encoding: chunked'), $form,
        chunk_size => 1000, checks => $form_checks),

    gen('body-at-limit', 200, post_head('text/plain', 'Content-Length: LEN'), $x_limit,
        fields => [[body => $x_limit]]),
    gen('body-one-over-limit', 413, post_head('text/plain', 'Content-Length: LEN'),
        "${x_limit}y", error => 'request body too large'),
    gen('body-at-limit-chunked', 200, post_head('text/plain', 'Transfer-Encoding: chunked'),
        $x_limit, chunk_size => 4096, fields => [[body => $x_limit]]),
    gen('body-one-over-limit-chunked', 413,
        post_head('text/plain', 'Transfer-Encoding: chunked'), "${x_limit}y",
        chunk_size => 4096, error => 'request body too large'),

    # README: JSON "nested at most 32 deep": 32 containers, whatever the
    # innermost holds, parse; 33 do not.
    gen('json-nested-32', 200, post_head('application/json', 'Content-Length: LEN'),
        $nest->(32), checks => [[ 'body_args is the nested value',
                                  sub { json->encode($_[0]{body_args}) }, $nest->(32) ]]),
    gen('json-nested-32-empty', 200, post_head('application/json', 'Content-Length: LEN'),
        ('[' x 32) . (']' x 32), fields => [[body => ('[' x 32) . (']' x 32)]]),
    gen('json-nested-32-objects', 200, post_head('application/json', 'Content-Length: LEN'),
        $obj_nest->(32), checks => [[ 'body_args is the nested value',
                                      sub { json->encode($_[0]{body_args}) }, $obj_nest->(32) ]]),
    gen('json-nested-33-arrays', 400, post_head('application/json', 'Content-Length: LEN'),
        $nest->(33), error => 'JSON body nested too deeply'),
    gen('json-nested-33-empty', 400, post_head('application/json', 'Content-Length: LEN'),
        ('[' x 33) . (']' x 33), error => 'JSON body nested too deeply'),
    gen('json-nested-33-objects', 400, post_head('application/json', 'Content-Length: LEN'),
        $obj_nest->(33), error => 'JSON body nested too deeply'),
    gen('json-nested-32768', 400, post_head('application/json', 'Content-Length: LEN'),
        $deep, error => 'JSON body nested too deeply'),
    gen('json-nested-32768-chunked', 400,
        post_head('application/json', 'Transfer-Encoding: chunked'), $deep,
        chunk_size => 8192, error => 'JSON body nested too deeply'),

    # httpd's LimitRequestFieldSize (8190) and LimitRequestLine (8190):
    # httpd answers before any handler runs.
    gen('header-huge', 400,
        post_head('text/plain', 'Content-Length: LEN', 'X-Huge: ' . ('h' x 9000)), 'hello',
        by => 'httpd'),
    gen('request-line-huge', 414, ["GET $path?q=" . ('q' x 9000) . ' HTTP/1.1', 'Host: HOST'],
        '', by => 'httpd'),
    # LimitRequestFields (100).
    gen('header-too-many', 400,
        post_head('text/plain', 'Content-Length: LEN', map { "X-F$_: f" } 1 .. 101), 'hello',
        by => 'httpd'),
    # Within the limits: 90 fields of 8000 bytes (720 KB of headers) all
    # reach the envelope.
    gen('header-many-big', 200, post_head('text/plain', 'Content-Length: LEN', @big_fields),
        'hello', checks => [[ 'all 90 big headers arrive',
                              sub { scalar grep { /^x-big-\d+$/ && length $_[0]{headers}{$_} == 8000 }
                                    keys %{ $_[0]{headers} } }, 90 ]]),
    # The same header 50 times: httpd merges them into one value.
    gen('header-repeated-50', 200, post_head('text/plain', 'Content-Length: LEN', @repeated),
        'hello', fields => [['headers.x-rep' => join ', ', map { "v$_" } 1 .. 50]]),
);

# --- running them --------------------------------------------------------------

opendir my $dh, $corpus_dir or die "$corpus_dir: $!";
my @files = sort grep { /\.http$/ } readdir $dh;
closedir $dh;
my @cases = ((map { load_case("$corpus_dir/$_") } @files), @generated);

sub tests_for {
    my ($c) = @_;
    return 3 if $c->{expect} >= 400;    # status, answer, nothing produced
    return 4 + @{ $c->{fields} } + @{ $c->{absent} } + @{ $c->{checks} // [] };
}

my $total = 0;
$total += tests_for($_) for @cases;
plan tests => $total + 5;

# A corpus that was not copied, or not read, would leave only the generated
# cases: every one of t/corpus's 71 request files (at least) is a case.
ok t_cmp(scalar(@files) >= 71 ? 'all' : scalar(@files) . ' of 71', 'all',
         "the corpus files were read (@{[ scalar @files ]} of t/corpus/*.http)");

# One request; a hang or an unanswered request gives an undefined status.
sub send_case {
    my ($head, $body) = @_;
    my $res = eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm 30;
        my $r = raw_request($head, $body);
        alarm 0;
        $r;
    };
    alarm 0;
    return $res // { status => undef, body => "no answer: $@", headers => {} };
}

sub marker {
    my ($text) = @_;
    return send_case("POST $path HTTP/1.1\r\nHost: $host\r\nContent-Type: text/plain\r\n"
                     . 'Content-Length: ' . length($text) . "\r\nConnection: close", $text);
}

# The value at a dot-separated path of keys (numbers index arrays).
sub at_path {
    my ($value, $path) = @_;
    for my $key (split /\./, $path) {
        return (0) unless ref $value;
        if (ref $value eq 'ARRAY') {
            return (0) unless $key =~ /^\d+$/ && $key < @$value;
            $value = $value->[$key];
        }
        else {
            return (0) unless ref $value eq 'HASH' && exists $value->{$key};
            $value = $value->{$key};
        }
    }
    return (1, $value);
}

# A log that cannot be read fails the file (t/lib/HttpdLog.pm).
my $log_start = log_size();
my $access_start = log_size(file => access_log());
my $unanswered = 0;
my $started = time;

for my $c (@cases) {
    my $name = $c->{name};
    my $offset = end_offset($topic);
    my $res = send_case($c->{head}, $c->{body});
    $unanswered++ unless defined $res->{status};
    ok t_cmp($res->{status}, $c->{expect}, "$name: status");

    if ($c->{expect} >= 400) {
        my $type = $res->{headers}{'content-type'} // '';
        if ($c->{by}) {
            ok t_cmp($type, qr{^text/html}, "$name: answered by httpd, not the module");
        }
        else {
            my $answer = $type eq 'application/json'
                ? eval { json->encode(json->decode($res->{body})) } // $res->{body}
                : "Content-Type $type: $res->{body}";
            ok t_cmp($answer, json->encode({ message => $reason{$c->{expect}} // '?',
                                             error => $c->{error} // '?' }),
                     "$name: the module's JSON error");
        }
        my $mark = "marker after $name";
        marker($mark);
        my $next = eval { decode_value(consume_one($topic, $offset)) };
        ok t_cmp($next && $next->{body}, $mark, "$name: nothing produced");
        next;
    }

    ok t_cmp($res->{headers}{'kafka-offset'}, $offset, "$name: Kafka-Offset is the next offset");
    ok t_cmp(end_offset($topic), $offset + 1, "$name: exactly one record");
    my $record = consume_one($topic, $offset);
    my $env = eval { decode_value($record) };
    ok t_cmp(ref $env, 'HASH', "$name: the record is a JSON object"
             . ($@ ? " ($@)" : ''));
    $env = {} unless ref $env eq 'HASH';
    for my $f (@{ $c->{fields} }) {
        my ($path, $want) = @$f;
        my ($found, $got) = at_path($env, $path);
        ok t_cmp($found ? json->encode([$got]) : '(absent)', json->encode([$want]),
                 "$name: $path");
    }
    for my $path (@{ $c->{absent} }) {
        my ($found) = at_path($env, $path);
        ok t_cmp($found, 0, "$name: no $path");
    }
    for my $check (@{ $c->{checks} // [] }) {
        my ($what, $code, $want) = @$check;
        ok t_cmp(scalar eval { $code->($env) }, $want, "$name: $what");
    }
}

# No child crashed: every request was answered, the server still produces,
# and the error log has no crash line. httpd's parent notices a dead child
# within a second of its maintenance loop.
ok t_cmp($unanswered, 0, 'every request was answered');
{
    my $offset = end_offset($topic);
    my $res = marker('still alive');
    my $next = eval { decode_value(consume_one($topic, $offset)) };
    ok t_cmp(($res->{status} // 0) . ' ' . ($next && $next->{body} // ''), '200 still alive',
             'the server still produces after the corpus');
}
sleep 2;
my @crashes = grep { /exit signal|Segmentation fault|AH0005[0-2]|core dump|double free|\bAborted\b/ }
               log_lines_since($log_start);
ok t_cmp(scalar(@crashes), 0, 'no child crashed' . (@crashes ? ": @crashes" : ''));
# The module never leaves httpd a status that is not one (the access log
# shows "-" for those): every /corpus request is logged with its status,
# and at least every case the module answered is there at all.
my @logged = grep { m{"[A-Z]+ \Q$path\E[^"]*" } }
             log_lines_since($access_start, file => access_log());
my @unlogged = grep { !m{"[A-Z]+ \Q$path\E[^"]*" \d{3} } } @logged;
my $by_module = grep { !$_->{by} } @cases;
ok t_cmp(!@unlogged && @logged >= $by_module ? 1 : 0, 1,
         sprintf('every request is logged with its status (%d /corpus lines, %d cases the module '
                 . 'answered)', scalar @logged, $by_module) . (@unlogged ? ": @unlogged" : ''));
t_debug(sprintf '%d cases (%d files, %d generated) in %d s',
        scalar @cases, scalar @files, scalar @generated, time - $started);
