# SPDX-License-Identifier: Apache-2.0
# Schema Registry (README: Schema Registry), against the real registry
# t/run-tests.sh started (Apicurio, Confluent API at $KU_REGISTRY_URL) and
# the real broker (locations: t/conf/60_schema_registry.inc). Each produced
# record is read back with kcat and decoded by t/tools/sr-decode.py
# (fastavro, which fetches the schema by the id in the record; logical
# types print as their Python value, e.g. a date as 2022-01-08): magic byte,
# schema id (the one the registry gave for the subject/version) and every
# field. Cases: raw body with nested record/array/map/enum/union/bytes/
# logical types, Avro key, pinned version vs latest, simple_json union
# resolution, the envelope as the value, a body that does not match (400
# naming the path, nothing produced), a missing subject and a registry that
# is down (503 + Retry-After, nothing produced), a new version registered
# while running (picked up after the 2 s TTL, the pinned Location stays),
# and field defaults: version 2 adds fields with defaults of every type a
# default can have, old clients keep sending version 1 bodies, and the
# records (written with version 2) decode with the defaults.
# JSON Schema (schemaType JSON): a valid body framed as it came (the
# jsonschema package agrees it is valid), invalid bodies (400 naming the
# path, nothing produced), a schema with an unsupported keyword (500 naming
# it), and a refetch that fails (the subject deleted: the cached schema
# stays in use, logged once per child). The schema cache's key: Locations
# sharing a registry and a subject but not the right to fetch it (TLS
# verification, CA file, host name check, password, TTL) never get each
# other's schema or failure, through an httpd with TLS and basic auth that
# the test starts in front of the registry; that front also wants extra
# headers (KafkaUpstreamSchemaRegistryHeader) under /hdr/, and logs them,
# and wants a client certificate (mTLS) on a third port.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use KafkaTest;
use Digest::SHA qw(sha1_base64);
use File::Temp qw(tempdir);
use LWP::UserAgent ();

my $host = Apache::Test::vars('remote_addr') . ':' . Apache::Test::vars('port');
my $registry = $ENV{KU_REGISTRY_URL} or die "KU_REGISTRY_URL is not set: run t/run-tests.sh\n";
chomp(my $python = `bash t/tools/sr-venv.sh`);
my $topic = 'ku-schema';

plan tests => 95, need { 'schema registry venv' => -x $python };

# --- helpers ---------------------------------------------------------------------

sub post {
    my ($path, $body) = @_;
    my $head = join "\r\n", "POST $path HTTP/1.1", "Host: $host",
        'Content-Type: application/json', 'Content-Length: ' . length($body), 'Connection: close';
    return raw_request($head, $body);
}

# Registers a schema under subject (type AVRO unless given); returns the id
# the registry gave.
sub register {
    my ($subject, $schema, $type) = @_;
    # ASCII: the shell gets bytes, and a schema may hold any character.
    my $req = JSON::PP->new->canonical->ascii->encode({ schema => json->encode($schema),
                                                       $type ? (schemaType => $type) : () });
    my $answer = `curl -s -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' --data-binary \@- '$registry/subjects/$subject/versions' <<'KU_EOF'\n$req\nKU_EOF\n`;
    my $id = eval { json->decode($answer)->{id} };
    die "registering $subject: $answer\n" unless defined $id;
    return $id;
}

# The value (fmt %s) or key (%k) of the record at offset, decoded.
sub decoded {
    # kcat waits up to 15 s: the broker can be slow on a loaded machine.
    my ($offset, $fmt) = @_;
    my $b = broker();
    my $out = `timeout 15 kcat -C -q -b $b -t $topic -p 0 -o $offset -c 1 -e -f '$fmt' | '$python' t/tools/sr-decode.py '$registry'`;
    return eval { json->decode($out) } // { error => $out };
}

# The magic byte and schema id of the record value at offset, read from its
# first 5 bytes (for records whose schema the registry no longer has).
sub header_of {
    my ($offset) = @_;
    my $b = broker();
    my $raw = `timeout 15 kcat -C -q -b $b -t $topic -p 0 -o $offset -c 1 -e -f '%s'`;
    return length($raw) >= 5 ? join(' ', unpack('C N', $raw)) : 'none';
}

