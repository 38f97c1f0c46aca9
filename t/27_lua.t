# SPDX-License-Identifier: Apache-2.0
# README "Lua message functions" (t/conf/27_lua.inc, files in t/conf/lua):
# - Kong's documented example functions run unchanged and what they return
#   is what reaches Kafka (unmodified, fixed table, consumer + redaction);
# - a function adds fields, drops a message (200, nothing produced; in a
#   split body only the dropped elements), changes the record's key;
#   raw format: the message is the body string;
# - a function that fails, an endless loop (also one that catches its own
#   errors), a memory bomb, a reach for os: 500, nothing produced, one
#   tagged line, and the same thread serves the next request;
# - the sandbox: no os, io, debug, package, ffi, jit, bytecode; cjson there;
# - with the spool (async): the functions' result is what is spooled and
#   produced;
# - a file that does not return a function fails `httpd -t`, naming it.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use Apache::TestRequest qw(POST);
use File::Spec;
use File::Temp qw(tempdir);
use FindBin;
use Time::HiRes qw(time);
use lib 't/lib';
use KafkaTest;
use HttpdLog;

my $TOPIC = 'ku-lua';
my @bounds = (
    [ '/lua/error',      'message function failed',                            'KU00066' ],
    [ '/lua/os',         'message function failed',                            'KU00066' ],
    [ '/lua/loop',       'message function exceeded its instruction limit',    'KU00067' ],
    [ '/lua/pcall-loop', 'message function exceeded its instruction limit',    'KU00067' ],
    [ '/lua/bomb',       'message function exceeded its memory limit',         'KU00068' ],
);

plan tests => 4 + 3 + 3 + 3 + 2 + 1 + 2 + 4 * @bounds + 1 + 2 + 2, need_lwp;

my $n = 0;
sub post_json {
    my ($url, $body, %hdr) = @_;
    return POST($url, content => $body, 'Content-Type' => 'application/json', %hdr);
}

# The record a one-record sync answer points to, or undef.
sub delivered {
    my ($res) = @_;
    my ($p, $off) = map { $res->header($_) } qw(Kafka-Partition Kafka-Offset);
    return undef unless defined $off;
    return consume_one($TOPIC, $off, partition => $p, timeout => 10);
}

