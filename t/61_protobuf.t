# SPDX-License-Identifier: Apache-2.0
# PROTOBUF subjects and schema references (README: Schema Registry), against
# the real registry t/run-tests.sh started (Apicurio, Confluent API at
# $KU_REGISTRY_URL) and the real broker (locations: t/conf/61_protobuf.inc).
# Each record is read back with kcat; its Confluent header (magic 0, the
# id the registry gave) and message indexes are checked byte by byte and
# the rest is decoded by protoc --decode (an independent decoder) from the
# .proto texts the test registered; the first record also by
# confluent-kafka's ProtobufDeserializer (t/tools/pb-confluent-decode.py).
# Cases: the first message of a subject
# that imports another subject (a reference) and the well-known
# google/protobuf/timestamp.proto; a non-first message (indexes [1]); a
# nested message (indexes [0, 0]); a Protobuf key chosen by message=; bad
# bodies (400 naming the field, nothing produced); a message= the schema
# lacks (500 naming it). An Avro subject whose named type comes from
# another subject (a reference), checked against Avro binary written out
# by hand.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use KafkaTest;
use KafkaProtobuf;

my $host = Apache::Test::vars('remote_addr') . ':' . Apache::Test::vars('port');
my $registry = $ENV{KU_REGISTRY_URL} or die "KU_REGISTRY_URL is not set: run t/run-tests.sh\n";
my $topic = 'ku-protobuf';

plan tests => 33, need { 'protoc (protobuf-compiler)' => !system('protoc --version >/dev/null 2>&1'),
                         'confluent-kafka (python3-confluent-kafka)' =>
                             !system('/usr/bin/python3 -c "import confluent_kafka.schema_registry.protobuf" 2>/dev/null') };

# --- helpers ---------------------------------------------------------------------

sub post {
    my ($path, $body) = @_;
    my $head = join "\r\n", "POST $path HTTP/1.1", "Host: $host",
        'Content-Type: application/json', 'Content-Length: ' . length($body), 'Connection: close';
    return raw_request($head, $body);
}

# Registers schema text under subject; returns the id the registry gave.
sub register {
    my ($subject, $type, $schema, @refs) = @_;
    my $req = json->encode({ schema => $schema, schemaType => $type,
                             @refs ? (references => \@refs) : () });
    my $answer = `curl -s -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' --data-binary \@- '$registry/subjects/$subject/versions' <<'KU_EOF'\n$req\nKU_EOF\n`;
    my $id = eval { json->decode($answer)->{id} };
    die "registering $subject: $answer\n" unless defined $id;
    return $id;
}

