# SPDX-License-Identifier: Apache-2.0
# Per-Location inheritance (README "Configuration"): a Location inherits the server's
# cluster and its parent Location's settings, and overrides per directive.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use Apache::TestRequest qw(POST);
use lib 't/lib';
use KafkaTest;

plan tests => 4, need_lwp;

my $topic = 'ku-inherit';

{
    my $offset = end_offset($topic);
    my $res = POST '/inherit?a=1', content => 'p', 'Content-Type' => 'text/plain';
    ok t_cmp($res->code, 200, '/inherit: accepted with the server-wide cluster');
    ok t_cmp(json->encode(decode_value(consume_one($topic, $offset))),
             '{"body":"p","body_args":{},"method":"POST"}',
             '/inherit: its own topic and ForwardMethod');
}

{
    my $offset = end_offset($topic);
    my $res = POST '/inherit/child?a=1', content => 'c', 'Content-Type' => 'text/plain';
    ok t_cmp($res->code, 200, '/inherit/child: accepted');
    ok t_cmp(json->encode(decode_value(consume_one($topic, $offset))),
             '{"body":"c","body_args":{},"uri":"/inherit/child?a=1","uri_args":{"a":"1"}}',
             '/inherit/child: parent topic kept, ForwardMethod overridden, ForwardURI added');
}
