# SPDX-License-Identifier: Apache-2.0
# Kong's defaults: only body, body_args and body_base64 are forwarded, async.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use Apache::TestRequest qw(GET POST);
use lib 't/lib';
use KafkaTest;

plan tests => 6, need_lwp;

my $topic = 'ku-defaults';

{
    my $offset = end_offset($topic);
    my $res = GET '/defaults';
    ok t_cmp($res->code, 200, 'bodyless GET answered 200');
    ok t_cmp($res->content, '{"message":"message sent"}', 'answer body');
    ok t_cmp($res->header('Content-Type'), qr{^application/json}, 'answer is JSON');
    my $rec = consume_one($topic, $offset);
    ok t_cmp(json->encode(decode_value($rec)),
             '{"body":"","body_args":{},"body_base64":true}',
             'bodyless GET message as Kong produces it');
}

{
    my $offset = end_offset($topic);
    my $res = POST '/defaults?x=1', content => '{"a":[1,2]}',
        'Content-Type' => 'application/json';
    ok t_cmp($res->code, 200, 'JSON POST answered 200');
    my $rec = consume_one($topic, $offset);
    ok t_cmp(json->encode(decode_value($rec)),
             '{"body":"{\"a\":[1,2]}","body_args":{"a":[1,2]}}',
             'JSON body raw and parsed; no method, uri or headers by default');
}