sub offset_of { $_[0]{headers}{'kafka-offset'} // 'none' }

# The record's value (%s) or key (%k) at offset, partition 0
# (t/lib/KafkaProtobuf.pm: magic, id, message indexes, protoc's decoding).
sub pb_decoded { pb_record($topic, 0, @_) }

# --- schemas ------------------------------------------------------------------------

# The registry lives through all runs: each starts from no versions (the
# referencing subjects first, or the registry keeps the referenced ones).
for my $subject (qw(ku-pb-order-value ku-pb-key ku-pb-common ku-pb-avro-order-value
                    ku-pb-avro-customer)) {
    system("curl -s -o /dev/null -X DELETE '$registry/subjects/$subject'");
    system("curl -s -o /dev/null -X DELETE '$registry/subjects/$subject?permanent=true'");
}
my $common = <<'EOF_PROTO';
syntax = "proto3";
package ku.common;
message Money { string currency = 1; int64 cents = 2; }
EOF_PROTO
my $shop = <<'EOF_PROTO';
syntax = "proto3";
package ku.shop;
import "common.proto";
import "google/protobuf/timestamp.proto";
message Order {
  int64 id = 1;
  ku.common.Money total = 2;
  google.protobuf.Timestamp at = 3;
  message Line { string sku = 1; int32 qty = 2; }
  repeated Line lines = 4;
  map<string, string> tags = 5;
}
message Refund { int64 order_id = 1; string reason = 2; }
EOF_PROTO
my $keys = <<'EOF_PROTO';
syntax = "proto3";
package ku.shop;
message Other { bool x = 1; }
message Key { string id = 1; }
EOF_PROTO
pb_write_proto('common.proto', $common);
pb_write_proto('shop.proto', $shop);
pb_write_proto('keys.proto', $keys);
register('ku-pb-common', 'PROTOBUF', $common);
my $order_id = register('ku-pb-order-value', 'PROTOBUF', $shop,
                        { name => 'common.proto', subject => 'ku-pb-common', version => 1 });
my $key_id = register('ku-pb-key', 'PROTOBUF', $keys);

# --- 1. the first message, with an import by reference and a well-known type -----------

my $res = post('/pb-order?key=%7B%22id%22%3A%22k-1%22%7D',
               '{"id":"12345678901","total":{"currency":"EUR","cents":250},'
             . '"at":"2023-11-14T22:13:20.500Z","lines":[{"sku":"a","qty":2},{"sku":"b"}],'
             . '"tags":{"gift":"yes"}}');
ok t_cmp($res->{status}, 200, 'Protobuf body: 200');
my $rec = pb_decoded(offset_of($res), '%s', 'shop.proto', 'ku.shop.Order');
ok t_cmp($rec->{magic}, 0, 'magic byte 0');
ok t_cmp($rec->{id}, $order_id, 'the schema id the registry gave');
ok t_cmp($rec->{indexes}, '0', 'message indexes: the single 0 of the first message');
ok t_cmp($rec->{text}, 'id: 12345678901 total { currency: "EUR" cents: 250 } '
                     . 'at { seconds: 1700000000 nanos: 500000000 } lines { sku: "a" qty: 2 } '
                     . 'lines { sku: "b" } tags { key: "gift" value: "yes" }',
         'protoc decodes every field as sent (import, Timestamp, repeated nested, map)');
my $confluent = pb_confluent($topic, 0, offset_of($res), 'shop.proto', 'ku.shop.Order');
ok t_cmp(json->canonical->encode(eval { json->decode($confluent) } // { error => $confluent }),
         json->canonical->encode({ id => '12345678901', total => { currency => 'EUR', cents => '250' },
                                   at => '2023-11-14T22:13:20.500Z',
                                   lines => [ { sku => 'a', qty => 2 }, { sku => 'b' } ],
                                   tags => { gift => 'yes' } }),
         'confluent-kafka\'s ProtobufDeserializer reads the same message');
my $key = pb_decoded(offset_of($res), '%k', 'keys.proto', 'ku.shop.Key');
ok t_cmp($key->{id}, $key_id, 'the key carries its subject\'s id');
ok t_cmp($key->{indexes}, '1', 'the key\'s message= (the second message): indexes [1]');
ok t_cmp($key->{text}, 'id: "k-1"', 'the key decoded');

# --- 2. a non-first and a nested message ------------------------------------------------

$res = post('/pb-refund', '{"orderId":"7","reason":"late"}');
ok t_cmp($res->{status}, 200, 'message=ku.shop.Refund: 200');
$rec = pb_decoded(offset_of($res), '%s', 'shop.proto', 'ku.shop.Refund');
ok t_cmp($rec->{indexes}, '1', 'the second message: indexes [1]');
ok t_cmp($rec->{text}, 'order_id: 7 reason: "late"', 'decoded as Refund');
$res = post('/pb-line', '{"sku":"z","qty":-3}');
ok t_cmp($res->{status}, 200, 'message=ku.shop.Order.Line: 200');
$rec = pb_decoded(offset_of($res), '%s', 'shop.proto', 'ku.shop.Order.Line');
ok t_cmp($rec->{indexes}, '0,0', 'a nested message: indexes [0, 0]');
ok t_cmp($rec->{text}, 'sku: "z" qty: -3', 'decoded as Order.Line');

# --- 3. bad bodies: 400 naming the field, nothing produced -------------------------------

my $before = end_offset($topic, 0);
for my $case ([ '{"id":1,"nope":2}', qr/nope/, 'an unknown field' ],
              [ '{"id":1,"total":{"cents":"lots"}}', qr/cents/, 'a string for an int64' ],
              [ '{"at":"yesterday"}', qr/\bat\b/, 'a timestamp that is none' ],
              [ '{"lines":[{"sku":"a"},{"qty":"many"}]}', qr/qty/, 'a bad field of a repeated message' ],
              [ '{"id":', qr/./, 'no JSON' ]) {
    my ($body, $names, $what) = @$case;
    $res = post('/pb-order', $body);
    ok t_cmp($res->{status}, 400, "$what: 400");
    my $err = eval { json->decode($res->{body}) } // {};
    ok t_cmp($err->{error} // '', $names, "$what: the error names the field");
}
ok t_cmp(end_offset($topic, 0), $before, 'nothing produced for the bad bodies');

# --- 4. a message= the schema lacks: 500 naming it ----------------------------------------

$res = post('/pb-no-message', '{"id":1}');
ok t_cmp($res->{status}, 500, 'message=ku.shop.Nope: 500');
ok t_cmp($res->{body}, qr/ku\.shop\.Nope/, 'the error names the message');
ok t_cmp(end_offset($topic, 0), $before, 'nothing produced');

# --- 5. Avro: a named type from another subject ---------------------------------------------

register('ku-pb-avro-customer', 'AVRO', json->encode({
    type => 'record', name => 'Customer', namespace => 'ku.t',
    fields => [ { name => 'name', type => 'string' }, { name => 'vip', type => 'boolean' } ] }));
my $avro_id = register('ku-pb-avro-order-value', 'AVRO', json->encode({
    type => 'record', name => 'Order', namespace => 'ku.t',
    fields => [ { name => 'buyer', type => 'Customer' },
                { name => 'seller', type => [ 'null', 'ku.t.Customer' ] } ] }),
    { name => 'ku.t.Customer', subject => 'ku-pb-avro-customer', version => 1 });
$res = post('/pb-avro-ref', '{"buyer":{"name":"Zo\u00eb","vip":true},'
                          . '"seller":{"ku.t.Customer":{"name":"B","vip":false}}}');
ok t_cmp($res->{status}, 200, 'Avro with a reference: 200');
my $brokers = broker();
my $raw = `timeout 15 kcat -C -q -b $brokers -t $topic -p 0 -o @{[offset_of($res)]} -c 1 -e -f '%s'`;
ok t_cmp(unpack('H*', $raw), unpack('H*', pack('C N', 0, $avro_id) . "\x08Zo\xc3\xab\x01\x02\x02B\x00"),
         'Avro binary as the spec writes it: buyer (the referenced record), seller (its union branch 1)');
$res = post('/pb-avro-ref', '{"buyer":{"name":"x"},"seller":null}');
ok t_cmp($res->{status}, 400, 'a field of the referenced record missing: 400');
ok t_cmp($res->{body}, qr/buyer\.vip/, 'named by its path');
