# SPDX-License-Identifier: Apache-2.0
# KafkaUpstreamSASLMechanism OAUTHBEARER: OIDC client credentials through
# librdkafka's own support (Kong authentication.mechanism OAUTHBEARER).
# Two builds, two sets of checks:
#
# - a librdkafka without OIDC (Debian 12's 2.0.2, built without libcurl;
#   the main passes of t/run-tests.sh): `apache2 -t` refuses OAUTHBEARER,
#   saying why;
# - a librdkafka with it (2.15.1 with libcurl), httpd started with
#   -defines KU_OAUTH and the servers of t/oauth/servers.sh up (a real
#   OAuth2 server, oidc-provider, and a Kafka 4.1.1 broker whose OAUTHBEARER
#   listeners validate its JWTs through its JWKS, audience and issuer;
#   t/conf/13_oauth.inc): records produced over SASL_PLAINTEXT and
#   SASL_SSL (token endpoint over https), with SASL extensions (which the
#   broker shows it got), over HTTP/2, are read back; a wrong secret, a token for another audience and
#   an untrusted token endpoint are 503s with Retry-After, a tagged log
#   line and nothing produced; an endpoint down at start recovers without
#   a restart once it is up; 20 s tokens are refreshed under 38 s of
#   traffic with nothing failed; no secret and no token reaches the error
#   log (trace8, librdkafka debug on), a response or the status page.
# Both builds: the directive checks of `apache2 -t`.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use File::Spec;
use File::Temp qw(tempdir);
use FindBin;
use LWP::UserAgent ();
use Time::HiRes qw(sleep time);
use Time::Local qw(timegm);
use lib 't/lib';
use KafkaTest;
use HttpdLog;

