# SPDX-License-Identifier: Apache-2.0
# README "Beyond Kong", against the real broker (locations: t/conf/21_headers_format.inc):
#  - KafkaUpstreamRecordHeaders[Include|Exclude|Repeated], ...HeaderRename:
#    request headers become Kafka record headers, compared as the record's
#    whole header list; a header sent twice is merged by httpd into
#    'a, b, "c,d"' and retain_duplicates / concatenate_by_comma / take_first
#    make three / one / the first record header of it;
#    record header names are lower-case, the same over HTTP/1.1 and
#    HTTP/2; a rename target keeps the spelling the configuration gives;
#  - KafkaUpstreamMessageFormat raw: the value is the body byte for byte,
#    Content-Type a record header (even with record headers Off);
#  - KafkaUpstreamField: envelope fields from httpd expressions, behind
#    Basic auth (REMOTE_USER, mod_unique_id's UNIQUE_ID, a request header);
#    an empty value leaves its field out;
#  - KafkaUpstreamCompression: the codec of the batch as the broker stored
#    it, read from its log segments with Kafka's DumpLogSegments.
# All locations are sync: the answer's Kafka-Offset says where to look.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use KafkaTest;
use Cwd qw(abs_path);
use MIME::Base64 qw(encode_base64);

my $host = Apache::Test::vars('remote_addr') . ':' . Apache::Test::vars('port');

# --- helpers ---------------------------------------------------------------------

# Sends a POST with exactly these header lines (Host first, Connection: close
# last) and this body.
sub post {
    my ($path, $lines, $body) = @_;
    my $head = join "\r\n", "POST $path HTTP/1.1", "Host: $host", @$lines, 'Connection: close';
    return raw_request($head, $body);
}

# The record at topic/offset as kcat -J prints it, decoded without assuming
# UTF-8 (each byte one character), so a binary payload cannot break it.
my $bytes_json = JSON::PP->new;
sub record_at {
    my ($topic, $offset) = @_;
    my $b = broker();
    my $line = `timeout 15 kcat -C -q -J -b $b -t $topic -p 0 -o $offset -c 1 -e`;
    return $line =~ /\S/ ? $bytes_json->decode($line) : undef;
}

# The record's value, byte for byte (kcat -f '%s' writes it unchanged).
sub value_at {
    my ($topic, $offset) = @_;
    open(my $fh, '-|', 'timeout', 15, 'kcat', '-C', '-q', '-b', broker(), '-t', $topic,
         '-p', 0, '-o', $offset, '-c', 1, '-e', '-f', '%s') or die "kcat: $!";
    binmode $fh;
    local $/;
    my $value = <$fh>;
    close $fh;
    return $value;
}

# The record's header list ["name","value",...] as JSON, or "none".
sub headers_of {
    my ($record) = @_;
    return 'no record' unless $record;
    return exists $record->{headers} ? json->encode($record->{headers}) : 'none';
}

