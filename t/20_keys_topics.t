# SPDX-License-Identifier: Apache-2.0
# README "Beyond Kong", record keys and topics (t/conf/20_keys_topics.inc, all sync):
# - KafkaUpstreamKeyQueryArg: the key is the decoded query argument;
#   KafkaUpstreamKey: the key is an httpd expression's value; with both, the
#   query argument wins when the request has it; an empty value is no key.
#   Decoded as uri_args are ('+' and %20 a space, %2F a '/'); a key or
#   topics argument that cannot be decoded (a bad escape, %00) → 400 naming
#   it and nothing produced: never no key or the default topic instead.
# - KafkaUpstreamPartitioner: murmur2_random (default) places a key where
#   Kafka's Java producer does, toPositive(murmur2(key)) % partitions; crc32
#   where Kong does, crc32(key) % partitions. Both are computed here and
#   murmur2 is also checked against constants from the Java client.
# - KafkaUpstreamTopicsQueryArg / KafkaUpstreamAllowedTopics: the client's
#   topics, its own KafkaUpstreamTopic always allowed; any other topic → 403
#   and nothing produced anywhere.
# Each record is read back from the partition and offset the answer gives.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use Apache::TestRequest qw(POST);
use Compress::Zlib qw(crc32);
use List::Util qw(sum0);
use lib 't/lib';
use KafkaTest;

my $PARTS = 6;    # ku-keys and ku-keys-crc

# Kafka's org.apache.kafka.common.utils.Utils.murmur2 in 32-bit arithmetic.
# A 32x32-bit product does not fit a double: multiply in 16-bit halves.
sub mul32 {
    my ($a, $b) = @_;
    return (($a & 0xffff) * $b + (((($a >> 16) * $b) & 0xffff) << 16)) & 0xffffffff;
}

sub murmur2 {
    my @d = unpack 'C*', shift;
    my ($m, $len) = (0x5bd1e995, scalar @d);
    my $h = (0x9747b28c ^ $len) & 0xffffffff;
    my $i = 0;
    for (; $i + 4 <= $len; $i += 4) {    # little-endian 4-byte chunks
        my $k = mul32($d[$i] | $d[$i + 1] << 8 | $d[$i + 2] << 16 | $d[$i + 3] << 24, $m);
        $k = mul32($k ^ ($k >> 24), $m);
        $h = mul32($h, $m) ^ $k;
    }
    my $tail = $len - $i;
    if ($tail) {    # Java's fall-through switch on length % 4
        $h ^= $d[$i + 2] << 16 if $tail == 3;
        $h ^= $d[$i + 1] << 8  if $tail >= 2;
        $h = mul32($h ^ $d[$i], $m);
    }
    $h = mul32($h ^ ($h >> 13), $m);
    return $h ^ ($h >> 15);
}

sub java_partition { (murmur2($_[0]) & 0x7fffffff) % $PARTS }    # toPositive(..) % n
sub crc_partition  { crc32($_[0]) % $PARTS }

# key => partition of 6 from Kafka 4.1.1's Utils.toPositive(Utils.murmur2(
# key.getBytes(UTF_8))) % 6, run once with the broker's kafka-clients jar;
# the keys' lengths cover every tail (length % 4).
my %java = ('x' => 4, 'abc' => 3, 'user-1' => 2, 'user-3' => 5, 'order-42' => 0,
            'tenant-a9' => 4);
my @keys = sort keys %java;

# path and query, X-Request-Id header, expected key (undef: none)
my @key_cases = (
    [ '/keys/query?key=user%2042',     undef,     'user 42' ],
    [ '/keys/query?a=1&key=a+b%26c',   undef,     'a b&c' ],
    [ '/keys/query',                   'req-1',   undef ],
    [ '/keys/query?key=',              undef,     undef ],
    [ '/keys/expr',                    'req-2',   'req-2' ],
    [ '/keys/expr?key=q',              'req-3',   'req-3' ],
    [ '/keys/expr',                    undef,     undef ],
    [ '/keys/both?key=from-query',     'req-4',   'from-query' ],
    [ '/keys/both',                    'req-5',   'req-5' ],
    [ '/keys/both?key=',               'req-6',   undef ],    # present but empty: no key
    [ '/keys/query?key=a%2Fb',         undef,     'a/b' ],    # %2F is a '/'
    [ '/keys/query?k%65y=k%2F%41',     undef,     'k/A' ],    # names decoded as uri_args shows them
);
# A key argument that cannot be decoded (a bad escape, a NUL): 400 naming
# it, nothing produced; never a record without a key, nor the expression's.
my @bad_keys = ('/keys/query?key=a%00b', '/keys/query?key=a%zz', '/keys/query?key=%',
                '/keys/both?key=a%00b');
