# SPDX-License-Identifier: Apache-2.0
# HTTP/2 (h2c, mod_http2): the same message as over HTTP/1.1, in async and
# sync mode, with the delivery headers in sync mode.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use KafkaTest;

plan tests => 7, need_module('http2');

my $base = 'http://' . Apache::Test::vars('remote_addr') . ':' . Apache::Test::vars('port');

# Runs curl over h2c with prior knowledge; returns (status, headers, body).
sub h2_post {
    my ($path, $body) = @_;
    my @cmd = ('curl', '-sS', '--http2-prior-knowledge', '-D', '-', '-X', 'POST',
               '-H', 'Content-Type: application/json', '--data-binary', $body, "$base$path");
    open(my $fh, '-|', @cmd) or die "curl: $!";
    local $/;
    my $out = <$fh>;
    close $fh;
    my ($head, $content) = split /\r\n\r\n/, $out, 2;
    my ($proto, $status) = $head =~ m{^(HTTP/\S+) (\d+)};
    my %h = map { /^([^:]+):\s*(.*)$/ ? (lc $1, $2) : () } split /\r\n/, $head;
    return ($proto, $status, \%h, $content);
}

{
    my $offset = end_offset('ku-all');
    my ($proto, $status, $h, $content) = h2_post('/all/h2?x=1', '{"h2":true}');
    ok t_cmp($proto, 'HTTP/2', 'spoken over HTTP/2');
    ok t_cmp($status, 200, 'async over HTTP/2: 200');
    my $got = decode_value(consume_one('ku-all', $offset));
    delete $got->{headers}{'user-agent'};
    ok t_cmp(json->encode($got),
             json->encode({ method => 'POST', uri => '/all/h2?x=1', uri_args => { x => '1' },
                            headers => { host => $base =~ s{^http://}{}r, accept => '*/*',
                                         'content-type' => 'application/json',
                                         'content-length' => '11' },
                            body => '{"h2":true}', body_args => { h2 => JSON::PP::true } }),
             'async over HTTP/2: the message');
}

{
    my ($proto, $status, $h, $content) = h2_post('/sync/h2', '[1]');
    ok t_cmp($status, 200, 'sync over HTTP/2: 200');
    ok t_cmp($h->{'kafka-topic'}, 'ku-sync', 'sync over HTTP/2: Kafka-Topic');
    ok t_cmp($content, '{"message":"message sent"}', 'sync over HTTP/2: answer');
    my $got = decode_value(consume_one('ku-sync', $h->{'kafka-offset'} // 0, timeout => 5));
    ok t_cmp(json->encode($got),
             '{"body":"[1]","body_args":[1],"method":"POST","uri":"/sync/h2","uri_args":{}}',
             'sync over HTTP/2: the record at Kafka-Offset');
}