my $t_dir = File::Spec->rel2abs($FindBin::Bin);
my $so = "$t_dir/../.libs/mod_kafka_upstream.so";
my $oauth = (Apache::Test::vars('defines') // '') =~ /\bKU_OAUTH\b/;

# --- apache2 -t --------------------------------------------------------------

my ($moddir) = grep { -e "$_/mod_mpm_event.so" }
    '/usr/lib/apache2/modules', '/usr/lib64/httpd/modules', '/usr/lib/httpd/modules';
my $tmp = tempdir('ku-oauth-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $base = config_check_base($t_dir, $so, $moddir, $tmp);
open my $ca, '>', "$tmp/ca.pem" or die "$tmp/ca.pem: $!";
print $ca "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
close $ca;

sub config_test { config_test_location($base, $tmp, @_) }

my @login = ('KafkaUpstreamOAuthTokenEndpoint https://idp.example/token',
             'KafkaUpstreamOAuthClientId ku-client', 'KafkaUpstreamOAuthClientSecret s3cr3t');
my @full = ('KafkaUpstreamSASLMechanism OAUTHBEARER', @login, 'KafkaUpstreamOAuthScope a b',
            'KafkaUpstreamOAuthScope c', 'KafkaUpstreamOAuthExtension logicalCluster lkc-1',
            'KafkaUpstreamOAuthExtension identityPoolId pool-1',
            'KafkaUpstreamOAuthTokenEndpointSSLVerify On',
            "KafkaUpstreamOAuthTokenEndpointCAFile $tmp/ca.pem");
my $in_x = ' in the section for /x';
my $no_oidc = qr/\QKafkaUpstreamSASLMechanism OAUTHBEARER: librdkafka \E[\d.]+\Q cannot fetch OAuth tokens (no OIDC support: built without libcurl; it says: \E.+\Q); build the module against a librdkafka with it: .\/configure --with-librdkafka=PREFIX (README: OAUTHBEARER)\E$/m;
# [name, config lines, expected status, expected message or undef]
my @config_cases = (
    ['every OAuth directive', \@full, $oauth ? ('exit 0', undef) : ('exit 1', $no_oidc)],
    ['an OAuth directive without OAUTHBEARER', ['KafkaUpstreamOAuthClientId ku-client'],
     'exit 1', "KU00010: KafkaUpstreamOAuthClientId is set without KafkaUpstreamSASLMechanism "
               . "OAUTHBEARER$in_x"],
    ['SSLVerify Off', ['KafkaUpstreamOAuthTokenEndpointSSLVerify Off'], 'exit 1',
     "KafkaUpstreamOAuthTokenEndpointSSLVerify Off: librdkafka always verifies the token "
     . "endpoint's certificate and hostname (it has no setting to turn that off); name the "
     . 'CA that signed it with KafkaUpstreamOAuthTokenEndpointCAFile'],
    ['an endpoint that is no URL', ['KafkaUpstreamOAuthTokenEndpoint idp.example/token'],
     'exit 1', "KafkaUpstreamOAuthTokenEndpoint: invalid value 'idp.example/token': an "
               . 'http:// or https:// URL is allowed'],
    ['an extension named auth', ['KafkaUpstreamOAuthExtension auth x'], 'exit 1',
     "KafkaUpstreamOAuthExtension: invalid name 'auth': letters only, and not 'auth'"],
    ['an extension value with a comma', ['KafkaUpstreamOAuthExtension logicalCluster a,b'],
     'exit 1', "KafkaUpstreamOAuthExtension: invalid value 'a,b' for logicalCluster: "
               . 'printable ASCII without spaces and commas is allowed'],
    ['the property is the directive\'s',
     ['server:KafkaUpstreamProperty sasl.oauthbearer.client.secret x'], 'exit 1',
     "KafkaUpstreamProperty: 'sasl.oauthbearer.client.secret' is set with "
     . 'KafkaUpstreamOAuthClientSecret'],
);
if ($oauth) {
    push @config_cases,
        ['no token endpoint', ['KafkaUpstreamSASLMechanism OAUTHBEARER', @login[1, 2]], 'exit 1',
         "KU00010: KafkaUpstreamSASLMechanism OAUTHBEARER needs KafkaUpstreamOAuthTokenEndpoint$in_x"],
        ['no client ID', ['KafkaUpstreamSASLMechanism OAUTHBEARER', @login[0, 2]], 'exit 1',
         "KU00010: KafkaUpstreamSASLMechanism OAUTHBEARER needs KafkaUpstreamOAuthClientId$in_x"],
        ['no client secret', ['KafkaUpstreamSASLMechanism OAUTHBEARER', @login[0, 1]], 'exit 1',
         "KU00010: KafkaUpstreamSASLMechanism OAUTHBEARER needs KafkaUpstreamOAuthClientSecret$in_x"],
        ['a SASL user as well', ['KafkaUpstreamSASLMechanism OAUTHBEARER', @login,
                                 'KafkaUpstreamSASLUser u'], 'exit 1',
         'KU00010: KafkaUpstreamSASLUser is set with KafkaUpstreamSASLMechanism OAUTHBEARER, '
         . 'which logs in with KafkaUpstreamOAuthClientId and KafkaUpstreamOAuthClientSecret'
         . $in_x],
        ['a CA file for an http endpoint',
         ['KafkaUpstreamSASLMechanism OAUTHBEARER', 'KafkaUpstreamOAuthTokenEndpoint '
          . 'http://idp.example/token', @login[1, 2],
          "KafkaUpstreamOAuthTokenEndpointCAFile $tmp/ca.pem"], 'exit 1',
         'KU00010: KafkaUpstreamOAuthTokenEndpointCAFile is set but '
         . "KafkaUpstreamOAuthTokenEndpoint is not an https:// URL$in_x"];
}

# --- the servers (a librdkafka with OIDC only) -------------------------------

# path, what the client is told
my @refused = (['/oauth/fail/wrong-secret', 'OAuth client credentials refused'],
               ['/oauth/fail/audience', 'OAuth token refused by the broker'],
               ['/oauth/fail/untrusted-endpoint', 'TLS with the token endpoint failed']);
my @ways_in = ('/oauth/plain', '/oauth/ssl', '/oauth/extensions');
my $short_requests = 38;    # one a second: the 20 s tokens are refreshed at ~16 s and ~32 s
my @secrets = qw(ku-secret-1 ku-short-secret ku-other-secret wrong-oauth-secret);

my $tests = @config_cases * 2;
$tests += 3 * @ways_in + 1 + 3 + 5 * @refused + 6 + 3 + 2 * @secrets + 3 if $oauth;
plan tests => $tests;

for my $case (@config_cases) {
    my ($name, $lines, $want_status, $want) = @$case;
    my ($status, $output) = config_test(@$lines);
    ok t_cmp($status, $want_status, "-t: $name: $want_status");
    ok t_cmp($output, defined $want ? (ref $want ? $want : qr/\Q$want\E$/m) : "Syntax OK\n",
             "-t: $name: says so");
}

exit 0 unless $oauth;

my $port = $ENV{KU_OAUTH_HTTP_PORT} or die "KU_OAUTH_HTTP_PORT is not set: t/oauth/servers.sh\n";
my $base_url = "http://127.0.0.1:$port";
my $kafka = $ENV{KU_OAUTH_BROKER};    # its PLAINTEXT listener, to read back
my $ua = LWP::UserAgent->new(timeout => 30);
my $servers = "$t_dir/oauth/servers.sh";
my @responses;    # every answer's body, checked for secrets at the end
my @cleanup;
END { $_->() for @cleanup }
# Down, whatever an earlier run left.
system('bash', $servers, 'down', $ENV{KU_OAUTH_LATE_PORT}) == 0 or die "servers.sh down failed\n";

sub post {
    my ($path, $body) = @_;
    my $res = $ua->post("$base_url$path", Content => $body, 'Content-Type' => 'text/plain');
    push @responses, $res->as_string;
    return $res;
}

sub error_of { eval { json->encode(json->decode($_[0]->content)) } // $_[0]->content }

sub sent_ok {
    my ($path, $res, $body) = @_;
    my $rec = consume_one('ku-oauth', $res->header('Kafka-Offset') // 0, timeout => 5,
                          broker => $kafka);
    return json->encode(decode_value($rec) // {}) eq
           json->encode({ method => 'POST', body => $body, body_args => {} });
}

for my $path (@ways_in) {
    my $res = post($path, "token through $path");
    ok t_cmp($res->code, 200, "$path: acknowledged");
    ok t_cmp($res->header('Kafka-Topic'), 'ku-oauth', "$path: Kafka-Topic");
    ok t_cmp(sent_ok($path, $res, "token through $path"), 1, "$path: the record arrived");
}

# The broker saw the extensions (its validator prints them: t/oauth/servers.sh).
{
    open(my $fh, '<', "$ENV{KU_OAUTH_DIR}/kafka/server.log") or die "server.log: $!";
    my @seen = grep { /^ku-oauth-extensions / } <$fh>;
    chomp @seen;
    ok t_cmp(scalar(grep { $_ eq 'ku-oauth-extensions ku-client={identityPoolId=pool-ku01, '
                                 . 'logicalCluster=lkc-ku0001}' } @seen) > 0 ? 1 : 0, 1,
             '/oauth/extensions: the broker got both extensions');
}

# HTTP/2 (h2c): the same through mod_http2's workers.
{
    my @cmd = ('curl', '-sS', '--http2-prior-knowledge', '-D', '-', '-X', 'POST',
               '--data-binary', 'over h2', '-H', 'Content-Type: text/plain',
               "$base_url/oauth/plain");
    open(my $fh, '-|', @cmd) or die "curl: $!";
    my $out = do { local $/; <$fh> } // '';
    close $fh;
    push @responses, $out;
    my ($proto, $status) = $out =~ m{^(HTTP/\S+) (\d+)};
    my ($offset) = $out =~ /^kafka-offset:\s*(\d+)/mi;
    ok t_cmp("$proto $status", 'HTTP/2 200', '/oauth/plain over HTTP/2: acknowledged');
    ok t_cmp(defined $offset ? 1 : 0, 1, '/oauth/plain over HTTP/2: Kafka-Offset');
    my $rec = consume_one('ku-oauth', $offset // 0, timeout => 5, broker => $kafka);
    ok t_cmp(json->encode(decode_value($rec) // {}),
             json->encode({ method => 'POST', body => 'over h2', body_args => {} }),
             '/oauth/plain over HTTP/2: the record arrived');
}

for my $case (@refused) {
    my ($path, $error) = @$case;
    my $offset = end_offset('ku-oauth', 0, $kafka);
    my $res = post($path, 'must not arrive');
    ok t_cmp($res->code, 503, "$path: 503");
    ok t_cmp($res->header('Retry-After') // '', qr/^\d+$/, "$path: Retry-After");
    ok t_cmp(error_of($res), json->encode({ message => 'Service Unavailable', error => $error }),
             "$path: the client is told why");
    # Its producer fetched its token at child start: its lines predate the request.
    my @lines = grep { /KU00030: producer \Q$path\E \(/ } split /\n/, log_since(0);
    ok t_cmp("@lines", qr/\Q$error\E: /, "$path: a tagged log line says which");
    ok t_cmp(end_offset('ku-oauth', 0, $kafka), $offset, "$path: nothing produced");
}

# The token endpoint is down at start, then comes up: no restart needed.
{
    my $offset = end_offset('ku-oauth', 0, $kafka);
    my $res = post('/oauth/late', 'must not arrive');
    ok t_cmp($res->code, 503, '/oauth/late: 503 while the endpoint is down');
    ok t_cmp(error_of($res), json->encode({ message => 'Service Unavailable',
                                            error => 'token endpoint unreachable' }),
             '/oauth/late: the client is told why');
    my @lines = grep { /KU00030: producer \/oauth\/late \(/ } split /\n/, log_since(0);
    ok t_cmp("@lines", qr/token endpoint unreachable: /, '/oauth/late: a tagged log line says which');
    system('bash', $servers, 'up', $ENV{KU_OAUTH_LATE_PORT}) == 0 or die "servers.sh up failed\n";
    push @cleanup, sub { system('bash', $servers, 'down', $ENV{KU_OAUTH_LATE_PORT}) };
    # librdkafka tries again 10 s after a failure; every child has its producer.
    my ($ok, $deadline) = (0, time + 45);
    while (time < $deadline) {
        $res = post('/oauth/late', 'after the endpoint came up');
        last if $res->code == 200 && ++$ok == 3;
        $ok = 0 if $res->code != 200;
        sleep 0.5;
    }
    ok t_cmp($res->code, 200, '/oauth/late: recovered once the endpoint is up');
    ok t_cmp(sent_ok('/oauth/late', $res, 'after the endpoint came up'), 1,
             '/oauth/late: the record arrived');
    my @bodies = map { decode_value($_)->{body} }
                 consume('ku-oauth', $offset, 1000, timeout => 3, broker => $kafka);
    ok t_cmp(scalar(grep { $_ eq 'must not arrive' } @bodies), 0,
             '/oauth/late: nothing produced while it was down');
}

# 20 s tokens: refreshed by librdkafka before they expire, the broker ends
# sessions with their token (connections.max.reauth.ms), and traffic goes on.
{
    my $start = time;
    my $offset = end_offset('ku-oauth', 0, $kafka);
    my @codes;
    for my $i (1 .. $short_requests) {
        push @codes, post('/oauth/short', "short $i")->code;
        sleep($start + $i - time) if $start + $i > time;
    }
    ok t_cmp(join(',', grep { $_ != 200 } @codes), '', "/oauth/short: $short_requests requests over "
             . int(time - $start) . ' s, none failed');
    my @bodies = map { decode_value($_)->{body} }
                 consume('ku-oauth', $offset, $short_requests, timeout => 10, broker => $kafka);
    ok t_cmp(join(',', @bodies), join(',', map { "short $_" } 1 .. $short_requests),
             '/oauth/short: every record arrived, in order');
    # The OAuth server's own log: ku-short's tokens granted during the
    # traffic, two or more for each child's producer.
    my $end = time;
    open(my $log, '<', "$ENV{KU_OAUTH_DIR}/provider-$ENV{KU_OAUTH_PORT}.log") or die "provider log: $!";
    my @grants = grep { $_ >= $start && $_ <= $end }
                 map { /^(\d+)-(\d+)-(\d+)T(\d+):(\d+):([\d.]+)Z token ku-short 200 /
                       ? timegm($6, $5, $4, $3, $2 - 1, $1) : () } <$log>;
    my $children = children();
    ok t_cmp(@grants >= 2 * $children ? 1 : 0, 1, '/oauth/short: tokens refreshed under traffic ('
             . scalar(@grants) . " granted in $short_requests s to $children children)");
}

# Nothing secret anywhere: the error log with librdkafka's debug output,
# the answers, the status page.
my $log = log_since(0);
my $status = $ua->get(Apache::Test::vars('scheme') . '://' . Apache::Test::vars('remote_addr')
                      . ':' . Apache::Test::vars('port') . '/ku-status')->content;
ok t_cmp(scalar(() = $log =~ /KU00004: librdkafka .*OAUTHBEARER/g) > 0, 1,
         'librdkafka OAUTHBEARER debug lines were logged');
# (Producers of equal settings share an entry: /oauth and /oauth/plain are one.)
ok t_cmp(scalar(() = $status =~ m{"name":"\\?/oauth[^"]*"}g) > 0, 1,
         'the status page lists the OAuth producers');
for my $secret (@secrets) {
    ok t_cmp(index($log, $secret), -1, "no '$secret' in the error log");
    ok t_cmp(index(join('', @responses, $status), $secret), -1,
             "no '$secret' in an answer or the status page");
}
my $jwt = qr/eyJ[\w-]+\.eyJ[\w-]+/;
ok t_cmp(join(' ', join("\n", $log, @responses, $status) =~ /($jwt)/g), '',
         'no token in the error log, an answer or the status page');

# The children that serve requests, each with its own producers.
sub children {
    my %pids = map { $_ => 1 } log_since(0) =~ /\[pid (\d+):tid \d+\] \S+ KU00006: producer \/oauth\/short /g;
    return scalar(keys %pids) || 1;
}
