# SPDX-License-Identifier: Apache-2.0
# README "The message": every request to /all (all forward flags On) arrives in Kafka as
# exactly this envelope. Requests are written byte for byte so the expected
# headers are known; each case compares the whole message.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use KafkaTest;
use MIME::Base64 qw(encode_base64);

my $topic = 'ku-all';
my $host = Apache::Test::vars('remote_addr') . ':' . Apache::Test::vars('port');

# name, request head (after the request line's host), body, expected envelope
my @cases = (
    [ 'urlencoded body, repeated query and form names, merged headers',
      "POST /all/p?a=1&b=x&b=y&flag&e= HTTP/1.1\r\nHost: $host\r\n"
      . "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: LEN\r\n"
      . "X-Multi: one\r\nX-Multi: two\r\nConnection: close",
      'k=v&k=w&z=1&s=a+b%21',
      { method => 'POST', uri => '/all/p?a=1&b=x&b=y&flag&e=',
        uri_args => { a => '1', b => ['x', 'y'], flag => JSON::PP::true, e => '' },
        headers => { host => $host, 'content-type' => 'application/x-www-form-urlencoded',
                     'content-length' => 'LEN', 'x-multi' => 'one, two',
                     connection => 'close' },
        body => 'k=v&k=w&z=1&s=a+b%21',
        body_args => { k => ['v', 'w'], z => '1', s => 'a b!' } } ],

    [ 'JSON body with charset, media type in any case',
      "PUT /all HTTP/1.1\r\nHost: $host\r\nContent-Type: Application/JSON; charset=utf-8\r\n"
      . "Content-Length: LEN\r\nConnection: close",
      "{\"n\":1.5,\"l\":[true,null,\"\xc3\xa9\"]}",
      { method => 'PUT', uri => '/all', uri_args => {},
        headers => { host => $host, 'content-type' => 'Application/JSON; charset=utf-8',
                     'content-length' => 'LEN', connection => 'close' },
        body => "{\"n\":1.5,\"l\":[true,null,\"\x{e9}\"]}",
        body_args => { n => 1.5, l => [JSON::PP::true, undef, "\x{e9}"] } } ],

    [ 'multipart: a text field, a UTF-8 file and a binary file',
      "POST /all HTTP/1.1\r\nHost: $host\r\nContent-Type: multipart/form-data; boundary=\"XyZ\"\r\n"
      . "Content-Length: LEN\r\nConnection: close",
      "--XyZ\r\nContent-Disposition: form-data; name=\"field\"\r\n\r\nvalue 1\r\n"
      . "--XyZ\r\nContent-Disposition: form-data; name=\"notes\"; filename=\"a.txt\"\r\n"
      . "Content-Type: text/plain\r\n\r\nline1\r\nline2\r\n"
      . "--XyZ\r\nContent-Disposition: form-data; name=\"img\"; filename=\"x.bin\"\r\n"
      . "Content-Type: application/octet-stream\r\n\r\n\x00\xff\xfe\r\n--XyZ--\r\n",
      'MULTIPART' ],

    [ 'text/plain kept raw',
      "POST /all HTTP/1.1\r\nHost: $host\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nConnection: close",
      "hello\nworld",
      { method => 'POST', uri => '/all', uri_args => {},
        headers => { host => $host, 'content-type' => 'text/plain',
                     'content-length' => '11', connection => 'close' },
        body => "hello\nworld", body_args => {} } ],

    [ 'text/plain that is not UTF-8 becomes base64',
      "POST /all HTTP/1.1\r\nHost: $host\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close",
      "a\xffb",
      { method => 'POST', uri => '/all', uri_args => {},
        headers => { host => $host, 'content-type' => 'text/plain',
                     'content-length' => '3', connection => 'close' },
        body => encode_base64("a\xffb", ''), body_args => {},
        body_base64 => JSON::PP::true } ],

    [ 'an unknown type becomes base64',
      "POST /all HTTP/1.1\r\nHost: $host\r\nContent-Type: application/octet-stream\r\nContent-Length: 4\r\nConnection: close",
      "\x00\x01\x02\x03",
      { method => 'POST', uri => '/all', uri_args => {},
        headers => { host => $host, 'content-type' => 'application/octet-stream',
                     'content-length' => '4', connection => 'close' },
        body => 'AAECAw==', body_args => {}, body_base64 => JSON::PP::true } ],

    [ 'a chunked body is read whole',
      "POST /all HTTP/1.1\r\nHost: $host\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\nConnection: close",
      "3\r\n<a>\r\n4\r\n</a>\r\n0\r\n\r\n",
      { method => 'POST', uri => '/all', uri_args => {},
        headers => { host => $host, 'content-type' => 'text/xml',
                     'transfer-encoding' => 'chunked', connection => 'close' },
        body => '<a></a>', body_args => {} } ],

    [ 'DELETE without a body',
      "DELETE /all/item/7 HTTP/1.1\r\nHost: $host\r\nConnection: close",
      '',
      { method => 'DELETE', uri => '/all/item/7', uri_args => {},
        headers => { host => $host, connection => 'close' },
        body => '', body_args => {}, body_base64 => JSON::PP::true } ],
);

plan tests => 2 * @cases + 3;

my $multipart_expected = sub {
    my ($head, $body) = @_;
    return { method => 'POST', uri => '/all', uri_args => {},
             headers => { host => $host,
                          'content-type' => 'multipart/form-data; boundary="XyZ"',
                          'content-length' => 'LEN', connection => 'close' },
             body => encode_base64($body, ''), body_base64 => JSON::PP::true,
             body_args => { field => 'value 1', notes => "line1\r\nline2",
                            img => { filename => 'x.bin',
                                     content_type => 'application/octet-stream',
                                     content_base64 => encode_base64("\x00\xff\xfe", '') } } };
};

for my $case (@cases) {
    my ($name, $head, $body, $expected) = @$case;
    my $len = length $body;
    $head =~ s/Content-Length: LEN/Content-Length: $len/;
    $expected = $multipart_expected->($head, $body) if $expected eq 'MULTIPART';
    $expected->{headers}{'content-length'} = "$len"
        if exists $expected->{headers}{'content-length'};
    my $offset = end_offset($topic);
    my $res = raw_request($head, $body);
    ok t_cmp($res->{status}, 200, "$name: 200");
    my $got = decode_value(consume_one($topic, $offset));
    ok t_cmp(json->encode($got), json->encode($expected), "$name: the message");
}

# Expect: 100-continue: the client is invited, sends, and the body arrives.
{
    my $offset = end_offset($topic);
    my $res = raw_request("POST /all HTTP/1.1\r\nHost: $host\r\nContent-Type: text/plain\r\n"
                          . "Content-Length: 5\r\nExpect: 100-continue\r\nConnection: close",
                          'hello', expect_100 => 1);
    ok t_cmp($res->{interim}, qr{^HTTP/1\.1 100}, '100 Continue before the body');
    ok t_cmp($res->{status}, 200, '100-continue request answered 200');
    my $got = decode_value(consume_one($topic, $offset));
    ok t_cmp($got->{body}, 'hello', '100-continue body arrived');
}
