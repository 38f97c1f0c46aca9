# SPDX-License-Identifier: Apache-2.0
# README "REST proxy dialects": a Location under `KafkaUpstreamAPI rest-v3`
# answers Confluent's v3 produce routes below it (t/conf/26_rest_v3.inc):
# the clusters with the brokers' own cluster id, one record, a stream of
# records over HTTP/1.1 and HTTP/2 answered record by record while the
# body is still being sent (t/tools/v3-stream.py), records:batch, and the
# v2 routes beside them. Each request and answer is validated against the
# JSON Schemas in t/schemas/; what reached Kafka (key and value bytes,
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
plan tests => 165, need_lwp, need { 'jsonschema venv' => -x $python,
    'protoc (protobuf-compiler)' => !system('protoc --version >/dev/null 2>&1'),
    'confluent-kafka (python3-confluent-kafka)' =>
        !system('/usr/bin/python3 -c "import confluent_kafka.schema_registry.protobuf" 2>/dev/null') };

my $topic = 'ku-rest-v3';           # 3 partitions
my $missing = 'ku-rest-v3-missing'; # allowed, not on the broker
my $hostport = Apache::Test::vars('servername') . ':' . Apache::Test::vars('port');

sub b64 { encode_base64($_[0], '') }

sub post {
    my ($path, $body, @headers) = @_;
    return POST $path, content => $body, 'Content-Type' => 'application/json', @headers;
}