my $SAME = 3;    # requests per key of the placement tables

# ?topics=..., the topics that get the record (in this order)
my @topic_cases = (
    [ undef,                     ['ku-keys'] ],
    [ 'ku-fanout-b',             ['ku-fanout-b'] ],
    [ 'ku-fanout-a,ku-fanout-b', ['ku-fanout-a', 'ku-fanout-b'] ],
    [ 'ku-fanout-b,ku-keys',     ['ku-fanout-b', 'ku-keys'] ],
    [ 'ku-keys',                 ['ku-keys'] ],
);
my @forbidden = ('ku-raw', 'ku-fanout-a,ku-raw', 'ku-raw,ku-fanout-b',
                 'ku-fanout-a%2Cku-keys%2Cku-raw', 'KU-FANOUT-A', 'evil%2Fx', '%2F',
                 'ku-fanout-a,evil%2Fx');
# A topics argument that cannot be decoded: 400 naming it, nothing produced
# (not even to the Location's own topic, nor to the allowed topic beside it).
my @undecodable = ('evil%00', 'evil%zz', 'ku-fanout-a,evil%zz', 'ku-fanout-a%');
my %parts = ('ku-keys' => $PARTS, 'ku-fanout-a' => 1, 'ku-fanout-b' => 1, 'ku-raw' => 1);

my $records = sum0(map { scalar @{ $_->[1] } } @topic_cases);
plan tests => @key_cases + @keys * (1 + $SAME) + 1 + 1 + @keys * $SAME
              + 2 * @topic_cases + $records + 2 * @forbidden + 2 * @undecodable
              + 2 * @bad_keys,
     need_lwp;

my $n = 0;
sub post {
    my ($url, %hdr) = @_;
    my $body = "msg-$$-" . ++$n;
    return (POST($url, content => $body, 'Content-Type' => 'text/plain', %hdr), $body);
}