sub offset_of { $_[0]{headers}{'kafka-offset'} // 'none' }

# --- schemas ------------------------------------------------------------------------

my %customer = (type => 'record', name => 'Customer',
                fields => [ { name => 'name', type => 'string' }, { name => 'vip', type => 'boolean' } ]);
my @order_fields = (
    { name => 'id', type => 'long' },
    { name => 'customer', type => \%customer },
    { name => 'items', type => { type => 'array', items => 'string' } },
    { name => 'attrs', type => { type => 'map', values => 'int' } },
    { name => 'status', type => { type => 'enum', name => 'Status', symbols => [ 'NEW', 'PAID' ] } },
    { name => 'note', type => [ 'null', 'string' ] },
    { name => 'raw', type => 'bytes' },
    { name => 'day', type => { type => 'int', logicalType => 'date' } },
    { name => 'ratio', type => 'double' },
);
# The registry lives through all MPM runs: each run starts from no versions.
for my $subject (qw(ku-sr-order-value ku-sr-order-key ku-sr-envelope-value ku-sr-json-value
                    ku-sr-json-format-value ku-sr-defaults-value)) {
    system("curl -s -o /dev/null -X DELETE '$registry/subjects/$subject'");
    system("curl -s -o /dev/null -X DELETE '$registry/subjects/$subject?permanent=true'");
}
my %order = (type => 'record', name => 'Order', namespace => 'ku.test', fields => \@order_fields);
my $v1 = register('ku-sr-order-value', \%order);
my $key_id = register('ku-sr-order-key', 'string');
my $env_id = register('ku-sr-envelope-value', {
    type => 'record', name => 'Envelope', fields => [
        { name => 'method', type => 'string' },
        { name => 'body', type => 'string' },
        { name => 'body_args', type => { type => 'record', name => 'Args', fields => [
            { name => 'n', type => 'int' }, { name => 'tag', type => [ 'null', 'string' ] } ] } } ] });

my $body = '{"id":12345678901,"customer":{"name":"Zoë","vip":true},"items":["a","b"],'
         . '"attrs":{"x":1,"y":-2},"status":"PAID","note":{"string":"hi"},'
         . '"raw":"\u0000\u00ff A","day":19000,"ratio":0.5}';
my %want = (id => 12345678901, customer => { name => "Zo\x{eb}", vip => JSON::PP::true },
            items => [ 'a', 'b' ], attrs => { x => 1, y => -2 }, status => 'PAID',
            note => 'hi', raw => [ 0, 255, 32, 65 ], day => '2022-01-08', ratio => 0.5);

# --- 1. raw body, latest, with an Avro key ----------------------------------------------

my $res = post('/sr-raw?key=order-1', $body);
ok t_cmp($res->{status}, 200, 'raw Avro body: 200');
my $rec = decoded(offset_of($res), '%s');
ok t_cmp($rec->{magic}, 0, 'magic byte 0');
ok t_cmp($rec->{id}, $v1, 'the schema id the registry gave for the subject');
ok t_cmp(json->canonical->encode($rec->{value}), json->canonical->encode(\%want),
         'every field as sent (nested record, array, map, enum, union, bytes, date)');
ok t_cmp($rec->{trailing}, 0, 'nothing after the Avro datum');
my $key = decoded(offset_of($res), '%k');
ok t_cmp($key->{id}, $key_id, 'the key carries the key subject\'s schema id');
ok t_cmp($key->{value}, 'order-1', 'the key as an Avro string');

# --- 2. simple_json: unions resolved by the module -----------------------------------------

(my $simple = $body) =~ s/\{"string":"hi"\}/"hi"/;
$res = post('/sr-simple', $simple);
ok t_cmp($res->{status}, 200, 'simple_json body: 200');
$rec = decoded(offset_of($res), '%s');
ok t_cmp($rec->{value}{note}, 'hi', 'simple_json: "hi" went to the string branch');
(my $null_note = $simple) =~ s/"note":"hi"/"note":null/;
$res = post('/sr-simple', $null_note);
$rec = decoded(offset_of($res), '%s');
ok t_cmp(exists $rec->{value}{note} && !defined $rec->{value}{note}, 1,
         'simple_json: null went to the null branch');
$res = post('/sr-raw', $simple);
ok t_cmp($res->{status}, 400, 'avro_json wants tagged unions: an untagged one is 400');

# --- 3. the envelope as the value ---------------------------------------------------------

$res = post('/sr-envelope', '{"n":7,"tag":"t"}');
ok t_cmp($res->{status}, 200, 'envelope: 200');
$rec = decoded(offset_of($res), '%s');
ok t_cmp($rec->{id}, $env_id, 'envelope: its subject\'s id');
ok t_cmp(json->canonical->encode($rec->{value}),
         json->canonical->encode({ method => 'POST', body => '{"n":7,"tag":"t"}',
                                   body_args => { n => 7, tag => 't' } }),
         'envelope: method, body and body_args decoded');

# --- 4. a body that does not match: 400 naming the path, nothing produced ------------------

my $before = end_offset($topic, 0);
(my $bad = $body) =~ s/"items":\["a","b"\]/"items":["a",2]/;
$res = post('/sr-raw', $bad);
ok t_cmp($res->{status}, 400, 'mismatch: 400');
my $err = eval { json->decode($res->{body}) } // {};
ok t_cmp($err->{error} // '', qr/\$\.items\[1\]/, 'the error names $.items[1]');
(my $missing = $body) =~ s/"ratio":0.5/"ratiox":0.5/;
$res = post('/sr-raw', $missing);
$err = eval { json->decode($res->{body}) } // {};
ok t_cmp($err->{error} // '', qr/\$\.ratio/, 'a missing field is named');
ok t_cmp(end_offset($topic, 0), $before, 'nothing produced for the mismatches');

# --- 5. registry problems: 503 + Retry-After, nothing produced -------------------------------

$res = post('/sr-missing', $body);
ok t_cmp($res->{status}, 503, 'subject missing: 503');
ok t_cmp($res->{headers}{'retry-after'} // '', qr/^\d+$/, 'with Retry-After');
$res = post('/sr-down', $body);
ok t_cmp($res->{status}, 503, 'registry down: 503');
ok t_cmp($res->{body}, qr/schema registry/, 'the error says the schema registry');
ok t_cmp(end_offset($topic, 0), $before, 'nothing produced');

# --- 6. a new version while running: latest follows after the TTL, a pin stays ---------------

# Field defaults: version 1 has an id only; clients keep sending such bodies.
my %event1 = (type => 'record', name => 'Event', namespace => 'ku.test',
              fields => [ { name => 'id', type => 'long' } ]);
my $event_v1 = register('ku-sr-defaults-value', \%event1);
$res = post('/sr-defaults', '{"id":1}');
ok t_cmp($res->{status}, 200, 'defaults: a version 1 body to version 1: 200');
ok t_cmp(decoded(offset_of($res), '%s')->{id}, $event_v1, 'written with version 1');
# Version 2 adds a field with a default of every type a default can have
# (bytes and fixed as Avro's JSON strings of code points; a union's default
# is its first branch's; a record default lacking a field takes that
# field's own default).
my %event2 = (%event1, fields => [ @{ $event1{fields} },
    { name => 'n', type => 'null', default => undef },
    { name => 'flag', type => 'boolean', default => JSON::PP::true },
    { name => 'count', type => 'int', default => -7 },
    { name => 'big', type => 'long', default => 12345678901 },
    { name => 'f', type => 'float', default => 1.5 },
    { name => 'd', type => 'double', default => 2.25 },
    { name => 's', type => 'string', default => "Zo\x{eb}" },
    { name => 'raw', type => 'bytes', default => "\x{01}\x{ff}" },
    { name => 'fx', type => { type => 'fixed', name => 'Two', size => 2 }, default => 'ab' },
    { name => 'kind', type => { type => 'enum', name => 'Kind', symbols => [ 'A', 'B' ] },
      default => 'B' },
    { name => 'tags', type => { type => 'array', items => 'string' }, default => [ 'x', 'y' ] },
    { name => 'attrs', type => { type => 'map', values => 'int' }, default => { k => 1 } },
    { name => 'addr', type => { type => 'record', name => 'Addr', fields => [
        { name => 'city', type => 'string' },
        { name => 'zip', type => 'string', default => '00000' } ] },
      default => { city => 'Paris' } },
    { name => 'opt', type => [ 'string', 'null' ], default => 'dflt' },
    { name => 'maybe', type => [ 'null', 'int' ], default => undef } ]);
my $event_v2 = register('ku-sr-defaults-value', \%event2);

my %order2 = (%order, fields => [ @order_fields, { name => 'channel', type => 'string', default => 'web' } ]);
my $v2 = register('ku-sr-order-value', \%order2);
ok t_cmp($v2 != $v1, 1, 'the registry gave version 2 its own id');
(my $body2 = $body) =~ s/\}$/,"channel":"app"}/;
sleep 3;   # past KafkaUpstreamSchemaRegistryTTL 2
$res = post('/sr-raw', $body2);
ok t_cmp($res->{status}, 200, 'a v2 body to latest after the TTL: 200');
$rec = decoded(offset_of($res), '%s');
ok t_cmp($rec->{id}, $v2, 'latest now writes with the v2 id');
ok t_cmp($rec->{value}{channel}, 'app', 'the new field decoded');
$res = post('/sr-raw', $body);
ok t_cmp($res->{status}, 200, 'a v1 body (no channel) to latest (v2): 200');
ok t_cmp(decoded(offset_of($res), '%s')->{value}{channel} // 'none', 'web',
         'written with the default of the field it lacks');
$res = post('/sr-defaults', '{"id":2}');
ok t_cmp($res->{status}, 200, 'defaults: a version 1 body after version 2 came: 200');
$rec = decoded(offset_of($res), '%s');
ok t_cmp($rec->{id}, $event_v2, 'written with version 2');
ok t_cmp(json->canonical->encode($rec->{value} // {}), json->canonical->encode({
    id => 2, n => undef, flag => JSON::PP::true, count => -7, big => 12345678901, f => 1.5,
    d => 2.25, s => "Zo\x{eb}", raw => [ 1, 255 ], fx => [ 97, 98 ], kind => 'B',
    tags => [ 'x', 'y' ], attrs => { k => 1 }, addr => { city => 'Paris', zip => '00000' },
    opt => 'dflt', maybe => undef }), 'every added field decoded with its default');
$res = post('/sr-pinned', $body);
$rec = decoded(offset_of($res), '%s');
ok t_cmp($rec->{id}, $v1, 'the Location pinned to version 1 still writes v1');
$res = post('/sr-pinned', $body2);
ok t_cmp($res->{status}, 400, 'and refuses the v2 field');
ok t_cmp(json->decode($res->{body})->{error}, qr/\$\.channel/, 'naming $.channel');

# --- 7. JSON Schema: validated, framed as it came ------------------------------------------

my $json_id = register('ku-sr-json-value', {
    '$schema' => 'http://json-schema.org/draft-07/schema#', type => 'object',
    required => [ 'id', 'name' ], additionalProperties => JSON::PP::false,
    definitions => { tag => { type => 'string', pattern => '^[a-z]+$' } },
    properties => { id => { type => 'integer', minimum => 1 },
                    name => { type => 'string', maxLength => 10 },
                    tags => { type => 'array', items => { '$ref' => '#/definitions/tag' } },
                    kind => { enum => [ 'a', 'b' ] } } }, 'JSON');
my $json_body = '{"id":7,"name":"Zoë","tags":["x","yz"],"kind":"a"}';
$res = post('/sr-json', $json_body);
ok t_cmp($res->{status}, 200, 'JSON Schema: a valid body, 200');
$rec = decoded(offset_of($res), '%s');
ok t_cmp($rec->{type} // '', 'JSON', 'the record names a JSON Schema');
ok t_cmp($rec->{magic}, 0, 'JSON Schema: magic byte 0');
ok t_cmp($rec->{id}, $json_id, 'JSON Schema: the id the registry gave');
ok t_cmp(json->canonical->encode($rec->{value} // {}),
         json->canonical->encode({ id => 7, name => "Zo\x{eb}", tags => [ 'x', 'yz' ], kind => 'a' }),
         'the JSON as sent');
ok t_cmp($rec->{valid} ? 1 : 0, 1, 'the jsonschema package finds it valid');

$before = end_offset($topic, 0);
for ([ '{"id":0,"name":"n"}', qr/^the body does not match the schema: \$\.id: must be at least 1$/ ],
     [ '{"id":1,"name":"n","tags":["ok","NO"]}', qr/\$\.tags\[1\]: must match the pattern/ ],
     [ '{"id":1}', qr/\$\.name: is required/ ],
     [ '{"id":1,"name":"n","x":1}', qr/\$\.x: is not allowed/ ],
     [ '{"id":1,"name":', qr/\$: invalid JSON body/ ]) {
    my ($bad_json, $why) = @$_;
    $res = post('/sr-json', $bad_json);
    ok t_cmp($res->{status}, 400, "JSON Schema: $bad_json is 400");
    ok t_cmp((eval { json->decode($res->{body}) } // {})->{error} // '', $why, 'naming the path');
}
ok t_cmp(end_offset($topic, 0), $before, 'nothing produced for the invalid JSON bodies');

# --- 8. a JSON Schema with a keyword json_schema.c does not support ---------------------------

register('ku-sr-json-format-value', { type => 'object',
    properties => { day => { type => 'string', format => 'date' } } }, 'JSON');
$res = post('/sr-json-format', '{"day":"2026-11-29"}');
ok t_cmp($res->{status}, 500, 'unsupported keyword: 500');
ok t_cmp($res->{body}, qr/keyword 'format' is not supported/, 'naming the keyword');
ok t_cmp(end_offset($topic, 0), $before, 'nothing produced');

# --- 9. a refetch that fails: the cached schema stays in use, logged once ----------------------

# Each child caches for itself: a few requests first so that the children
# have it, then the subject goes.
post('/sr-json', $json_body) for 1 .. 4;
system("curl -s -o /dev/null -X DELETE '$registry/subjects/ku-sr-json-value'");
system("curl -s -o /dev/null -X DELETE '$registry/subjects/ku-sr-json-value?permanent=true'");
sleep 3;   # past KafkaUpstreamSchemaRegistryTTL 2
my (%outcomes, $served);
$before = end_offset($topic, 0);
for (1 .. 6) {
    $res = post('/sr-json', $json_body);
    # 200 from a child that had the schema (with its id); 503 from one that
    # never fetched it: the registry has no such subject now.
    my $outcome = $res->{status} == 200 ? 'magic, id ' . header_of(offset_of($res))
                                        : "status $res->{status}";
    $outcomes{$outcome}++;
    $served++ if $res->{status} == 200;
    select(undef, undef, undef, 1.1);   # past the 1 s retry pace: each child asks again
}
ok t_cmp(join(',', grep { $_ ne "magic, id 0 $json_id" && $_ ne 'status 503' } sort keys %outcomes), '',
         'after the subject went: the cached schema (its id) or 503, nothing else: '
         . json->encode(\%outcomes));
ok t_cmp($served // 0, qr/^[1-9]/, 'a child with the cached schema keeps serving it');
ok t_cmp(end_offset($topic, 0) - $before, $served // 0, 'one record per 200, none per 503');
my %per_child;
open(my $log, '<', Apache::Test::vars('t_logs') . '/error_log') or die "error_log: $!";
while (<$log>) {
    $per_child{$1}++ if /\[pid (\d+).*KU00035: subject ku-sr-json-value .*the cached schema stays in use/;
}
ok t_cmp(scalar(keys %per_child) >= 1 && !grep({ $_ != 1 } values %per_child), 1,
         'the failed refetch is logged once per child: ' . json->encode(\%per_child));

# --- 10. the cache's key: one Location never gets another's schema or failure ----------------

# An httpd of our own in front of the registry: TLS with the test CA's
# broker certificate and basic auth (user ku-sr-user, password ku-sr-right)
# on KU_REGISTRY_FRONT_PORT; the same with a certificate for
# wrong.example.invalid on KU_REGISTRY_FRONT_BADHOST_PORT.
my ($front_port, $badhost_port, $mtls_port, $certs) =
    @ENV{qw(KU_REGISTRY_FRONT_PORT KU_REGISTRY_FRONT_BADHOST_PORT KU_REGISTRY_FRONT_MTLS_PORT KU_CERTS)};
die "KU_REGISTRY_FRONT_PORT, KU_REGISTRY_FRONT_BADHOST_PORT, KU_REGISTRY_FRONT_MTLS_PORT or KU_CERTS is not set: run t/run-tests.sh\n"
    unless $front_port && $badhost_port && $mtls_port && $certs;
my ($registry_hostport) = $registry =~ m{^http://([^/]+)/} or die "registry URL $registry\n";
my ($front_moddir) = grep { -e "$_/mod_ssl.so" }
    '/usr/lib/apache2/modules', '/usr/lib64/httpd/modules', '/usr/lib/httpd/modules';
my $front_dir = tempdir('ku-sr-front-XXXXXX', TMPDIR => 1, CLEANUP => 1);
# The system's httpd itself, not the sanitizer pass's wrapper of it.
my $httpd = join '/', map { chomp(my $v = `apxs -q $_`); $v } qw(SBINDIR progname);
$httpd = Apache::Test::vars('httpd') unless -x $httpd;

sub start_front {
    open my $pw, '>', "$front_dir/htpasswd" or die "htpasswd: $!";
    print $pw 'ku-sr-user:{SHA}' . sha1_base64('ku-sr-right') . "=\n";
    close $pw;
    open my $fh, '>', "$front_dir/httpd.conf" or die "front httpd.conf: $!";
    print $fh "ServerRoot $front_dir\nServerName 127.0.0.1\nPidFile $front_dir/httpd.pid\n",
        "ErrorLog $front_dir/error_log\nDefaultRuntimeDir $front_dir\n",
        (map { "LoadModule ${_}_module $front_moddir/mod_$_.so\n" }
         qw(mpm_event authz_core authn_core auth_basic authn_file authz_user ssl proxy proxy_http)),
        "Listen 127.0.0.1:$front_port https\nListen 127.0.0.1:$badhost_port https\n",
        "Listen 127.0.0.1:$mtls_port https\n",
        # What reached the front under /hdr/: the extra headers' values.
        "LogFormat \"%U %{target-sr-cluster}i %{X-Ku-Registry-Key}i %{X-Ku-Registry-Env}i %>s\" hdr\n",
        "CustomLog $front_dir/access_log hdr\n";
    for ([ $front_port, 'broker.pem' ], [ $badhost_port, 'badhost.pem' ]) {
        my ($port, $pem) = @$_;
        print $fh <<"EOF";
<VirtualHost 127.0.0.1:$port>
    SSLEngine on
    SSLCertificateFile $certs/$pem
    ProxyPass /hdr/ http://$registry_hostport/
    ProxyPass / http://$registry_hostport/
    <Location />
        AuthType Basic
        AuthName registry
        AuthBasicProvider file
        AuthUserFile $front_dir/htpasswd
        Require valid-user
    </Location>
    # A registry that wants three headers (Confluent Cloud's
    # target-sr-cluster, say) instead of a password.
    <Location /hdr/>
        AuthType None
        Require expr "%{HTTP:target-sr-cluster} == 'lsrc-ku42' && %{HTTP:X-Ku-Registry-Key} == 'ku-hdr-secret-7' && %{HTTP:X-Ku-Registry-Env} == 'ku-env-secret-9'"
    </Location>
</VirtualHost>
EOF
    }
    # mTLS: a client certificate the test CA signed, or no answer.
    print $fh <<"EOF";
<VirtualHost 127.0.0.1:$mtls_port>
    SSLEngine on
    SSLCertificateFile $certs/broker.pem
    SSLCACertificateFile $certs/ca.pem
    SSLVerifyClient require
    ProxyPass / http://$registry_hostport/
</VirtualHost>
EOF
    close $fh;
    system($httpd, '-f', "$front_dir/httpd.conf", '-k', 'start') == 0
        or die "the front httpd did not start: " . `cat $front_dir/error_log 2>&1`;
    for (1 .. 50) {
        return if `curl -s -o /dev/null -w '%{http_code}' --cacert $certs/ca.pem -u ku-sr-user:ku-sr-right https://127.0.0.1:$front_port/apis/ccompat/v7/subjects` eq '200';
        select(undef, undef, undef, 0.2);
    }
    die "the front httpd does not answer: " . `cat $front_dir/error_log 2>&1`;
}
END { system($httpd, '-f', "$front_dir/httpd.conf", '-k', 'stop') if $front_dir && -e "$front_dir/httpd.pid" }
start_front();

for my $subject (qw(ku-sr-front-value ku-sr-ttl-value)) {
    system("curl -s -o /dev/null -X DELETE '$registry/subjects/$subject'");
    system("curl -s -o /dev/null -X DELETE '$registry/subjects/$subject?permanent=true'");
}
my $front_id = register('ku-sr-front-value', 'string');
my $ttl_v1 = register('ku-sr-ttl-value', 'string');

# Every request of a case on one HTTP/2 connection, each sent when the one
# before was answered (t/tools/h2-sequence.py), so that one child (whose
# cache it is) serves them all: over HTTP/1.1 httpd closes the connection
# after a 500 or 503.
sub h2_case {
    my (@paths) = @_;
    my $out = `/usr/bin/python3 t/tools/h2-sequence.py $host application/json '"v"' @paths`;
    my $answers = eval { json->decode($out) } or die "h2-sequence.py: $out\n";
    return map { { code => $_->{status}, offset => $_->{headers}{'kafka-offset'} // 'none',
                   body => $_->{body} } } @$answers;
}

$before = end_offset($topic, 0);
# 1. TLS: a Location without the CA file never gets what one with it fetched.
my @a = h2_case('/sr-tls-untrusted');
ok t_cmp($a[0]{code}, 503, 'untrusted registry certificate: 503');
sleep 2;   # past the 1 s a failure is kept
@a = h2_case('/sr-tls-ca', '/sr-tls-untrusted');
ok t_cmp($a[0]{code}, 200, 'with the CA file: 200');
ok t_cmp(decoded($a[0]{offset}, '%s')->{id}, $front_id,
         'with the schema the registry gave, through TLS and basic auth');
ok t_cmp($a[1]{code}, 503, 'untrusted after a trusted fetch of the same subject: still 503');
ok t_cmp($a[1]{body}, qr/schema registry/, 'naming the schema registry');

# Host name check: Off fetches, On (with the CA) must not reuse that.
@a = h2_case('/sr-host-verify-off', '/sr-host-verify-on');
ok t_cmp($a[0]{code}, 200, 'host name not checked: 200');
ok t_cmp($a[1]{code}, 503, 'host name checked after an unchecked fetch of the same subject: 503');

# 2. A wrong password is never accepted on a sibling's fetch.
@a = h2_case('/sr-tls-ca', '/sr-auth-wrong');
ok t_cmp($a[0]{code}, 200, 'right password: 200');
ok t_cmp($a[1]{code}, 500, 'wrong password after a right one: 500');
ok t_cmp($a[1]{body}, qr/refused the credentials \(HTTP 401\)/, 'saying the credentials were refused');

# 3. A right password is not refused for a sibling's failure.
@a = h2_case('/sr-auth-wrong-v1', '/sr-auth-right-v1');
ok t_cmp($a[0]{code}, 500, 'version 1, wrong password: 500');
ok t_cmp($a[1]{code}, 200, 'version 1, right password right after: 200');
ok t_cmp(end_offset($topic, 0) - $before, 4, 'one record per 200, none for a refusal');

# 4. TTL 0 keeps what it fetched; the TTL 1 Location follows the registry.
# Only 200s here: one HTTP/1.1 keep-alive connection holds across the pause
# (Client-Response-Num counts the answers on it).
my $ka = LWP::UserAgent->new(timeout => 30, keep_alive => 1);
my @ttl = map {
    my $path = $_;
    if ($path eq 'register') {
        register('ku-sr-ttl-value', 'bytes');
    }
    else {
        my $r = $ka->post("http://$host$path", 'Content-Type' => 'application/json', Content => '"v"');
        sleep 2 if $path eq '/sr-ttl-forever';   # past the short TTL
        { offset => $r->header('Kafka-Offset') // 'none', num => $r->header('Client-Response-Num') // 0 };
    }
} '/sr-ttl-forever', 'register', '/sr-ttl-short', '/sr-ttl-forever';
my $ttl_v2 = $ttl[1];
ok t_cmp(join(',', map { $_->{num} } @ttl[0, 2, 3]), '1,2,3', 'TTL: one connection, one child');
ok t_cmp(header_of($ttl[0]{offset}), "0 $ttl_v1", 'TTL 0: version 1');
ok t_cmp(header_of($ttl[2]{offset}), "0 $ttl_v2", 'TTL 1: version 2 after 2 s');
ok t_cmp(header_of($ttl[3]{offset}), "0 $ttl_v1",
         'TTL 0 still writes version 1 after the other Location refreshed');

# 5. KafkaUpstreamSchemaRegistryHeader: the front's /hdr/ wants three
# headers (a literal, one from a file, one from the environment). The
# headers are in the key: a Location without them, or with a wrong value,
# never gets what one with them fetched, and the reverse.
my $front_log_size = -s "$front_dir/access_log" // 0;
$before = end_offset($topic, 0);
@a = h2_case('/sr-header', '/sr-header-none', '/sr-header-wrong');
ok t_cmp($a[0]{code}, 200, 'with the registry\'s headers: 200');
ok t_cmp(decoded($a[0]{offset}, '%s')->{id}, $front_id, 'the schema fetched through the front');
ok t_cmp($a[1]{code}, 500, 'without them, after a fetch with them: 500');
ok t_cmp($a[1]{body}, qr/refused the credentials \(HTTP 403\)/, 'the front refused it');
ok t_cmp($a[2]{code}, 500, 'with a wrong value, after a fetch with the right one: 500');
@a = h2_case('/sr-header-wrong-v1', '/sr-header-v1');
ok t_cmp(join(',', map { $_->{code} } @a), '500,200',
         'version 1: a wrong value refused, the right one right after served');
ok t_cmp(end_offset($topic, 0) - $before, 2, 'one record per 200, none for a refusal');
open(my $front_log, '<', "$front_dir/access_log") or die "front access_log: $!";
seek($front_log, $front_log_size, 0);
my @front_lines = grep { m{^/hdr/} } <$front_log>;
close $front_log;
ok t_cmp(scalar(grep { m{ lsrc-ku42 ku-hdr-secret-7 ku-env-secret-9 200$} } @front_lines), 2,
         'the front logged the three headers on the two fetches it served: ' . join('', @front_lines));
ok t_cmp(scalar(grep { / 403$/ } @front_lines), 3, 'and refused the three without them');
my $own_log = do { local (@ARGV, $/) = (Apache::Test::vars('t_logs') . '/error_log'); <> };
ok t_cmp(scalar(grep { index($own_log, $_) >= 0 } qw(ku-hdr-secret-7 ku-env-secret-9 lsrc-ku42)), 0,
         'no header value in the error log');

# 6. mTLS: the front's third port wants a client certificate the test CA
# signed. The certificate is in the key: a Location without it, or with one
# another CA signed, never gets what the one with it fetched, and the reverse.
$before = end_offset($topic, 0);
@a = h2_case('/sr-mtls', '/sr-mtls-none', '/sr-mtls-other');
ok t_cmp($a[0]{code}, 200, 'mTLS with the client certificate: 200');
ok t_cmp(decoded($a[0]{offset}, '%s')->{id}, $front_id, 'the schema fetched over mTLS');
ok t_cmp($a[1]{code}, 503, 'without a client certificate, after a fetch with one: 503');
ok t_cmp($a[2]{code}, 503, 'with a certificate of another CA, after a fetch with the right one: 503');
ok t_cmp($a[2]{body}, qr/schema registry/, 'naming the schema registry');
@a = h2_case('/sr-mtls-other-v1', '/sr-mtls-v1');
ok t_cmp(join(',', map { $_->{code} } @a), '503,200',
         'version 1: another CA\'s certificate refused, the right one right after served');
ok t_cmp(end_offset($topic, 0) - $before, 2, 'one record per 200, none for a refusal');