# 1-4: Kong's "Unmodified message": the envelope, as without a function.
{
    my $body = '{"hello":"lua","n":' . ++$n . '}';
    my $res = post_json('/lua/unmodified?source=web', $body, 'X-Trace' => 't1');
    my $v = decode_value(delivered($res)) // {};
    ok t_cmp($res->code, 200, 'unmodified: 200');
    ok t_cmp(join(' ', map { $_ // '-' } $v->{method}, $v->{uri}, $v->{uri_args}{source},
                  $v->{headers}{'x-trace'}),
             'POST /lua/unmodified?source=web web t1', 'unmodified: method, uri, args, headers');
    ok t_cmp($v->{body}, $body, 'unmodified: body kept byte for byte');
    ok t_cmp($v->{body_args}{n}, $n, 'unmodified: body_args');
}

# 5-7: Kong's "Return a fixed table" and "Inject consumer info and redact".
{
    my $v = decode_value(delivered(post_json('/lua/fixed', '{"x":1}'))) // {};
    ok t_cmp(json()->canonical->encode($v), '{"a":"1","b":"2"}', 'fixed table produced');
    my $res = post_json('/lua/redact', '{"x":2}', apikey => 'secret-key');
    my $rec = delivered($res);
    my $w = decode_value($rec) // {};
    ok t_cmp($w->{headers}{apikey}, '[REDACTED]', 'redact: apikey replaced');
    ok t_cmp((!exists $w->{consumer} && ($rec->{payload} // '') !~ /secret-key/) ? 1 : 0, 1,
             'redact: no consumer without authentication, the secret nowhere');
}

# 8-10: add a field; change the key.
{
    my $v = decode_value(delivered(post_json('/lua/add', '{"abc":1}'))) // {};
    ok t_cmp(join(' ', map { $_ // '-' } @$v{qw(added body_length)}), 'by-lua 9',
             'fields added, one computed from the body');
    my $rec = delivered(post_json('/lua/key?key=from-query', '{"user":"alice"}'));
    ok t_cmp($rec && $rec->{key}, 'alice', 'key set by the function wins');
    $rec = delivered(post_json('/lua/key?key=from-query', '{"other":1}'));
    ok t_cmp($rec ? $rec->{key} // '(none)' : 'no record', '(none)',
             'key removed by the function (nil)');
}

# 11-13: drop: 200, nothing produced; in a split body only those elements.
{
    my $before = end_offset($TOPIC);
    my $res = post_json('/lua/drop', '{"drop":true}');
    ok t_cmp($res->code, 200, 'dropped: 200');
    my $kept = post_json('/lua/drop', '{"drop":false,"mark":"kept-' . $$ . '"}');
    my @recs = consume($TOPIC, $before, 2, timeout => 5);
    ok t_cmp(scalar(@recs) . ' ' . (decode_value($recs[0]) // {})->{body_args}{mark},
             "1 kept-$$", 'the dropped message never reached Kafka, the next one did');
    $before = end_offset($TOPIC);
    $res = post_json('/lua/split', join("\n", '{"i":1}', '{"i":2,"drop":true}', '{"i":3}'));
    @recs = consume($TOPIC, $before, 3, timeout => 5);
    ok t_cmp(join(',', $res->code, map { my $v = decode_value($_); "$v->{body_args}{i}$v->{added}" }
                  @recs), '200,1by-lua,3by-lua', 'split: the dropped element left out');
}

# 14-15: raw format; 16: the sandbox.
{
    my $res = POST('/lua/raw', content => 'hello raw', 'Content-Type' => 'text/plain');
    my $rec = delivered($res);
    ok t_cmp($res->code, 200, 'raw: 200');
    ok t_cmp($rec && $rec->{payload}, 'HELLO RAW', 'raw: the body string, changed');
    my $v = decode_value(delivered(post_json('/lua/sandbox', '{}'))) // {};
    my @missing = grep { !$v->{$_} } qw(os io debug package dofile loadfile dump ffi jit
                                        bytecode text cjson);
    ok t_cmp("@missing", '', 'sandbox: no os io debug package ffi jit bytecode; text load, cjson');
}

# 17-18: with the spool: async, the functions' result produced.
{
    my $before = end_offset($TOPIC);
    my $res = post_json('/lua/spool', '{"spooled":"' . $$ . '"}');
    post_json('/lua/spool', '{"drop":true}');
    my @recs = consume($TOPIC, $before, 2, timeout => 10);
    ok t_cmp($res->code, 200, 'spool: 200');
    ok t_cmp(join(' ', scalar(@recs), map { my $v = decode_value($_); "$v->{body_args}{spooled} $v->{added}" } @recs),
             "1 $$ by-lua", 'spool: the changed message produced once, the dropped one never');
}

# 19-38: a failure or a bound: 500 naming it, nothing produced, one tagged
# line, and the server keeps serving (the same child's threads included).
for my $c (@bounds) {
    my ($url, $error, $tag) = @$c;
    my $before = end_offset($TOPIC);
    my $from = log_size();
    my $t0 = time;
    my $res = post_json($url, '{"x":1}');
    my $took = time - $t0;
    my $err = eval { json()->decode($res->content)->{error} } // $res->content;
    ok t_cmp($res->code . " $err", "500 $error", "$url: 500 $error");
    my $after = post_json('/lua/add', '{"after":1}');
    ok t_cmp($after->code, 200, "$url: the next request is served (took ${\ sprintf '%.2f', $took} s)");
    ok t_cmp(end_offset($TOPIC) - $before, 1, "$url: nothing produced (only the next request's)");
    ok t_cmp(wait_for_log($from, qr/$tag: KafkaUpstreamMessageLua: \Q$error\E/, 5) ? 1 : 0, 1,
             "$url: $tag logged");
}
ok t_cmp(-e '/tmp/ku-lua-escaped' ? 'ran' : 'never ran', 'never ran', 'os.execute never ran');

# 40-41: many requests after the bounds: the threads' states still work.
{
    my @codes = map { post_json('/lua/add', '{"k":' . $_ . '}')->code } 1 .. 20;
    ok t_cmp(scalar(grep { $_ == 200 } @codes), 20, '20 more requests served');
    my $res = post_json('/lua/loop', '{}');
    ok t_cmp($res->code, 500, 'a bound again: 500 again');
}

# 42-43: apachectl -t refuses a file that returns no function, or is missing.
{
    my $t_dir = File::Spec->rel2abs($FindBin::Bin);
    my $so = "$t_dir/../.libs/mod_kafka_upstream.so";
    my ($moddir) = grep { -e "$_/mod_mpm_event.so" }
        '/usr/lib/apache2/modules', '/usr/lib64/httpd/modules', '/usr/lib/httpd/modules';
    my $tmp = tempdir('ku-lua-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    my $base = config_check_base("$t_dir", $so, $moddir, $tmp);
    my ($exit, $out) = config_test_location($base, $tmp,
        'KafkaUpstreamMessageLua conf/lua/not_function.lua');
    ok t_cmp("$exit " . ($out =~ /KafkaUpstreamMessageLua: \S*not_function\.lua does not return a function/ ? 'named' : $out),
             'exit 1 named', 'a file returning no function: httpd -t fails naming it');
    ($exit, $out) = config_test_location($base, $tmp, 'KafkaUpstreamMessageLua conf/lua/none.lua');
    ok t_cmp("$exit " . ($out =~ /KafkaUpstreamMessageLua: cannot read \S*none\.lua/ ? 'named' : $out),
             'exit 1 named', 'a missing file: httpd -t fails naming it');
}
