# SPDX-License-Identifier: Apache-2.0
# The Schema Registry behind OAuth2 client credentials (README: Schema
# Registry, "OAuth2"), against real servers: t/registry/oauth-registry.sh
# starts the suite's OAuth2 server (oidc-provider) and a second Apicurio
# Registry that requires a bearer token on every request and validates it
# against that server (signature, issuer, expiry, audience "registry").
# Locations: t/conf/62_registry_oauth.inc. Cases: the right client gets its
# schemas (records read back and decoded with the schema the registry gave),
# one token for two subjects and a refetch after the TTL (counted at the
# provider's log); a wrong secret and a token for another audience: 503,
# nothing produced, the latter's token renewed exactly once; a token the
# registry refuses (expired while the answer promised 300 s) is renewed
# once and the request succeeds; no secret and no token in the error log.
# The requests go over one keep-alive connection: one child, one token cache.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use KafkaTest;
use HttpdLog;
use IO::Socket::INET ();
use Time::HiRes qw(sleep);

my $topic = 'ku-sr-oauth';
my $registry = $ENV{KU_SR_OAUTH_REGISTRY_URL}
    or die "KU_SR_OAUTH_REGISTRY_URL is not set: run t/run-tests.sh\n";
my $token_url = $ENV{KU_SR_OAUTH_TOKEN_URL} or die "KU_SR_OAUTH_TOKEN_URL is not set\n";
my $provider_log = "$ENV{KU_SR_OAUTH_DIR}/provider.log";
chomp(my $python = `bash t/tools/sr-venv.sh`);

plan tests => 22, need { 'schema registry venv' => -x $python };

system('bash', 't/registry/oauth-registry.sh', 'start') == 0
    or die "t/registry/oauth-registry.sh start failed\n";
END { system('bash', 't/registry/oauth-registry.sh', 'stop') }
my $log_start = log_size();

# --- helpers ---------------------------------------------------------------------

# Token requests the provider answered for client with status.
sub token_requests {
    my ($client, $status) = @_;
    open(my $fh, '<', $provider_log) or die "$provider_log: $!";
    return scalar grep { / token \Q$client\E \Q$status\E / } <$fh>;
}

sub token_for {
    my ($client, $secret) = @_;
    my $answer = `curl -s -u '$client:$secret' -d grant_type=client_credentials '$token_url'`;
    return eval { json->decode($answer)->{access_token} } // die "no token: $answer\n";
}

# The registry's answer status for GET path with a token (or none).
sub registry_status {
    my ($path, $token) = @_;
    my $auth = $token ? "-H 'Authorization: Bearer $token'" : '';
    return `curl -s -o /dev/null -w '%{http_code}' $auth '$registry$path'`;
}

sub register {
    my ($subject, $schema, $token) = @_;
    my $req = json->encode({ schema => json->encode($schema) });
    my $answer = `curl -s -X POST -H 'Authorization: Bearer $token' -H 'Content-Type: application/vnd.schemaregistry.v1+json' --data-binary '$req' '$registry/subjects/$subject/versions'`;
    return eval { json->decode($answer)->{id} } // die "registering $subject: $answer\n";
}

# One keep-alive connection to the test server: the requests whose token
# counts matter reach the same child, whose token cache they are about. A
# refusal may close the connection: the next request opens another.
my $hostport = Apache::Test::vars('remote_addr') . ':' . Apache::Test::vars('port');
my $sock;

sub connect_server {
    $sock = IO::Socket::INET->new(PeerAddr => $hostport, Timeout => 30)
        or die "connect $hostport: $!";
    binmode $sock;
}
connect_server();

