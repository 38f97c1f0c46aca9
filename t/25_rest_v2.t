# SPDX-License-Identifier: Apache-2.0
# README "REST proxy dialects": a Location under `KafkaUpstreamAPI rest-v2`
# answers the v2 produce routes of Confluent's REST Proxy, Karapace,
# Redpanda and Strimzi's bridge below it (t/conf/25_rest_v2.inc). Each
# answer is validated against the JSON Schemas in t/schemas/, written from
# the peers' published references; what reached Kafka (key and value bytes,
# headers, partition, timestamp) is read back with kcat; every refusal
# produces nothing.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use Apache::TestRequest qw(POST GET);
use JSON::PP ();
use MIME::Base64 qw(encode_base64);
use lib 't/lib';
use KafkaTest;
use KafkaProtobuf;

chomp(my $python = `bash t/tools/sr-venv.sh`);
plan tests => 164, need_lwp, need { 'jsonschema venv' => -x $python,
    'protoc (protobuf-compiler)' => !system('protoc --version >/dev/null 2>&1'),
    'confluent-kafka (python3-confluent-kafka)' =>
        !system('/usr/bin/python3 -c "import confluent_kafka.schema_registry.protobuf" 2>/dev/null') };

my $topic = 'ku-rest-v2';           # 3 partitions
my $missing = 'ku-rest-v2-missing'; # allowed, not on the broker
my $v2 = 'application/vnd.kafka.v2+json';

sub b64 { encode_base64($_[0], '') }

sub post {
    my ($path, $type, $body, @headers) = @_;
    return POST $path, content => $body, 'Content-Type' => $type, @headers;
}