# "status partition key body" of the record a one-record answer points to.
sub delivered {
    my ($res, $topic) = @_;
    my ($p, $off) = map { $res->header($_) } qw(Kafka-Partition Kafka-Offset);
    return $res->code . ' no placement' unless defined $off
        && ($res->header('Kafka-Topic') // '') eq $topic;
    my $rec = consume_one($topic, $off, partition => $p, timeout => 10);
    return summary($res->code, $p, $rec);
}
sub summary {
    my ($status, $p, $rec) = @_;
    my $v = decode_value($rec) // {};
    return join ' ', $status, "p$p", 'key=' . ($rec->{key} // '(none)'),
                     'body=' . ($v->{body} // '(none)') . (keys %{ $v->{body_args} // {} } ? '+args' : '');
}

# 1, 2: where the key comes from.
for my $c (@key_cases) {
    my ($url, $id, $key) = @$c;
    my ($res, $body) = post($url, defined $id ? ('X-Request-Id' => $id) : ());
    my $p = defined $key ? java_partition($key) : $res->header('Kafka-Partition') // '?';
    ok t_cmp(delivered($res, 'ku-keys'), "200 p$p key=" . ($key // '(none)') . " body=$body",
             "$url" . (defined $id ? " X-Request-Id: $id" : '') . ': key ' . ($key // '(none)'));
}

# 3, 4: one key, one partition, the Java producer's (murmur2_random, the
# default) or Kong's (crc32).
my %seen;
for my $key (@keys) {
    ok t_cmp(java_partition($key), $java{$key}, "murmur2 here = Java client for '$key'");
    for (1 .. $SAME) {
        my ($res, $body) = post('/keys/query?key=' . $key);
        $seen{ $res->header('Kafka-Partition') // '?' } = 1;
        ok t_cmp(delivered($res, 'ku-keys'), "200 p$java{$key} key=$key body=$body",
                 "murmur2_random: '$key' request $_ in partition $java{$key}");
    }
}
my %spread = map { $_ => 1 } values %java;
ok t_cmp(join(',', sort keys %seen), join(',', sort keys %spread),
         'different keys spread over the partitions computed for them');

ok t_cmp(scalar(grep { crc_partition($_) != $java{$_} } @keys), qr/^[1-9]/,
         'crc32 and murmur2 place some of these keys differently');
for my $key (@keys) {
    my $p = crc_partition($key);
    for (1 .. $SAME) {
        my ($res, $body) = post('/keys/crc?key=' . $key);
        ok t_cmp(delivered($res, 'ku-keys-crc'), "200 p$p key=$key body=$body",
                 "crc32: '$key' request $_ in partition $p");
    }
}

# 5: topics chosen by the client.
sub ends {    # topic => [end offset of each partition]
    return { map { my $t = $_; ($t => [map { end_offset($t, $_) } 0 .. $parts{$t} - 1]) }
             sort keys %parts };
}
sub growth {    # "topic +records ..." added since $before
    my ($before, $after) = @_;
    return join ' ', map { my $t = $_;
        "$t +" . sum0(map { $after->{$t}[$_] - $before->{$t}[$_] } 0 .. $parts{$t} - 1)
    } sort keys %parts;
}
sub fmt { join ' ', map { ref $_ ? '[' . fmt(@$_) . ']' : $_ // 'undef' } @_ }

for my $c (@topic_cases) {
    my ($asked, $to) = @$c;
    my $url = '/keys/topics' . (defined $asked ? "?topics=$asked" : '');
    my $before = ends();
    my ($res, $body) = post($url);
    # Each record: [topic, status, partition, offset], from the headers for
    # one record, from the answer's "results" for several.
    my $answer = eval { json->decode($res->content) } // {};
    my @placed = @$to == 1
        ? ([ $res->header('Kafka-Topic'), $res->code,
             map { $res->header($_) } qw(Kafka-Partition Kafka-Offset) ])
        : map { [ @$_{qw(topic status partition offset)} ] } @{ $answer->{results} // [] };
    # A keyless record goes to any partition of ku-keys: its offset is that
    # partition's end before the request.
    my @expected = map {
        my $t = $to->[$_];
        my $p = $parts{$t} == 1 ? 0 : $placed[$_][2] // 0;
        [ $t, 200, $p, $before->{$t}[$p] // 'none' ]
    } 0 .. $#$to;
    ok t_cmp(fmt($res->code, $answer->{message}, @placed),
             fmt(200, 'message sent', @expected),
             "$url: 200, each record's topic, status, partition and offset");
    for my $pl (@placed) {
        my $rec = consume_one($pl->[0], $pl->[3], partition => $pl->[2], timeout => 10);
        ok t_cmp(summary(200, $pl->[2], $rec), "200 p$pl->[2] key=(none) body=$body",
                 "$url: the message in $pl->[0]");
    }
    ok t_cmp(growth($before, ends()),
             join(' ', map { my $t = $_; "$t +" . grep { $_ eq $t } @$to } sort keys %parts),
             "$url: one record in each of @$to, none elsewhere");
}

for my $asked (@forbidden) {
    my $before = ends();
    my ($res) = post("/keys/topics?topics=$asked");
    my $error = eval { json->encode(json->decode($res->content)) } // $res->content;
    ok t_cmp($res->code . " $error", '403 {"error":"topic not allowed","message":"Forbidden"}',
             "?topics=$asked: 403");
    ok t_cmp(growth($before, ends()), join(' ', map { "$_ +0" } sort keys %parts),
             "?topics=$asked: nothing produced to any topic");
}

# The same for arguments that cannot be decoded: the topics, then the key.
sub refused {
    my ($url, $status, $error, %hdr) = @_;
    my $before = ends();
    my ($res) = post($url, %hdr);
    my $answer = eval { json->encode(json->decode($res->content)) } // $res->content;
    ok t_cmp($res->code . " $answer", "$status $error", "$url: $status");
    ok t_cmp(growth($before, ends()), join(' ', map { "$_ +0" } sort keys %parts),
             "$url: nothing produced to any topic");
}
refused("/keys/topics?topics=$_", 400,
        '{"error":"query argument topics cannot be decoded","message":"Bad Request"}')
    for @undecodable;
refused($_, 400, '{"error":"query argument key cannot be decoded","message":"Bad Request"}',
        'X-Request-Id' => 'req-7')
    for @bad_keys;