sub offset_of { $_[0]{headers}{'kafka-offset'} // 'none' }

# --- 1. record headers -----------------------------------------------------------

# Sent to every location, in this order: X-Multi twice around X-Trace.
my @sent = ('Content-Type: text/plain', 'Content-Length: 2', 'X-Multi: a', 'X-Trace: t-1',
            'X-Multi: b, "c,d"');
# httpd merges the two X-Multi into the first one's place: a, b, "c,d".
my @front = (host => $host, 'content-type' => 'text/plain', 'content-length' => '2');
my @three = ('x-multi' => 'a', 'x-multi' => 'b', 'x-multi' => '"c,d"');
my @retained = (@front, @three, 'x-trace' => 't-1', connection => 'close');

# location, the record's expected header list (undef: none at all)
my @header_cases = (
    [ '/fmt-hdr-none',    undef ],
    [ '/fmt-hdr-default', \@retained ],
    [ '/fmt-hdr-retain',  \@retained ],
    [ '/fmt-hdr-concat',  [ @front, 'x-multi' => 'a, b, "c,d"', 'x-trace' => 't-1',
                            connection => 'close' ] ],
    [ '/fmt-hdr-first',   [ @front, 'x-multi' => 'a', 'x-trace' => 't-1',
                            connection => 'close' ] ],
    [ '/fmt-hdr-include', [ @three, 'x-trace' => 't-1' ] ],
    [ '/fmt-hdr-exclude', [ 'content-type' => 'text/plain', @three, 'x-trace' => 't-1' ] ],
    [ '/fmt-hdr-rename',  [ ct => 'text/plain', 'Trace-ID' => 't-1' ] ],
);

# --- 2. raw format ------------------------------------------------------------------

my $all_bytes = join '', map { chr } 0 .. 255;
# location, header lines, body, the record's expected header list
my @raw_cases = (
    [ '/fmt-raw-only', [ 'Content-Type: application/octet-stream', 'X-Trace: t-1' ],
      "\x00\xff" . $all_bytes . "\r\n\x00",
      [ 'content-type' => 'application/octet-stream' ] ],
    # Not parsed: invalid JSON (and not UTF-8) is no 400 in raw format.
    [ '/fmt-raw-only', [ 'Content-Type: application/json; charset=utf-8' ],
      "{\"half\": [1, \xff",
      [ 'content-type' => 'application/json; charset=utf-8' ] ],
    [ '/fmt-raw-only', [], "\xfe\x00\xff", undef ],
    [ '/fmt-raw-include', [ 'Content-Type: image/png', 'X-Trace: t-2' ],
      "\x89PNG\r\n\x1a\n\x00\x00",
      [ 'x-trace' => 't-2', 'content-type' => 'image/png' ] ],
    [ '/fmt-raw-all', [ 'Content-Type: text/plain; charset=latin1', 'X-Trace: t-3' ],
      "caf\xe9",
      [ 'content-type' => 'text/plain; charset=latin1', 'x-trace' => 't-3' ] ],
);

# --- 4. compression: the body sent --------------------------------------------

my @codecs = qw(none gzip snappy lz4 zstd);
# Compressible, so that no codec's output is larger than the input (a
# producer may then send a batch uncompressed).
my $compress_body = 'mod_kafka_upstream compression test; ' x 100;

plan tests => 3 * @header_cases + 3 * @raw_cases + 10 + 3 * @codecs + 3, need_module('http2');

for my $case (@header_cases) {
    my ($path, $expected) = @$case;
    my $res = post($path, \@sent, 'hi');
    ok t_cmp($res->{status}, 200, "$path: 200");
    my $record = record_at('ku-headers', offset_of($res));
    ok t_cmp(headers_of($record), $expected ? json->encode($expected) : 'none',
             "$path: the record's headers");
    ok t_cmp($record ? $record->{payload} : 'no record', '{"body":"hi","body_args":{}}',
             "$path: the value is the envelope, unchanged");
}

# The same request over HTTP/1.1 (names as the client spelt them) and HTTP/2
# (lower-case on the wire) gives the same record headers.
{
    my %by_protocol;
    for my $protocol ('--http1.1', '--http2-prior-knowledge') {
        open(my $fh, '-|', 'curl', '-sS', $protocol, '-D', '-', '-o', '/dev/null',
             '-H', 'X-Trace: t-proto', '-H', 'X-Request-Id: Abc-1', '--data-binary', 'hi',
             "http://$host/fmt-hdr-include") or die "curl: $!";
        my ($offset) = join('', <$fh>) =~ /^kafka-offset:\s*(\d+)/mi;
        close $fh;
        $by_protocol{$protocol} = headers_of(record_at('ku-headers', $offset // 'end'));
    }
    ok t_cmp($by_protocol{'--http1.1'}, json->encode([ 'x-trace' => 't-proto' ]),
             'HTTP/1.1: record header names are lower-case');
    ok t_cmp($by_protocol{'--http2-prior-knowledge'}, json->encode([ 'x-trace' => 't-proto' ]),
             'HTTP/2: the same');
    ok t_cmp($by_protocol{'--http1.1'}, $by_protocol{'--http2-prior-knowledge'},
             'the same record headers over both protocols');
}

for my $case (@raw_cases) {
    my ($path, $lines, $body, $expected) = @$case;
    my $res = post($path, [ @$lines, 'Content-Length: ' . length $body ], $body);
    ok t_cmp($res->{status}, 200, "$path (" . length($body) . " bytes): 200");
    my $offset = offset_of($res);
    # Compared in hex: byte for byte, and readable when it differs.
    ok t_cmp(unpack('H*', value_at('ku-raw', $offset) // 'no record'), unpack('H*', $body),
             "$path: the value is the body byte for byte");
    ok t_cmp(headers_of(record_at('ku-raw', $offset)),
             $expected ? json->encode($expected) : 'none', "$path: the record's headers");
}

# --- 3. fields from expressions, behind Basic auth ------------------------------

{
    my $auth = 'Authorization: Basic ' . encode_base64('ku-tester:ku-test-only-password', '');
    my $bad = 'Authorization: Basic ' . encode_base64('ku-tester:wrong', '');
    my @body = ('Content-Type: text/plain', 'Content-Length: 5');
    my $before = end_offset('ku-fields');

    my $res = post('/fmt-fields', [ @body, 'X-Tenant: acme' ], 'hello');
    ok t_cmp($res->{status}, 401, 'fields: no credentials: 401');
    $res = post('/fmt-fields', [ @body, $bad, 'X-Tenant: acme' ], 'hello');
    ok t_cmp($res->{status}, 401, 'fields: wrong password: 401');

    $res = post('/fmt-fields', [ @body, $auth, 'X-Tenant: acme' ], 'hello');
    ok t_cmp($res->{status}, 200, 'fields: with credentials: 200');
    ok t_cmp(offset_of($res), $before,
             'fields: the 401s produced nothing (the accepted request has the next offset)');
    my $first = decode_value(consume_one('ku-fields', offset_of($res), timeout => 5)) // {};
    my $id = $first->{request_id} // '';
    ok t_cmp($id, qr/^[A-Za-z0-9\@_-]{19,}$/, 'fields: request_id is a UNIQUE_ID');
    ok t_cmp(json->encode($first),
             json->encode({ body => 'hello', body_args => {}, user => 'ku-tester',
                            request_id => $id, request_id_env => $id, tenant => 'acme',
                            source => 'httpd POST' }),
             'fields: the envelope with user, request_id, tenant and source');

    # Without X-Tenant its expression is empty: no tenant field, not null.
    $res = post('/fmt-fields', [ @body, $auth ], 'hello');
    ok t_cmp($res->{status}, 200, 'fields: without X-Tenant: 200');
    my $second = decode_value(consume_one('ku-fields', offset_of($res), timeout => 5)) // {};
    my $id2 = $second->{request_id} // '';
    ok t_cmp(json->encode($second),
             json->encode({ body => 'hello', body_args => {}, user => 'ku-tester',
                            request_id => $id2, request_id_env => $id2,
                            source => 'httpd POST' }),
             'fields: an empty expression leaves its field out');
    ok t_cmp($id2, qr/^[A-Za-z0-9\@_-]{19,}$/, 'fields: second request_id is a UNIQUE_ID');
    ok t_cmp($id2 ne $id ? 'another' : "the same: $id", 'another',
             'fields: each request has its own request_id');
}

# --- 4. compression, as stored by the broker ------------------------------------

# Where t/kafka/kafka.sh keeps the main broker's data and jars, computed from
# the same environment.
sub kafka_data_dir {
    my $user = $ENV{USER} // scalar getpwuid($<);
    my $dir = $ENV{KU_KAFKA_DIR} // "/tmp/ku-kafka-$user";
    return (abs_path($dir) // $dir) . '/data';
}

sub kafka_libs {
    my $cache = $ENV{KU_KAFKA_HOME} // "$ENV{HOME}/.cache/mod_kafka_upstream/kafka";
    open(my $fh, '<', 't/kafka/pom.xml') or die "t/kafka/pom.xml: $!";
    my ($default) = join('', <$fh>) =~ m{<kafka\.version>(.*?)</kafka\.version>};
    my $version = $ENV{KU_KAFKA_VERSION} // $default;
    $cache .= "/$version" if $version ne $default;
    return "$cache/libs";
}

{
    my %offset;
    for my $codec (@codecs) {
        my $res = post("/fmt-compress-$codec",
                       [ 'Content-Type: text/plain', 'Content-Length: ' . length $compress_body ],
                       $compress_body);
        ok t_cmp($res->{status}, 200, "compression $codec: 200");
        $offset{$codec} = offset_of($res);
        my $got = decode_value(consume_one("ku-compress-$codec", $offset{$codec}, timeout => 5));
        ok t_cmp($got ? $got->{body} : 'no record', $compress_body,
                 "compression $codec: the record reads back whole");
    }

    # One JVM for all five partitions' segments.
    my $data = kafka_data_dir();
    my @files = map { glob("$data/ku-compress-$_-0/*.log") } @codecs;
    my @cmd = ('timeout', 120, $ENV{JAVA} // 'java', '-XX:TieredStopAtLevel=1',
               '-XX:+UseSerialGC', '-cp', kafka_libs() . '/*', 'kafka.tools.DumpLogSegments',
               '--files', join(',', @files));
    my %batches;    # codec -> [ [base, last, compresscodec], ... ]
    my $current;
    if (@files) {
        open(my $fh, '-|', @cmd) or die "java: $!";
        while (<$fh>) {
            if (/^Dumping .*\/ku-compress-(\w+)-0\//) { $current = $1 }
            elsif ($current && /^baseOffset: (\d+) lastOffset: (\d+) .*compresscodec: (\w+)/) {
                push @{ $batches{$current} }, [ $1, $2, lc $3 ];
            }
        }
        close $fh;
    }
    else {
        diag("no log segments under $data");
    }
    for my $codec (@codecs) {
        my $at = $offset{$codec};
        my ($batch) = grep { $at =~ /^\d+$/ && $_->[0] <= $at && $at <= $_->[1] }
                      @{ $batches{$codec} // [] };
        ok t_cmp($batch ? $batch->[2] : 'no batch found', $codec,
                 "compression $codec: the broker stored the batch as $codec");
    }
}