sub answer_of { my $c = $_[0]->content; eval { json->decode($c) } // { unparsed => $c } }

# "valid", or "invalid: why": the document against t/schemas/$schema.json.
# $each: $text is an array, each element checked.
sub schema_check {
    my ($schema, $text, $each) = @_;
    my $flag = $each ? '--each ' : '';
    open(my $fh, '|-', "'$python' t/tools/json-validate.py $flag t/schemas/$schema.json > t/logs/schema3.out")
        or die "json-validate: $!";
    print $fh $text;
    close $fh;
    open(my $in, '<', 't/logs/schema3.out') or die $!;
    chomp(my $verdict = <$in> // 'no output');
    return $verdict;
}

# Every answer object of a stream checked, in one run of the validator.
sub all_valid {
    my ($schema, @docs) = @_;
    return schema_check($schema, json->encode(\@docs), 1);
}

sub kcat_field {
    my ($partition, $offset, $format) = @_;
    my $b = broker();
    return scalar `timeout 15 kcat -C -q -e -b $b -t $topic -p $partition -o $offset -c 1 -f '$format'`;
}

sub headers_of {
    my ($partition, $offset) = @_;
    my $b = broker();
    my $line = `timeout 15 kcat -C -q -e -J -b $b -t $topic -p $partition -o $offset -c 1`;
    my $record = eval { JSON::PP->new->decode($line) } // {};
    return $record->{headers} // [];
}

sub end_offsets { join ',', map { end_offset($topic, $_) } 0 .. 2 }

# t/tools/v3-stream.py (the system python: python3-h2): the records sent
# one by one on one request.
sub stream {
    my ($records, @options) = @_;
    return stream_to("/rest-v3/v3/clusters/$main::cluster/topics/$topic/records", $records,
                     @options);
}

# The same to another path; the options may add request headers
# (--header 'Name: value').
sub stream_to {
    my ($path, $records, @options) = @_;
    my $arg = json->encode($records);
    $arg =~ s/'/'\\''/g;
    my $opts = join ' ', map { my $o = $_; $o =~ s/'/'\\''/g; "'$o'" } @options;
    my $out = `/usr/bin/python3 t/tools/v3-stream.py $opts $hostport $path '$arg' 2>t/logs/v3-stream.err`;
    return eval { json->decode($out) } // { answers => [], error => $out };
}

# --- clusters: the brokers' own id ------------------------------------------------------
our $cluster;
{
    my $res = GET '/rest-v3/v3/clusters';
    ok t_cmp($res->code, 200, 'GET /v3/clusters: 200');
    ok t_cmp(schema_check('rest-v3-cluster-list', $res->content), 'valid',
             'GET /v3/clusters: the answer validates');
    $cluster = answer_of($res)->{data}[0]{cluster_id} // 'none';
    my $dir = $ENV{KU_KAFKA_DIR} // '/tmp/ku-kafka-' . getpwuid($<);
    my $meta = do { local (@ARGV, $/) = ("$dir/data/meta.properties"); <> } // '';
    my ($real) = $meta =~ /^cluster\.id=(\S+)/m;
    ok t_cmp($cluster, $real // 'no meta.properties', 'the cluster id is the brokers\'');
    $res = GET "/rest-v3/v3/clusters/$cluster";
    ok t_cmp($res->code, 200, 'GET /v3/clusters/{id}: 200');
    ok t_cmp(schema_check('rest-v3-cluster', $res->content), 'valid',
             'GET /v3/clusters/{id}: the answer validates');
    ok t_cmp(answer_of($res)->{metadata}{self}, qr{/rest-v3/v3/clusters/\Q$cluster\E$},
             'GET /v3/clusters/{id}: its own URL');
    $res = GET '/rest-v3/v3/clusters/not-this-one';
    ok t_cmp($res->code . ' ' . (answer_of($res)->{error_code} // 'none'), '404 404',
             'a wrong cluster id: 404');
    ok t_cmp(answer_of($res)->{message}, 'Cluster not-this-one cannot be found.',
             'a wrong cluster id: Confluent\'s message');
    ok t_cmp(schema_check('rest-v3-error', $res->content), 'valid', 'a wrong cluster id: validates');
    $res = post("/rest-v3/v3/clusters/$cluster", '{}');
    ok t_cmp($res->code . ' ' . ($res->header('Allow') // ''), '405 GET', 'POST a cluster: 405');
}
my $records = "/rest-v3/v3/clusters/$cluster/topics/$topic/records";

# --- one record: key, value, headers, partition, timestamp ------------------------------
{
    my ($key, $value, $header) = ("\0k\xff", "v\0\xff", "x\0y");
    my $before = end_offset($topic, 1);
    my $body = json->encode({ partition_id => 1, timestamp => '2023-11-14T22:13:20.123Z',
                              key => { type => 'BINARY', data => b64($key) },
                              value => { type => 'BINARY', data => b64($value) },
                              headers => [ { name => 'h1', value => b64($header) },
                                           { name => 'h2', value => undef } ] });
    ok t_cmp(schema_check('rest-v3-record', $body), 'valid', 'one record: the request validates');
    my $res = post($records, $body);
    ok t_cmp($res->code, 200, 'one record: 200');
    ok t_cmp($res->header('Content-Type'), qr{^application/json}, 'one record: application/json');
    ok t_cmp(schema_check('rest-v3-delivery', $res->content), 'valid', 'one record: validates');
    ok t_cmp(json->encode(answer_of($res)), json->encode({
        error_code => 200, cluster_id => $cluster, topic_name => $topic, partition_id => 1,
        offset => $before + 0, timestamp => '2023-11-14T22:13:20.123Z',
        key => { type => 'BINARY', size => 3 }, value => { type => 'BINARY', size => 3 } }),
             'one record: the delivery report');
    ok t_cmp(kcat_field(1, $before, '%k'), $key, 'one record: the key bytes in Kafka');
    ok t_cmp(kcat_field(1, $before, '%s'), $value, 'one record: the value bytes in Kafka');
    ok t_cmp(json->encode(headers_of(1, $before)), json->encode([ h1 => $header, h2 => '' ]),
             'one record: the headers, bytes and all');
    ok t_cmp(kcat_field(1, $before, '%T'), '1700000000123', 'one record: the timestamp');

    $before = end_offset($topic, 2);
    $res = post($records, '{"partition_id":2,"key":{"type":"STRING","data":"cl\u00e9"},'
                        . '"value":{"type":"JSON","data":{"a":[1, "b/c"]}}}');
    ok t_cmp($res->code . ' ' . (answer_of($res)->{error_code} // 'none'), '200 200',
             'STRING and JSON: 200');
    my $a = answer_of($res);
    ok t_cmp(json->encode([$a->{key}, $a->{value}]),
             '[{"size":4,"type":"STRING"},{"size":15,"type":"JSON"}]', 'STRING and JSON: sizes');
    ok t_cmp($a->{timestamp}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$/,
             'no timestamp given: the broker\'s record time');
    ok t_cmp(kcat_field(2, $before, '%k|%s'), "cl\xc3\xa9|{\"a\":[1,\"b/c\"]}",
             'STRING and JSON: UTF-8 bytes and compact JSON text in Kafka');
}

# --- streaming: answered record by record while the body goes on ------------------------
for my $h2 (0, 1) {
    my $how = $h2 ? 'HTTP/2' : 'HTTP/1.1';
    my @opt = $h2 ? ('--h2') : ();
    my $before = end_offset($topic, 0);
    my @sent = map { { partition_id => 0, value => { type => 'STRING', data => "s$h2-$_" } } } 1 .. 4;
    my $out = stream(\@sent, @opt);
    my @answers = @{ $out->{answers} };
    ok t_cmp(($out->{status} // 'none') . ' ' . scalar(@answers), '200 4',
             "stream over $how: 200, four answers, each read before the next record was sent");
    ok t_cmp(all_valid('rest-v3-delivery', @answers), 'valid', "stream over $how: each validates");
    ok t_cmp(join(',', map { "$_->{error_code}:$_->{offset}" } @answers),
             join(',', map { '200:' . ($before + $_) } 0 .. 3), "stream over $how: in order");
    ok t_cmp(join(',', map { $_->{payload} } consume($topic, $before, 4, partition => 0)),
             join(',', map { "s$h2-$_" } 1 .. 4), "stream over $how: all four in Kafka");

    # Cut after two records, in the middle of the third: the two stay, the
    # third is not produced.
    $before = end_offset($topic, 0);
    $out = stream(\@sent, @opt, '--cut', 2);
    ok t_cmp(scalar @{ $out->{answers} }, 2, "cut stream over $how: two answers");
    sleep 1;
    ok t_cmp(end_offset($topic, 0), $before + 2, "cut stream over $how: only those two produced");
}
{
    # A bad record in the stream: its error object, the others go on.
    my $before = end_offset($topic, 0);
    my $out = stream([ { partition_id => 0, value => { data => b64('one') } },
                       { partition_id => 0, value => { type => 'BINARY', data => 'not base64!' } },
                       { partition_id => 9, value => { data => b64('nowhere') } },
                       { partition_id => 0, value => { data => b64('three') } } ]);
    my @answers = @{ $out->{answers} };
    ok t_cmp(join(',', map { $_->{error_code} } @answers), '200,400,40403,200',
             'stream: a bad record and an unknown partition answered in their place');
    ok t_cmp($answers[1]{message} // '', qr/base64/, 'stream: the bad record\'s message');
    ok t_cmp(all_valid('rest-v3-delivery', @answers), 'valid', 'stream: each validates');
    ok t_cmp(join(',', map { $_->{payload} } consume($topic, $before, 2, partition => 0)),
             'one,three', 'stream: the good records produced');
    ok t_cmp(end_offset($topic, 0), $before + 2, 'stream: nothing else');

    # More than KafkaUpstreamMaxRecords (5) in one stream: the sixth is 413, the stream ends.
    $before = end_offset($topic, 0);
    my $body = join '', map { json->encode({ partition_id => 0, value => { data => b64("n$_") } }) } 1 .. 7;
    my $res = post($records, $body);
    my @lines = map { json->decode($_) } grep { /\S/ } split /\n/, $res->content;
    ok t_cmp(join(',', map { $_->{error_code} } @lines), '200,200,200,200,200,413',
             'seven records in one body, five allowed: the sixth is 413, then the end');
    ok t_cmp(end_offset($topic, 0), $before + 5, 'five allowed: five produced');

    # A body cut inside a record, and malformed JSON after a record: 400,
    # nothing of them produced.
    $before = end_offset($topic, 0);
    $res = post($records, '{"partition_id":0,"value":{"data":"YQ=="}');
    ok t_cmp($res->code . ' ' . (answer_of($res)->{error_code} // 'none'), '400 400',
             'a body that ends inside a record: 400');
    $res = post($records, '{"partition_id":0,"value":{"data":"YQ=="}}{"partition_id":0,"value":}');
    @lines = map { json->decode($_) } grep { /\S/ } split /\n/, $res->content;
    ok t_cmp(join(',', map { $_->{error_code} } @lines), '200,400',
             'malformed JSON after a record: the record, then 400');
    ok t_cmp($lines[1]{message}, qr/not JSON/, 'malformed JSON: the message says so');
    ok t_cmp(end_offset($topic, 0), $before + 1, 'malformed JSON: only the record before it');
}

# --- records:batch ---------------------------------------------------------------------------
{
    my $before = end_offset($topic, 2);
    my $body = json->encode({ entries => [
        { id => 'a', partition_id => 2, key => { type => 'STRING', data => 'ka' },
          value => { type => 'BINARY', data => b64("\0a") },
          headers => [ { name => 'h', value => b64('hv') } ] },
        { id => 'b', partition_id => 2, value => { type => 'BINARY', data => '!!' } },
        { id => 'c', partition_id => 7, value => { type => 'JSON', data => 1 } },
        { id => 'd', partition_id => 2, value => { type => 'JSON', data => [1] },
          timestamp => '2024-02-29T12:00:00+01:00' } ] });
    ok t_cmp(schema_check('rest-v3-batch-request', $body), 'valid', 'batch: the request validates');
    my $res = post("$records:batch", $body);
    ok t_cmp($res->code, 207, 'batch: 207');
    ok t_cmp(schema_check('rest-v3-batch-answer', $res->content), 'valid', 'batch: validates');
    my $a = answer_of($res);
    ok t_cmp(join(',', map { "$_->{id}:$_->{partition_id}:$_->{offset}" } @{ $a->{successes} }),
             "a:2:$before,d:2:" . ($before + 1), 'batch: the successes, in order');
    ok t_cmp(join(',', map { "$_->{id}:$_->{error_code}" } @{ $a->{failures} }), 'b:400,c:40403',
             'batch: the failures with their codes');
    ok t_cmp(kcat_field(2, $before, '%k|%s|%h'), "ka|\0a|h=hv", 'batch: entry a in Kafka');
    ok t_cmp(kcat_field(2, $before + 1, '%s|%T'), '[1]|1709204400000', 'batch: entry d, its time');
    ok t_cmp(end_offset($topic, 2), $before + 2, 'batch: nothing else');
}

# --- the Location's record header rules ------------------------------------------------
# The request's headers the rules select (and its trace context) follow
# each record's own, on every record of a stream or a batch; counted
# together, a record over the limit is refused in its place (README "REST
# proxy dialects", Record headers).
{
    my $tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    # In the order they are sent (LWP sorts them by name: so does this list,
    # for v3-stream.py), the trace context last.
    my @request = ('X-Request-Id' => 'r-3', 'X-Tenant' => 't3', 'X-Other' => 'not included',
                   traceparent => $tp);
    my @from_request = ('request-id' => 'r-3', 'x-tenant' => 't3', traceparent => $tp);
    my @header_options = map { ('--header', "$request[2 * $_]: $request[2 * $_ + 1]") }
                         0 .. $#request / 2;
    my $path = "/rest-v3-headers/v3/clusters/$cluster/topics/$topic/records";
    my @own = map { { name => "h$_", value => b64('v') } } 1 .. 4;
    for my $h2 (0, 1) {
        my $how = $h2 ? 'HTTP/2' : 'HTTP/1.1';
        my $before = end_offset($topic, 0);
        my $out = stream_to($path, [
            { partition_id => 0, value => { data => b64('own') },
              headers => [ { name => 'h1', value => b64("x\0y") } ] },
            { partition_id => 0, value => { data => b64('none') } },
            { partition_id => 0, value => { data => b64('seven') }, headers => \@own },
            { partition_id => 0, value => { data => b64('last') } } ],
                            ($h2 ? ('--h2') : ()), @header_options);
        my @answers = @{ $out->{answers} };
        ok t_cmp(join(',', map { $_->{error_code} } @answers), '200,200,413,200',
                 "record header rules, stream over $how: seven headers 413 in its place");
        ok t_cmp($answers[2]{message} // '', 'too many record headers: at most 6 per record',
                 "record header rules, stream over $how: the message names the limit");
        ok t_cmp(all_valid('rest-v3-delivery', @answers), 'valid',
                 "record header rules, stream over $how: each answer validates");
        ok t_cmp(json->encode([ map { headers_of(0, $before + $_) } 0 .. 2 ]),
                 json->encode([ [ h1 => "x\0y", @from_request ], \@from_request,
                                \@from_request ]),
                 "record header rules, stream over $how: the record's own, then the request's, "
                 . 'on every record (lower-case names either way)');
        ok t_cmp(end_offset($topic, 0), $before + 3,
                 "record header rules, stream over $how: the one over the limit not produced");
    }

    my $before = end_offset($topic, 2);
    my $body = json->encode({ entries => [
        { id => 'six', partition_id => 2, value => { data => b64('six') },
          headers => [ @own[0 .. 2] ] },
        { id => 'seven', partition_id => 2, value => { data => b64('seven') }, headers => \@own },
        { id => 'none', partition_id => 2, value => { data => b64('none') } } ] });
    ok t_cmp(schema_check('rest-v3-batch-request', $body), 'valid',
             'record header rules, batch: the request validates');
    my $res = post("$path:batch", $body, @request);
    ok t_cmp($res->code, 207, 'record header rules, batch: 207');
    ok t_cmp(schema_check('rest-v3-batch-answer', $res->content), 'valid',
             'record header rules, batch: validates');
    my $a = answer_of($res);
    ok t_cmp(join(',', map { "$_->{id}:$_->{offset}" } @{ $a->{successes} }) . ' '
             . join(',', map { "$_->{id}:$_->{error_code}:$_->{message}" } @{ $a->{failures} }),
             "six:$before,none:" . ($before + 1)
             . ' seven:413:too many record headers: at most 6 per record',
             'record header rules, batch: six at the limit written, seven refused');
    ok t_cmp(json->encode([ map { headers_of(2, $before + $_) } 0 .. 1 ]),
             json->encode([ [ h1 => 'v', h2 => 'v', h3 => 'v', @from_request ],
                            \@from_request ]),
             'record header rules, batch: the entries\' own, then the request\'s');
    ok t_cmp(end_offset($topic, 2), $before + 2, 'record header rules, batch: nothing else');

    # KafkaUpstreamRecordHeaders Off (/rest-v3): the request's headers stay
    # out; its trace context comes whatever the rules say, as on the Kong path.
    $before = end_offset($topic, 1);
    $res = post($records, json->encode({ partition_id => 1, value => { data => b64('off') },
                                         headers => [ { name => 'h1', value => b64('x') } ] }),
                @request);
    ok t_cmp($res->code, 200, 'record headers Off: 200');
    ok t_cmp(json->encode(headers_of(1, $before)), json->encode([ h1 => 'x', traceparent => $tp ]),
             'record headers Off: the record\'s own header and the trace context only');
}

# --- AVRO and JSONSCHEMA through the registry ----------------------------------------------
# The registry lives through all MPM runs (and t/25_rest_v2.t uses
# ku-rest-v3-value too): each run starts from no versions.
my $registry = $ENV{KU_REGISTRY_URL} or die "KU_REGISTRY_URL is not set: run t/run-tests.sh\n";
for my $subject ('ku-rest-v3-avro', "$topic-value", 'ku.v3pb.Event', "$topic-ku.v3.Key",
                 'Reading3') {
    system("curl -s -o /dev/null -X DELETE '$registry/subjects/$subject'");
    system("curl -s -o /dev/null -X DELETE '$registry/subjects/$subject?permanent=true'");
}
my $sr_records = "/rest-v3-sr/v3/clusters/$cluster/topics/$topic/records";

# A record's value read back and decoded by t/tools/sr-decode.py.
sub decoded_value {
    my ($partition, $offset) = @_;
    my $b = broker();
    my $out = `timeout 15 kcat -C -q -e -b $b -t $topic -p $partition -o $offset -c 1 -f '%s' | '$python' t/tools/sr-decode.py '$registry'`;
    return eval { json->decode($out) } // { error => $out };
}

{
    my $schema = json->encode({ type => 'record', name => 'Point', namespace => 'ku.v3',
                                fields => [ { name => 'x', type => 'int' }, { name => 'tag', type => [ 'null', 'string' ] } ] });
    my $before = end_offset($topic, 0);
    my $body = json->encode({ partition_id => 0, key => { type => 'STRING', data => 'k' },
        value => { type => 'AVRO', subject => 'ku-rest-v3-avro', schema => $schema,
                   data => { x => 3, tag => { string => 'a' } } } });
    ok t_cmp(schema_check('rest-v3-record', $body), 'valid', 'AVRO inline: the request validates');
    my $res = post($sr_records, $body);
    my $a = answer_of($res);
    ok t_cmp($res->code . ' ' . ($a->{error_code} // 'none'), '200 200', 'AVRO inline: 200');
    ok t_cmp(schema_check('rest-v3-delivery', $res->content), 'valid', 'AVRO inline: the answer validates');
    my $registered = `curl -s '$registry/subjects/ku-rest-v3-avro/versions/latest'`;
    my $id = eval { json->decode($registered)->{id} } // 'none';
    ok t_cmp(($a->{value}{type} // '') . ' ' . ($a->{value}{schema_id} // 'none'), "AVRO $id",
             'AVRO inline: registered under the subject named, its id answered');
    my $v = decoded_value(0, $before);
    ok t_cmp(json->encode([ @$v{qw(magic id value trailing)} ]),
             json->encode([ 0, $id, { x => 3, tag => 'a' }, 0 ]),
             'AVRO inline: magic 0, the id, the datum in Kafka');

    # By id, by subject and version, in one batch, with one entry its schema refuses.
    $body = json->encode({ entries => [
        { id => 'by-id', partition_id => 0, value => { type => 'AVRO', schema_id => $id + 0, data => { x => 4, tag => undef } } },
        { id => 'by-version', partition_id => 0, value => { type => 'AVRO', subject => 'ku-rest-v3-avro',
                                                           schema_version => 1, data => { x => 5, tag => undef } } },
        { id => 'bad', partition_id => 0, value => { type => 'AVRO', schema_id => $id + 0, data => { x => 'no' } } } ] });
    $before = end_offset($topic, 0);
    $res = post("$sr_records:batch", $body);
    $a = answer_of($res);
    ok t_cmp($res->code, 207, 'AVRO batch: 207');
    ok t_cmp(schema_check('rest-v3-batch-answer', $res->content), 'valid', 'AVRO batch: validates');
    ok t_cmp(join(',', map { "$_->{id}:$_->{value}{schema_id}" } @{ $a->{successes} }) . ' '
             . join(',', map { "$_->{id}:$_->{error_code}" } @{ $a->{failures} }),
             "by-id:$id,by-version:$id bad:400", 'AVRO batch: by id and by version written, the bad one 400');
    ok t_cmp(($a->{failures}[0]{message} // ''), qr/^Error serializing message: .*\$\.x/,
             'AVRO batch: the failure names the path');
    ok t_cmp(json->encode([ map { decoded_value(0, $before + $_)->{value}{x} } 0 .. 1 ]), '[4,5]',
             'AVRO batch: both data in Kafka');
    ok t_cmp(end_offset($topic, 0), $before + 2, 'AVRO batch: the bad entry not produced');

    # JSONSCHEMA inline, registered under the TopicNameStrategy's subject.
    # Not t/25_rest_v2.t's text: the server may still hold that one's
    # registration, made before the subject was deleted above.
    my $js = json->encode({ title => 'v3', type => 'object', properties => { n => { type => 'integer' } },
                            required => [ 'n' ] });
    $before = end_offset($topic, 1);
    $res = post($sr_records, json->encode({ partition_id => 1,
        value => { type => 'JSONSCHEMA', schema => $js, data => { n => 9 } } }));
    $a = answer_of($res);
    $registered = `curl -s '$registry/subjects/$topic-value/versions/latest'`;
    my $json_id = eval { json->decode($registered)->{id} } // 'none';
    ok t_cmp(($a->{error_code} // 'none') . ' ' . ($a->{value}{schema_id} // 'none'), "200 $json_id",
             'JSONSCHEMA inline: registered under {topic}-value, its id answered');
    $v = decoded_value(1, $before);
    ok t_cmp(json->encode([ @$v{qw(magic id type valid value)} ]),
             json->encode([ 0, $json_id, 'JSON', JSON::PP::true, { n => 9 } ]),
             'JSONSCHEMA: magic 0, the id, the JSON its schema validates');

    # PROTOBUF inline under RECORD_NAME: the subject is the first
    # message's full name; read back by protoc and confluent-kafka.
    my $event_proto = <<'EOF_PROTO';
syntax = "proto3";
package ku.v3pb;
message Event { string name = 1; int32 n = 2; }
message Unused { bool b = 1; }
EOF_PROTO
    pb_write_proto('event.proto', $event_proto);
    $before = end_offset($topic, 2);
    $body = json->encode({ partition_id => 2, value => { type => 'PROTOBUF',
        subject_name_strategy => 'RECORD_NAME', schema => $event_proto, data => { name => 'e1', n => -4 } } });
    ok t_cmp(schema_check('rest-v3-record', $body), 'valid', 'PROTOBUF inline: the request validates');
    $res = post($sr_records, $body);
    $a = answer_of($res);
    ok t_cmp(schema_check('rest-v3-delivery', $res->content), 'valid', 'PROTOBUF inline: the answer validates');
    $registered = `curl -s '$registry/subjects/ku.v3pb.Event/versions/latest'`;
    my $pb_id = eval { json->decode($registered)->{id} } // 'none';
    ok t_cmp(join(' ', $a->{error_code} // 'none', $a->{value}{type} // '', $a->{value}{schema_id} // 'none'),
             "200 PROTOBUF $pb_id", 'PROTOBUF, RECORD_NAME: registered under the message\'s full name, its id answered');
    my $pv = pb_record($topic, 2, $before, '%s', 'event.proto', 'ku.v3pb.Event');
    ok t_cmp(join('|', @$pv{qw(magic id indexes text)}), "0|$pb_id|0|name: \"e1\" n: -4",
             'PROTOBUF: magic 0, the id, the first message\'s index, the message protoc reads');
    my $pc = eval { json->decode(pb_confluent($topic, 2, $before, 'event.proto', 'ku.v3pb.Event')) } // {};
    ok t_cmp(($pc->{name} // 'none') . ' ' . ($pc->{n} // 'none'), 'e1 -4',
             'PROTOBUF: confluent-kafka\'s ProtobufDeserializer reads it');

    # TOPIC_RECORD_NAME for an Avro key, RECORD_NAME for a JSON Schema
    # value (its title).
    my $key_schema = json->encode({ type => 'record', name => 'Key', namespace => 'ku.v3',
                                    fields => [ { name => 'id', type => 'string' } ] });
    my $titled = json->encode({ title => 'Reading3', type => 'object',
                                properties => { c => { type => 'number' } } });
    $before = end_offset($topic, 2);
    $res = post($sr_records, json->encode({ partition_id => 2,
        key => { type => 'AVRO', subject_name_strategy => 'TOPIC_RECORD_NAME', schema => $key_schema,
                 data => { id => 'k1' } },
        value => { type => 'JSONSCHEMA', subject_name_strategy => 'RECORD_NAME', schema => $titled,
                   data => { c => 1.5 } } }));
    $a = answer_of($res);
    ok t_cmp($a->{error_code} // 'none', 200, 'TOPIC_RECORD_NAME key, RECORD_NAME value: 200');
    my $key_id = eval { json->decode(`curl -s '$registry/subjects/$topic-ku.v3.Key/versions/latest'`)->{id} } // 'none';
    ok t_cmp($a->{key}{schema_id} // 'none', $key_id,
             'TOPIC_RECORD_NAME: the Avro key registered under {topic}-{namespace.name}');
    my $title_id = eval { json->decode(`curl -s '$registry/subjects/Reading3/versions/latest'`)->{id} } // 'none';
    ok t_cmp($a->{value}{schema_id} // 'none', $title_id,
             'RECORD_NAME: the JSON Schema registered under its title');
    my $b = broker();
    my $k = eval { json->decode(scalar `timeout 15 kcat -C -q -e -b $b -t $topic -p 2 -o $before -c 1 -f '%k' | '$python' t/tools/sr-decode.py '$registry'`) } // {};
    ok t_cmp(json->encode([ @$k{qw(magic id value)} ]), json->encode([ 0, $key_id, { id => 'k1' } ]),
             'TOPIC_RECORD_NAME: the key in Kafka with that id');
    $v = decoded_value(2, $before);
    ok t_cmp(json->encode([ @$v{qw(magic id valid value)} ]),
             json->encode([ 0, $title_id, JSON::PP::true, { c => 1.5 } ]),
             'RECORD_NAME: the value in Kafka with that id');

    # Refused records: answered with their error object, nothing produced.
    for (['data its schema refuses', $sr_records, { type => 'JSONSCHEMA', schema_id => $json_id + 0, data => { n => 'x' } },
          400, qr/^Error serializing message: .*\$\.n/],
         ['an unknown schema id', $sr_records, { type => 'AVRO', schema_id => 987654, data => 1 }, 400, qr/^Invalid schema/],
         ['PROTOBUF data its schema refuses', $sr_records,
          { type => 'PROTOBUF', schema_id => $pb_id + 0, data => { name => 'x', nope => 1 } }, 400,
          qr/^Error serializing message: .*Protobuf ku\.v3pb\.Event.*nope/],
         ['a Protobuf id for AVRO', $sr_records, { type => 'AVRO', schema_id => $pb_id + 0, data => 1 },
          400, qr/is a Protobuf schema, the type AVRO needs an Avro one/],
         ['RECORD_NAME, a JSON Schema without title', $sr_records,
          { type => 'JSONSCHEMA', subject_name_strategy => 'RECORD_NAME', schema => '{"type":"object"}',
            data => {} }, 400, qr/needs a record name: .*title/],
         ['RECORD_NAME without schema_id or schema', $sr_records,
          { type => 'AVRO', subject_name_strategy => 'RECORD_NAME', data => 1 }, 400,
          qr/RECORD_NAME needs schema_id or schema/],
         ['AVRO without a registry', $records, { type => 'AVRO', schema_id => 1, data => 1 }, 42206,
          qr/Schema Registry must be configured/]) {
        my ($name, $path, $value, $code, $message) = @$_;
        my $before_all = end_offsets();
        $res = post($path, json->encode({ value => $value }));
        $a = answer_of($res);
        ok t_cmp($a->{error_code} // 'none', $code, "$name: error_code $code");
        ok t_cmp($a->{message} // '', $message, "$name: the message says why");
        ok t_cmp(end_offsets(), $before_all, "$name: nothing produced");
    }
}

# --- refusals: nothing produced ------------------------------------------------------------
# [name, method path, body, extra headers, status, error_code, message pattern]
my @refusals = (
    ['a topic not allowed', "/rest-v3/v3/clusters/$cluster/topics/ku-defaults/records",
     '{"value":{"data":"YQ=="}}', [], 403, 40301, qr/not allowed/],
    ['a wrong cluster id', "/rest-v3/v3/clusters/nope/topics/$topic/records",
     '{"value":{"data":"YQ=="}}', [], 404, 404, qr/cannot be found/],
    ['an unknown route', "/rest-v3/v3/clusters/$cluster/topics/$topic/partitions",
     '{"value":{"data":"YQ=="}}', [], 404, 404, qr/Not Found/],
    ['Accept text/html', $records, '{"value":{"data":"YQ=="}}', [Accept => 'text/html'],
     406, 406, qr/Not Acceptable/],
    ['text/plain', $records, '{"value":{"data":"YQ=="}}', ['Content-Type' => 'text/plain'],
     415, 415, qr/Unsupported/],
    ['an empty body', $records, '', [], 422, 422, qr/^Payload error\. Request body is empty\./],
    ['a body that is no object', $records, '[{"value":{"data":"YQ=="}}]', [], 400, 400,
     qr/an object/],
    ['a batch that is not JSON', "$records:batch", '{"entries":[', [], 400, 400, qr/not JSON/],
    ['a batch entry without id', "$records:batch", '{"entries":[{"value":{"data":"YQ=="}}]}', [],
     400, 400, qr/id/],
    ['six entries, five allowed', "$records:batch",
     json->encode({ entries => [ map { { id => "$_", value => { data => 'YQ==' } } } 1 .. 6 ] }),
     [], 413, 413, qr/more than 5/],
    ['a record over KafkaUpstreamMaxBodySize',
     "/rest-v3-small/v3/clusters/$cluster/topics/$topic/records",
     json->encode({ value => { type => 'STRING', data => 'x' x 300 } }), [], 413, 413,
     qr/larger than/],
);
for (@refusals) {
    my ($name, $path, $body, $headers, $status, $code, $message) = @$_;
    my $before = end_offsets();
    my %headers = ('Content-Type' => 'application/json', @$headers);
    my $res = POST $path, content => $body, %headers;
    my $answer = answer_of($res);
    ok t_cmp($res->code . ' ' . ($answer->{error_code} // 'none'), "$status $code",
             "$name: $status, error_code $code");
    ok t_cmp($answer->{message} // '', $message, "$name: the message says why");
    ok t_cmp(schema_check('rest-v3-error', $res->content), 'valid', "$name: the error validates");
    ok t_cmp(end_offsets(), $before, "$name: nothing produced");
}

# --- an unknown topic, the v2 routes beside ------------------------------------------------
{
    my $res = post("/rest-v3/v3/clusters/$cluster/topics/$missing/records",
                   '{"value":{"data":"YQ=="}}');
    ok t_cmp($res->code . ' ' . (answer_of($res)->{error_code} // 'none'), '200 40403',
             'an unknown topic: its answer object says 40403');
    ok t_cmp(schema_check('rest-v3-delivery', $res->content), 'valid',
             'an unknown topic: validates');
    my $before = end_offset($topic, 1);
    $res = POST "/rest-v3/topics/$topic/partitions/1", content => '{"records":[{"value":"v2"}]}',
        'Content-Type' => 'application/vnd.kafka.json.v2+json';
    ok t_cmp($res->code, 200, 'a v2 route on the rest-v3 Location: 200');
    ok t_cmp(kcat_field(1, $before, '%s'), '"v2"', 'a v2 route on the rest-v3 Location: produced');
    $res = GET $records;
    ok t_cmp($res->code . ' ' . ($res->header('Allow') // ''), '405 POST', 'GET records: 405');
}