sub post {
    my ($path, $body) = @_;
    $sock->print("POST $path HTTP/1.1\r\nHost: $hostport\r\nContent-Type: application/json\r\n"
                 . 'Content-Length: ' . length($body) . "\r\n\r\n$body");
    my %res;
    ($res{status}) = (<$sock> // '') =~ m{^HTTP/1\.1 (\d{3})};
    while (my $line = <$sock>) {
        last if $line =~ /^\r?\n$/;
        $res{headers}{lc $1} = $2 if $line =~ /^([^:]+):\s*(.*?)\r?\n$/;
    }
    my $len = $res{headers}{'content-length'} // 0;
    read($sock, $res{body}, $len) == $len or die "short answer to $path";
    connect_server() if $res{status} != 200 || lc($res{headers}{connection} // '') eq 'close';
    return \%res;
}

# The record at offset, decoded with the schema the registry has for its id.
sub decoded {
    my ($offset, $token) = @_;
    my $b = broker();
    local $ENV{KU_SR_BEARER} = $token;
    my $out = `timeout 15 kcat -C -q -b $b -t $topic -p 0 -o $offset -c 1 -e -f '%s' | '$python' t/tools/sr-decode.py '$registry'`;
    return eval { json->decode($out) } // { error => $out };
}

# --- the registry requires tokens ---------------------------------------------------

my $admin = token_for('ku-registry', 'ku-registry-secret');
ok t_cmp(registry_status('/subjects', undef), 401, 'the registry refuses a request without a token');
ok t_cmp(registry_status('/subjects', token_for('ku-other', 'ku-other-secret')), 401,
         'and a token for another audience');
ok t_cmp(registry_status('/subjects', $admin), 200, 'and takes one for its audience');
my $a_id = register('ku-sr-oauth-a-value', { type => 'record', name => 'A',
    fields => [ { name => 'n', type => 'int' }, { name => 's', type => 'string' } ] }, $admin);
my $b_id = register('ku-sr-oauth-b-value', { type => 'record', name => 'B',
    fields => [ { name => 'flag', type => 'boolean' } ] }, $admin);

# --- the right client: its schemas, one token ------------------------------------------

my $granted = token_requests('ku-registry', 200);
my $r1 = post('/sro-a', '{"n":7,"s":"first"}');
ok t_cmp($r1->{status}, 200, 'the right client: 200');
sleep 1.2;    # past the schema TTL (1 s): the next request to /sro-a refetches
my $r2 = post('/sro-b', '{"flag":true}');
ok t_cmp($r2->{status}, 200, 'another subject, the same client: 200');
sleep 1.2;
my $r3 = post('/sro-a', '{"n":8,"s":"third"}');
ok t_cmp($r3->{status}, 200, 'the schema refetched after its TTL: 200');
ok t_cmp(token_requests('ku-registry', 200) - $granted, 1,
         'one token for the three registry requests (cached by the child)');
my $d1 = decoded($r1->{headers}{'kafka-offset'} // 'end', $admin);
ok t_cmp(json->encode([ $d1->{magic}, $d1->{id}, $d1->{value} ]),
         json->encode([ 0, $a_id, { n => 7, s => 'first' } ]),
         'the record: magic byte, the schema id the registry gave, the fields');
my $d2 = decoded($r2->{headers}{'kafka-offset'} // 'end', $admin);
ok t_cmp(json->encode([ $d2->{id}, $d2->{value} ]), json->encode([ $b_id, { flag => JSON::PP::true } ]),
         'the other subject\'s record');
my $d3 = decoded($r3->{headers}{'kafka-offset'} // 'end', $admin);
ok t_cmp(json->encode($d3->{value}), json->encode({ n => 8, s => 'third' }), 'the third record');

# --- a wrong secret, a token for another audience ----------------------------------------

my $end = end_offset($topic);
my $refused = token_requests('ku-registry', 401);
my $w = post('/sro-wrong', '{"n":1,"s":"x"}');
ok t_cmp($w->{status}, 503, 'a wrong client secret: 503');
ok t_cmp(token_requests('ku-registry', 401) - $refused, 1, 'the token endpoint refused it');
my $other = token_requests('ku-other', 200);
my $o = post('/sro-other', '{"n":1,"s":"x"}');
ok t_cmp($o->{status}, 503, 'a token the registry refuses: 503');
ok t_cmp(token_requests('ku-other', 200) - $other, 2, 'renewed once after the 401, not more');
ok t_cmp(end_offset($topic), $end, 'nothing produced for either');
ok t_cmp(log_since($log_start) =~ m{KU00035: subject ku-sr-oauth-a-value version latest: OAuth2 token endpoint \Q$token_url\E refused client 'ku-registry': HTTP 401 \(invalid_client\)} ? 1 : 0,
         1, 'the refusal logged, naming the endpoint and the client');

# --- a token the registry refuses: renewed once, the request succeeds ---------------------

my $stale = token_requests('ku-stale', 200);
my $s1 = post('/sro-stale-a', '{"n":3,"s":"stale"}');
ok t_cmp($s1->{status}, 200, 'a client whose tokens expire early: 200');
sleep 3;      # its token expired at the registry; the child believes it good for 300 s
my $s2 = post('/sro-stale-b', '{"flag":false}');
ok t_cmp($s2->{status}, 200, 'its expired token refused, a new one fetched: 200');
ok t_cmp(token_requests('ku-stale', 200) - $stale, 2, 'two tokens: the first and the renewed one');
my $d4 = decoded($s2->{headers}{'kafka-offset'} // 'end', $admin);
ok t_cmp(json->encode([ $d4->{id}, $d4->{value} ]), json->encode([ $b_id, { flag => JSON::PP::false } ]),
         'its record');
close $sock;

# --- secrets ---------------------------------------------------------------------------------

my $log = log_since($log_start);
ok t_cmp(scalar(grep { index($log, $_) >= 0 } qw(ku-registry-secret not-the-secret ku-other-secret
                                                 ku-stale-secret)), 0, 'no client secret in the error log');
ok t_cmp($log =~ /eyJ[\w-]+\.eyJ/ ? 1 : 0, 0, 'no token in the error log');