sub answer_of { my $c = $_[0]->content; eval { json->decode($c) } // { unparsed => $c } }

# "valid", or "invalid: why": the answer against t/schemas/$schema.json.
sub schema_check {
    my ($schema, $text) = @_;
    open(my $fh, '|-', "'$python' t/tools/json-validate.py t/schemas/$schema.json > t/logs/schema.out")
        or die "json-validate: $!";
    print $fh $text;
    close $fh;
    open(my $in, '<', 't/logs/schema.out') or die $!;
    chomp(my $verdict = <$in> // 'no output');
    return $verdict;
}

# One record's field as kcat formats it (%k key, %s value, %h headers,
# %T timestamp), raw bytes (but %h, which ends a value at a NUL).
sub kcat_field {
    my ($partition, $offset, $format) = @_;
    my $b = broker();
    return scalar `timeout 15 kcat -C -q -e -b $b -t $topic -p $partition -o $offset -c 1 -f '$format'`;
}

# A record's headers [name, value, ...] from kcat -J, whose %h would end
# a value at a NUL; read as bytes (the key beside them need not be UTF-8).
sub headers_of {
    my ($partition, $offset) = @_;
    my $b = broker();
    my $line = `timeout 15 kcat -C -q -e -J -b $b -t $topic -p $partition -o $offset -c 1`;
    my $record = eval { JSON::PP->new->decode($line) } // {};
    return $record->{headers} // [];
}

sub end_offsets { join ',', map { end_offset($topic, $_) } 0 .. 2 }

# The partition whose end offset passed the one given for it (waiting up
# to 15 s: an async record), or undef.
sub grown_partition {
    my @before = @_;
    for (1 .. 30) {
        my ($p) = grep { end_offset($topic, $_) > $before[$_] } 0 .. 2;
        return $p if defined $p;
        select(undef, undef, undef, 0.5);
    }
    return undef;
}

# --- binary: key, value, headers, partition, timestamp -----------------------------
{
    my ($key, $value, $header) = ("\0k\xff", "v\0\xff", "x\0y");
    my $before = end_offset($topic, 1);
    my $body = json->encode({ records => [
        { key => b64($key), value => b64($value), partition => 1, timestamp => 1700000000123,
          headers => [ { key => 'h1', value => b64($header) } ] },
        { value => b64('second'), partition => 1 } ] });
    ok t_cmp(schema_check('rest-v2-produce-request', $body), 'valid',
             'binary: the request is what the peers define');
    my $res = post("/rest-v2/topics/$topic", 'application/vnd.kafka.binary.v2+json', $body);
    ok t_cmp($res->code, 200, 'binary: 200');
    ok t_cmp($res->header('Content-Type'), $v2, 'binary: answered as application/vnd.kafka.v2+json');
    ok t_cmp(schema_check('rest-v2-produce-answer', $res->content), 'valid',
             'binary: the answer is what the peers define');
    my $offsets = answer_of($res)->{offsets};
    ok t_cmp(json->encode($offsets), json->encode([
        { partition => 1, offset => $before + 0, error_code => undef, error => undef },
        { partition => 1, offset => $before + 1, error_code => undef, error => undef } ]),
             'binary: each record\'s partition and offset');
    ok t_cmp(kcat_field(1, $before, '%k'), $key, 'binary: the key bytes in Kafka');
    ok t_cmp(kcat_field(1, $before, '%s'), $value, 'binary: the value bytes in Kafka');
    ok t_cmp(json->encode(headers_of(1, $before)), json->encode([ h1 => $header ]),
             'binary: the header, bytes and all');
    ok t_cmp(kcat_field(1, $before, '%T'), '1700000000123', 'binary: the timestamp');
    ok t_cmp(kcat_field(1, $before + 1, '%s'), 'second', 'binary: the second record');
}

# --- the Location's record header rules ------------------------------------------------
# The request's headers the rules select (and its trace context) follow
# each record's own, on every record; counted together (README "REST proxy
# dialects", Record headers).
{
    my $tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    # In the order they are sent (LWP sorts them by name), the trace context last.
    my @request = ('X-Request-Id' => 'r-1', 'X-Tenant' => 't1, t2', 'X-Other' => 'not included',
                   traceparent => $tp, tracestate => 'ku=1');
    my @from_request = ('request-id' => 'r-1', 'x-tenant' => 't1', 'x-tenant' => 't2',
                        traceparent => $tp, tracestate => 'ku=1');
    my $binary = 'application/vnd.kafka.binary.v2+json';
    my $body = json->encode({ records => [
        { value => b64('with own'), headers => [ { key => 'h1', value => b64("x\0y") } ] },
        { value => b64('without') } ] });
    my $before = end_offset($topic, 1);
    my $res = post("/rest-v2-headers/topics/$topic/partitions/1", $binary, $body, @request);
    ok t_cmp($res->code, 200, 'record header rules: 200');
    ok t_cmp(schema_check('rest-v2-produce-answer', $res->content), 'valid',
             'record header rules: the answer validates');
    ok t_cmp(json->encode(headers_of(1, $before)), json->encode([ h1 => "x\0y", @from_request ]),
             'record header rules: the record\'s own header, then the request\'s selected '
             . '(split, renamed) and its trace context');
    ok t_cmp(json->encode(headers_of(1, $before + 1)), json->encode(\@from_request),
             'record header rules: the request\'s on the second record too');

    # Six at most: two of its own and the request's five are seven.
    my $offsets = end_offsets();
    $res = post("/rest-v2-headers/topics/$topic/partitions/1", $binary, json->encode({ records => [
        { value => b64('within') },
        { value => b64('seven'), headers => [ map { { key => "h$_", value => b64('v') } } 1 .. 2 ] } ] }),
                @request);
    ok t_cmp($res->code . ' ' . (answer_of($res)->{error_code} // 'none'), '413 413',
             'record headers over KafkaUpstreamMaxRecordHeaders together: 413, error_code 413');
    ok t_cmp(answer_of($res)->{message} // '', 'too many record headers: at most 6 per record',
             'record headers over the limit: the message names it');
    ok t_cmp(schema_check('rest-v2-error', $res->content), 'valid',
             'record headers over the limit: the error validates');
    ok t_cmp(end_offsets(), $offsets, 'record headers over the limit: nothing produced, '
             . 'not even the record within it');

    # KafkaUpstreamRecordHeaders Off (/rest-v2): the request's headers stay
    # out; its trace context comes whatever the rules say, as on the Kong path.
    $before = end_offset($topic, 1);
    $res = post("/rest-v2/topics/$topic/partitions/1", $binary, $body, @request);
    ok t_cmp($res->code, 200, 'record headers Off: 200');
    ok t_cmp(json->encode(headers_of(1, $before)),
             json->encode([ h1 => "x\0y", traceparent => $tp, tracestate => 'ku=1' ]),
             'record headers Off: the record\'s own header and the trace context only');
}

# --- json on the partition route ------------------------------------------------------
{
    my $before = end_offset($topic, 2);
    my $res = post("/rest-v2/topics/$topic/partitions/2", 'application/vnd.kafka.json.v2+json',
                   '{"records":[{"key":{"id":1},"value":{"a":[1, "b/c"]}},{"value":null}]}');
    ok t_cmp($res->code, 200, 'json, partition route: 200');
    ok t_cmp(schema_check('rest-v2-produce-answer', $res->content), 'valid',
             'json, partition route: the answer validates');
    ok t_cmp(join(',', map { "$_->{partition}:$_->{offset}" } @{ answer_of($res)->{offsets} }),
             "2:$before,2:" . ($before + 1), 'json, partition route: both in partition 2');
    my @records = consume($topic, $before, 2, partition => 2);
    ok t_cmp($records[0]{key}, '{"id":1}', 'json: the key is its JSON text');
    ok t_cmp($records[0]{payload}, '{"a":[1,"b/c"]}', 'json: the value is its compact JSON text');
    ok t_cmp(defined $records[1]{payload} ? 'a value' : 'null', 'null',
             'json: a null value is a record without a value');
}

# --- Strimzi's text, plain application/json, Accept ---------------------------------
{
    my $before = end_offset($topic, 0);
    my $res = post("/rest-v2/topics/$topic", 'application/vnd.kafka.text.v2+json',
                   '{"records":[{"key":"k","value":"plain text","partition":0}]}');
    ok t_cmp($res->code, 200, 'text: 200');
    my ($record) = consume($topic, $before, 1, partition => 0);
    ok t_cmp("$record->{key}|$record->{payload}", 'k|plain text', 'text: the strings as they are');

    $res = post("/rest-v2/topics/$topic", 'application/json',
                '{"records":[{"value":{"plain":"json"},"partition":0}]}',
                Accept => 'text/html;q=0.9, application/json');
    ok t_cmp($res->code, 200, 'application/json: 200');
    ok t_cmp($res->header('Content-Type'), 'application/json',
             'Accept application/json: answered so');
    ($record) = consume($topic, $before + 1, 1, partition => 0);
    ok t_cmp($record->{payload}, '{"plain":"json"}', 'application/json: the json format');
}

# --- avro and jsonschema through the registry ---------------------------------------
# The registry lives through all MPM runs: each run starts from no versions.
my $registry = $ENV{KU_REGISTRY_URL} or die "KU_REGISTRY_URL is not set: run t/run-tests.sh\n";
for my $subject ("$topic-value", "$topic-key", 'ku-rest-v3-value', 'ku-rest-pb-value') {
    system("curl -s -o /dev/null -X DELETE '$registry/subjects/$subject'");
    system("curl -s -o /dev/null -X DELETE '$registry/subjects/$subject?permanent=true'");
}
my $avro = 'application/vnd.kafka.avro.v2+json';
my $user_schema = json->encode({ type => 'record', name => 'User', namespace => 'ku.v2',
    fields => [ { name => 'name', type => 'string' }, { name => 'age', type => [ 'null', 'int' ] } ] });

# A record's key (%k) or value (%s) read back and decoded by
# t/tools/sr-decode.py (fastavro, or jsonschema for JSON): magic, id, value.
sub decoded_at {
    my ($t, $partition, $offset, $fmt) = @_;
    my $b = broker();
    my $out = `timeout 15 kcat -C -q -e -b $b -t $t -p $partition -o $offset -c 1 -f '$fmt' | '$python' t/tools/sr-decode.py '$registry'`;
    return eval { json->decode($out) } // { error => $out };
}

my ($value_id, $key_id);
{
    my $before = end_offset($topic, 0);
    my $body = json->encode({ key_schema => '"string"', value_schema => $user_schema, records => [
        { key => 'alice', value => { name => 'Alice', age => { int => 30 } } },
        { value => { name => 'Bob', age => undef } } ] });
    ok t_cmp(schema_check('rest-v2-produce-request', $body), 'valid',
             'avro, inline schemas: the request is what the peers define');
    my $res = post("/rest-v2-sr/topics/$topic/partitions/0", $avro, $body);
    ok t_cmp($res->code, 200, 'avro, inline schemas: 200');
    ok t_cmp(schema_check('rest-v2-produce-answer', $res->content), 'valid',
             'avro, inline schemas: the answer validates');
    my $answer = answer_of($res);
    ($value_id, $key_id) = @$answer{qw(value_schema_id key_schema_id)};
    my $registered = `curl -s '$registry/subjects/$topic-value/versions/latest'`;
    ok t_cmp(eval { json->decode($registered)->{id} } // 'none', $value_id // 'null',
             'avro, inline schemas: registered under {topic}-value, its id answered');
    my $v = decoded_at($topic, 0, $before, '%s');
    ok t_cmp(json->encode([ @$v{qw(magic id value trailing)} ]),
             json->encode([ 0, $value_id, { name => 'Alice', age => 30 }, 0 ]),
             'avro, inline schemas: magic 0, the id, the datum in Kafka');
    my $k = decoded_at($topic, 0, $before, '%k');
    ok t_cmp(json->encode([ @$k{qw(magic id value)} ]), json->encode([ 0, $key_id, 'alice' ]),
             'avro, inline schemas: the key, under {topic}-key');
    $v = decoded_at($topic, 0, $before + 1, '%s');
    ok t_cmp(json->encode($v->{value}), json->encode({ name => 'Bob', age => undef }),
             'avro, inline schemas: the second record');

    $before = end_offset($topic, 1);
    $res = post("/rest-v2-sr/topics/$topic/partitions/1", $avro, json->encode({
        value_schema_id => $value_id, records => [ { value => { name => 'Carol', age => { int => 7 } } } ] }));
    ok t_cmp($res->code . ' ' . (answer_of($res)->{value_schema_id} // 'null')
             . ' ' . (answer_of($res)->{key_schema_id} // 'null'), "200 $value_id null",
             'avro, value_schema_id: 200, the id answered');
    $v = decoded_at($topic, 1, $before, '%s');
    ok t_cmp(json->encode([ @$v{qw(magic id value)} ]),
             json->encode([ 0, $value_id, { name => 'Carol', age => 7 } ]),
             'avro, value_schema_id: the schema fetched by id wrote it');
}

my $json_id;
{
    my $t3 = 'ku-rest-v3';
    my $before = end_offset($t3, 2);
    my $schema = json->encode({ type => 'object', required => [ 'n' ],
                                properties => { n => { type => 'integer' } } });
    my $res = post("/rest-v2-sr/topics/$t3/partitions/2", 'application/vnd.kafka.jsonschema.v2+json',
                   json->encode({ value_schema => $schema, records => [ { value => { n => 5 } } ] }));
    ok t_cmp($res->code, 200, 'jsonschema, inline schema: 200');
    $json_id = answer_of($res)->{value_schema_id} // -1;
    my $v = decoded_at($t3, 2, $before, '%s');
    ok t_cmp(json->encode([ @$v{qw(magic id type valid value)} ]),
             json->encode([ 0, $json_id, 'JSON', JSON::PP::true, { n => 5 } ]),
             'jsonschema: magic 0, the id, the JSON the schema validates');
}

# protobuf: JSON in the proto3 mapping, written as the subject's first
# message (README "REST proxy dialects", Schemas; "Protobuf subjects").
my $protobuf = 'application/vnd.kafka.protobuf.v2+json';
my $reading_proto = <<'EOF_PROTO';
syntax = "proto3";
package ku.restpb;
message Reading { string sensor = 1; int64 at = 2; repeated double values = 3; }
message Other { int32 x = 1; }
EOF_PROTO
pb_write_proto('reading.proto', $reading_proto);
my $pb_id;
{
    my $pt = 'ku-rest-pb';
    my $before = end_offset($pt, 0);
    my $body = json->encode({ value_schema => $reading_proto, records => [
        { value => { sensor => 's1', at => '1700000000000', values => [ 1.5, -2 ] } },
        { value => { sensor => 's2' } } ] });
    ok t_cmp(schema_check('rest-v2-produce-request', $body), 'valid',
             'protobuf, inline schema: the request is what the peers define');
    my $res = post("/rest-v2-sr/topics/$pt", $protobuf, $body);
    ok t_cmp($res->code, 200, 'protobuf, inline schema: 200');
    ok t_cmp(schema_check('rest-v2-produce-answer', $res->content), 'valid',
             'protobuf, inline schema: the answer validates');
    $pb_id = answer_of($res)->{value_schema_id} // -1;
    my $registered = `curl -s '$registry/subjects/$pt-value/versions/latest'`;
    my $reg = eval { json->decode($registered) } // {};
    ok t_cmp(($reg->{schemaType} // 'none') . ' ' . ($reg->{id} // 'none'), "PROTOBUF $pb_id",
             'protobuf, inline schema: registered as PROTOBUF under {topic}-value, its id answered');
    my $v = pb_record($pt, 0, $before, '%s', 'reading.proto', 'ku.restpb.Reading');
    ok t_cmp(join('|', @$v{qw(magic id indexes text)}),
             "0|$pb_id|0|sensor: \"s1\" at: 1700000000000 values: 1.5 values: -2",
             'protobuf: magic 0, the id, the first message\'s index, the message protoc reads');
    my $c = eval { json->decode(pb_confluent($pt, 0, $before, 'reading.proto', 'ku.restpb.Reading')) } // {};
    ok t_cmp(join('|', $c->{sensor} // 'none', $c->{at} // 'none', @{ $c->{values} // [] }),
             's1|1700000000000|1.5|-2', 'protobuf: confluent-kafka\'s ProtobufDeserializer reads it');
    $v = pb_record($pt, 0, $before + 1, '%s', 'reading.proto', 'ku.restpb.Reading');
    ok t_cmp($v->{text}, 'sensor: "s2"', 'protobuf: the second record');

    $before = end_offset($pt, 0);
    $res = post("/rest-v2-sr/topics/$pt", $protobuf, json->encode({
        value_schema_id => $pb_id, records => [ { value => { sensor => 's3', values => [ 0.25 ] } } ] }));
    ok t_cmp($res->code . ' ' . (answer_of($res)->{value_schema_id} // 'null'), "200 $pb_id",
             'protobuf, value_schema_id: 200, the id answered');
    $v = pb_record($pt, 0, $before, '%s', 'reading.proto', 'ku.restpb.Reading');
    ok t_cmp(join('|', @$v{qw(id text)}), "$pb_id|sensor: \"s3\" values: 0.25",
             'protobuf, value_schema_id: the schema fetched by id wrote it');
}

# [name, path, content type, body, status, error_code, message pattern]
my @schema_refusals = (
    ['a value its schema refuses', "/rest-v2-sr/topics/$topic", $avro,
     json->encode({ value_schema_id => $value_id, records => [ { value => { name => 'A', age => { int => 1 } } },
                                                               { value => { name => 1 } } ] }),
     422, 42203, qr/^Conversion of JSON to Object failed: record 1: .*name/],
    ['a value without a schema', "/rest-v2-sr/topics/$topic", $avro,
     json->encode({ key_schema_id => $key_id, records => [ { key => 'k', value => { name => 'A' } } ] }),
     422, 42202, qr/include value schema/],
    ['a key without a schema', "/rest-v2-sr/topics/$topic", $avro,
     json->encode({ value_schema_id => $value_id, records => [ { key => 'k', value => { name => 'A', age => undef } } ] }),
     422, 42201, qr/include key schema/],
    ['an unknown schema id', "/rest-v2-sr/topics/$topic", $avro,
     '{"value_schema_id":987654,"records":[{"value":1}]}', 422, 42205, qr/^Invalid schema: .*987654/],
    ['an invalid inline schema', "/rest-v2-sr/topics/$topic", $avro,
     '{"value_schema":"{\"type\":\"nonsense\"}","records":[{"value":1}]}', 422, 42205, qr/^Invalid schema/],
    ['an Avro id for jsonschema', "/rest-v2-sr/topics/$topic", 'application/vnd.kafka.jsonschema.v2+json',
     json->encode({ value_schema_id => $value_id, records => [ { value => 1 } ] }), 422, 42205,
     qr/needs a JSON one/],
    ['a value its Protobuf schema refuses', "/rest-v2-sr/topics/$topic", $protobuf,
     json->encode({ value_schema_id => $pb_id, records => [ { value => { sensor => 'a' } },
                                                            { value => { sensor => 'b', nope => 1 } } ] }),
     422, 42203, qr/^Conversion of JSON to Object failed: record 1: .*Protobuf ku\.restpb\.Reading.*nope/],
    ['an Avro id for protobuf', "/rest-v2-sr/topics/$topic", $protobuf,
     json->encode({ value_schema_id => $value_id, records => [ { value => 1 } ] }), 422, 42205,
     qr/is an Avro schema, the protobuf embedded format needs a Protobuf one/],
    ['a Protobuf id for avro', "/rest-v2-sr/topics/$topic", $avro,
     json->encode({ value_schema_id => $pb_id, records => [ { value => 1 } ] }), 422, 42205,
     qr/is a Protobuf schema, the avro embedded format needs an Avro one/],
    ['an invalid inline .proto', "/rest-v2-sr/topics/$topic", $protobuf,
     json->encode({ value_schema => 'message {', records => [ { value => {} } ] }), 422, 42205,
     qr/^Invalid schema/],
    ['an id fetched elsewhere, its registry down', "/rest-v2-sr-down/topics/$topic", $avro,
     json->encode({ value_schema_id => $value_id, records => [ { value => { name => 'A', age => undef } } ] }),
     503, 50302, qr/schema registry unavailable/],
);
for (@schema_refusals) {
    my ($name, $path, $type, $body, $status, $code, $message) = @$_;
    my $before = end_offsets();
    my $res = post($path, $type, $body);
    my $answer = answer_of($res);
    ok t_cmp($res->code . ' ' . ($answer->{error_code} // 'none'), "$status $code",
             "$name: $status, error_code $code");
    ok t_cmp($answer->{message} // '', $message, "$name: the message says why");
    ok t_cmp(schema_check('rest-v2-error', $res->content), 'valid', "$name: the error validates");
    ok t_cmp(end_offsets(), $before, "$name: nothing produced");
}

# --- refusals: nothing produced ------------------------------------------------------------
# [name, path, content type, body, extra headers, status, error_code, message pattern]
my @refusals = (
    ['Accept text/html', "/rest-v2/topics/$topic", 'application/vnd.kafka.json.v2+json',
     '{"records":[{"value":1}]}', [Accept => 'text/html'], 406, 406, qr/Not Acceptable/],
    ['avro without a registry', "/rest-v2/topics/$topic", 'application/vnd.kafka.avro.v2+json',
     '{"value_schema_id":1,"records":[{"value":1}]}', [], 422, 42206,
     qr/Schema Registry must be configured/],
    ['jsonschema without a registry', "/rest-v2/topics/$topic",
     'application/vnd.kafka.jsonschema.v2+json', '{"value_schema":"{}","records":[{"value":1}]}',
     [], 422, 42206, qr/Schema Registry must be configured/],
    ['protobuf without a registry', "/rest-v2/topics/$topic", 'application/vnd.kafka.protobuf.v2+json',
     '{"value_schema_id":1,"records":[{"value":1}]}', [], 422, 42206,
     qr/Schema Registry must be configured/],
    ['text/plain', "/rest-v2/topics/$topic", 'text/plain', 'x', [], 415, 415,
     qr/Unsupported Media Type/],
    ['a topic not allowed', '/rest-v2/topics/ku-defaults', 'application/vnd.kafka.json.v2+json',
     '{"records":[{"value":1}]}', [], 403, 40301, qr/not allowed/],
    ['an unknown route', "/rest-v2/topics/$topic/records", 'application/vnd.kafka.json.v2+json',
     '{"records":[{"value":1}]}', [], 404, 404, qr/Not Found/],
    ['malformed JSON', "/rest-v2/topics/$topic", 'application/vnd.kafka.json.v2+json',
     '{"records":[{"value":1}', [], 400, 400, qr/not JSON/],
    ['bad base64', "/rest-v2/topics/$topic", 'application/vnd.kafka.binary.v2+json',
     '{"records":[{"value":"aGk="},{"value":"not base64!"}]}', [], 422, 422, qr/base64/],
    ['bad header base64', "/rest-v2/topics/$topic", 'application/vnd.kafka.json.v2+json',
     '{"records":[{"value":1,"headers":[{"key":"h","value":"%%"}]}]}', [], 422, 422, qr/base64/],
    ['no records', "/rest-v2/topics/$topic", 'application/vnd.kafka.json.v2+json',
     '{"records":[]}', [], 422, 422, qr/at least one/],
    ['10,001 records', "/rest-v2/topics/$topic", 'application/vnd.kafka.json.v2+json',
     json->encode({ records => [ map { { value => $_ } } 1 .. 10_001 ] }), [], 413, 413,
     qr/more than 10000/],
    ['a body over KafkaUpstreamMaxBodySize', "/rest-v2-small/topics/$topic",
     'application/vnd.kafka.json.v2+json',
     json->encode({ records => [ { value => 'x' x 300 } ] }), [], 413, 413, qr/too large/],
);
for (@refusals) {
    my ($name, $path, $type, $body, $headers, $status, $code, $message) = @$_;
    my $before = end_offsets();
    my $res = post($path, $type, $body, @$headers);
    my $answer = answer_of($res);
    ok t_cmp($res->code . ' ' . ($answer->{error_code} // 'none'), "$status $code",
             "$name: $status, error_code $code");
    ok t_cmp($answer->{message} // '', $message, "$name: the message says why");
    ok t_cmp(schema_check('rest-v2-error', $res->content), 'valid',
             "$name: the error validates");
    ok t_cmp(end_offsets(), $before, "$name: nothing produced");
}

# --- Kafka's refusals ------------------------------------------------------------------------
{
    my $res = post("/rest-v2/topics/$missing", 'application/vnd.kafka.json.v2+json',
                   '{"records":[{"value":1}]}');
    ok t_cmp($res->code . ' ' . (answer_of($res)->{error_code} // 'none'), '404 40401',
             'an unknown topic: 404, error_code 40401');
    ok t_cmp(schema_check('rest-v2-error', $res->content), 'valid',
             'an unknown topic: the error validates');

    my $before = end_offsets();
    $res = post("/rest-v2/topics/$topic/partitions/7", 'application/vnd.kafka.json.v2+json',
                '{"records":[{"value":1}]}');
    ok t_cmp($res->code . ' ' . (answer_of($res)->{error_code} // 'none'), '404 40402',
             'partition 7 of 3: 404, error_code 40402');
    ok t_cmp(end_offsets(), $before, 'partition 7 of 3: nothing produced');

    # One record to a partition that exists, one to one that does not: the
    # offsets say which.
    $before = end_offset($topic, 0);
    $res = post("/rest-v2/topics/$topic", 'application/vnd.kafka.json.v2+json',
                '{"records":[{"value":"ok","partition":0},{"value":"no","partition":9}]}');
    ok t_cmp($res->code, 200, 'one partition missing: 200');
    ok t_cmp(schema_check('rest-v2-produce-answer', $res->content), 'valid',
             'one partition missing: the answer validates');
    ok t_cmp(json->encode(answer_of($res)->{offsets}), json->encode([
        { partition => 0, offset => $before + 0, error_code => undef, error => undef },
        { partition => undef, offset => undef, error_code => 40402,
          error => 'Partition not found.' } ]),
             'one partition missing: its entry says so');
    ok t_cmp(end_offset($topic, 0), $before + 1, 'one partition missing: the other produced');
}

# --- method, async, spool, Kong beside it ------------------------------------------------
{
    my $res = GET "/rest-v2/topics/$topic";
    ok t_cmp($res->code . ' ' . ($res->header('Allow') // ''), '405 POST', 'GET: 405, Allow: POST');

    my $before = end_offset($topic, 1);
    $res = post("/rest-v2/topics/$topic?async=true", 'application/vnd.kafka.json.v2+json',
                '{"records":[{"value":"async","partition":1}]}');
    ok t_cmp($res->code . ' ' . length($res->content), '204 0', '?async=true: 204, no body');
    my ($record) = consume($topic, $before, 1, partition => 1);
    ok t_cmp($record && $record->{payload}, '"async"', '?async=true: produced');

    # The spool keeps what a record without a chosen partition has; the id
    # header it adds says the record went through it.
    $res = post("/rest-v2-spool/topics/$topic/partitions/0?async=true",
                'application/vnd.kafka.json.v2+json', '{"records":[{"value":"partitioned"}]}');
    ok t_cmp($res->code, 204, 'spool, a chosen partition: 204');
    my $b0 = end_offset($topic, 0) - 1;
    ok t_cmp(kcat_field(0, $b0, '%s|%h'), '"partitioned"|',
             'spool, a chosen partition: sent directly, in partition 0, no spool id');
    my @before = map { end_offset($topic, $_) } 0 .. 2;
    $res = post("/rest-v2-spool/topics/$topic?async=true", 'application/vnd.kafka.json.v2+json',
                '{"records":[{"value":"spooled"}]}');
    ok t_cmp($res->code, 204, 'spool: 204');
    my $p = grown_partition(@before);
    ok t_cmp(defined $p ? kcat_field($p, $before[$p], '%s|%h') : 'nothing', qr/^"spooled"\|ku-spool-id=/,
             'spool: produced through the spool');

    @before = map { end_offset($topic, $_) } 0 .. 2;
    $res = post('/rest-v2-kong', 'application/json', '{"kong":1}');
    ok t_cmp($res->code, 200, 'a Kong Location beside them: 200');
    $p = grown_partition(@before);
    ok t_cmp(defined $p ? json->encode(decode_value(consume_one($topic, $before[$p], partition => $p))->{body_args})
                        : 'nothing', '{"kong":1}', 'a Kong Location beside them: the envelope');
}
