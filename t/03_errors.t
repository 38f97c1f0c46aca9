# SPDX-License-Identifier: Apache-2.0
# Client errors (README "Responses"): 400 for a body that does not parse as its type,
# 413 over KafkaUpstreamMaxBodySize, 500 for a location without a topic.
# Each answer is the JSON error body, and nothing reaches Kafka: after each
# refused request a marker request goes to the same topic, and the marker
# must be the very next record.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use KafkaTest;

my $topic = 'ku-all';
my $host = Apache::Test::vars('remote_addr') . ':' . Apache::Test::vars('port');

sub post {
    my ($path, $type, $body, %extra) = @_;
    my $head = "POST $path HTTP/1.1\r\nHost: $host\r\nConnection: close";
    $head .= "\r\nContent-Type: $type" if defined $type;
    $head .= "\r\nContent-Length: " . length($body) unless $extra{chunked};
    $head .= "\r\nTransfer-Encoding: chunked" if $extra{chunked};
    $head .= "\r\n$extra{header}" if $extra{header};
    $body = sprintf("%x\r\n%s\r\n0\r\n\r\n", length $body, $body) if $extra{chunked};
    return raw_request($head, $body, %extra);
}

# path, content type, body, expected status, expected error, options
my @refused = (
    ['/all', 'application/json', '{"a":', 400, 'invalid JSON body'],
    ['/all', 'application/json', '{"a":1} x', 400, 'invalid JSON body'],
    ['/all', 'application/json', '', 400, 'empty JSON body'],
    ['/all', 'application/json', ('[' x 100) . (']' x 100), 400, 'JSON body nested too deeply'],
    ['/all', 'application/x-www-form-urlencoded', 'a=%zz', 400,
     'invalid percent-encoding in form body'],
    ['/all', 'application/x-www-form-urlencoded', 'a=%ff', 400, 'form body is not valid UTF-8'],
    ['/all', 'multipart/form-data', "--x\r\n\r\n--x--\r\n", 400, 'multipart body without boundary'],
    ['/all', 'multipart/form-data; boundary=x',
     "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end", 400,
     'multipart body without closing boundary'],
    ['/small', 'text/plain', 'x' x 17, 413, 'request body too large'],
    ['/small', 'text/plain', 'x' x 17, 413, 'request body too large', chunked => 1],
    ['/small', 'text/plain', 'x' x 17, 413, 'request body too large',
     header => 'Expect: 100-continue', expect_100 => 1],
    ['/no-topic', 'text/plain', 'x', 500, 'location not configured for Kafka'],
);

plan tests => 4 * @refused + 4;

my %reason = (400 => 'Bad Request', 413 => 'Request Entity Too Large',
              500 => 'Internal Server Error');

for my $case (@refused) {
    my ($path, $type, $body, $status, $error, %extra) = @$case;
    my $name = "$path " . ($type // '-') . ' ' . substr($body, 0, 20)
        . ($extra{chunked} ? ' (chunked)' : '') . ($extra{expect_100} ? ' (100-continue)' : '');
    my $offset = end_offset($topic);
    my $res = post($path, $type, $body, %extra);
    ok t_cmp($res->{status}, $status, "$name: status");
    my $answer = eval { json->encode(json->decode($res->{body})) } // $res->{body};
    ok t_cmp($answer, json->encode({ message => $reason{$status}, error => $error }),
             "$name: JSON error body");
    ok t_cmp($res->{headers}{'content-type'}, 'application/json', "$name: content type");
    my $marker = "marker after $name";
    post('/all', 'text/plain', $marker);
    my $next = decode_value(consume_one($topic, $offset));
    ok t_cmp($next && $next->{body}, $marker, "$name: nothing produced");
}

# At the limit exactly is fine; 100-continue over it is refused before the
# client is invited to send (no interim 100).
{
    my $offset = end_offset($topic);
    my $res = post('/small', 'text/plain', 'y' x 16);
    ok t_cmp($res->{status}, 200, 'a body of exactly KafkaUpstreamMaxBodySize is accepted');
    my $got = decode_value(consume_one($topic, $offset));
    ok t_cmp($got && $got->{body}, 'y' x 16, 'and arrives');

    $res = post('/small', 'text/plain', 'x' x 17, header => 'Expect: 100-continue',
                expect_100 => 1);
    ok t_cmp($res->{interim}, qr{^HTTP/1\.1 413}, 'no 100 Continue for a body declared too large');
    ok t_cmp($res->{headers}{connection} // '', qr/\bclose\b/, 'the connection is closed after 413');
}
