# SPDX-License-Identifier: Apache-2.0
# KafkaUpstreamSASLTokenAuth: Kafka delegation tokens (KIP-48, Kong
# authentication.tokenauth). Two builds, two sets of checks:
#
# - the default build (system librdkafka, the main passes of
#   t/run-tests.sh): `apache2 -t` refuses TokenAuth On, saying why and
#   naming ./configure --with-librdkafka;
# - the token build (t/tokens.sh: ./configure --with-librdkafka
#   --with-delegation-tokens against the librdkafka 2.15.1 that
#   librdkafka/build.sh patched, httpd started
#   with -defines KU_TOKENS, t/conf/secure-vhost-tokens.inc): the same config passes -t,
#   and real tokens made by Kafka's DelegationTokenCommand produce to Kafka
#   4.1.1 and 3.9.1 (the records are consumed back); a wrong HMAC, an
#   expired token and the good token without the tokenauth extension are
#   refused with a 503 and a tagged log line; no HMAC is ever logged, with
#   librdkafka's debug output on.
# Both builds: TokenAuth On without a SCRAM mechanism fails -t.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use File::Spec;
use File::Temp qw(tempdir);
use FindBin;
use LWP::UserAgent ();
use POSIX ();
use lib 't/lib';
use KafkaTest;
use HttpdLog;

my $t_dir = File::Spec->rel2abs($FindBin::Bin);
my $so = "$t_dir/../.libs/mod_kafka_upstream.so";
my $tokens = (Apache::Test::vars('defines') // '') =~ /\bKU_TOKENS\b/;

# --- apache2 -t --------------------------------------------------------------

my ($moddir) = grep { -e "$_/mod_mpm_event.so" }
    '/usr/lib/apache2/modules', '/usr/lib64/httpd/modules', '/usr/lib/httpd/modules';
my $tmp = tempdir('ku-tokens-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $base = config_check_base($t_dir, $so, $moddir, $tmp);

sub config_test { config_test_location($base, $tmp, @_) }

my @scram = ('KafkaUpstreamSASLMechanism SCRAM-SHA-256', 'KafkaUpstreamSASLUser token-id',
             'KafkaUpstreamSASLPassword token-hmac');
my $needs_scram = 'KU00010: KafkaUpstreamSASLTokenAuth On needs KafkaUpstreamSASLMechanism '
                . 'SCRAM-SHA-256 or SCRAM-SHA-512 (it is %s): Kafka takes delegation tokens '
                . 'over SCRAM only in the section for /x';
# [name, config lines, expected status, expected message or undef]
my @config_cases = (
    ['TokenAuth On with PLAIN',
     ['KafkaUpstreamSASLMechanism PLAIN', 'KafkaUpstreamSASLUser u',
      'KafkaUpstreamSASLPassword p', 'KafkaUpstreamSASLTokenAuth On'],
     'exit 1', sprintf($needs_scram, 'PLAIN')],
    ['TokenAuth On without SASL', ['KafkaUpstreamSASLTokenAuth On'],
     'exit 1', sprintf($needs_scram, 'not set')],
    ['TokenAuth Off with SCRAM', [@scram, 'KafkaUpstreamSASLTokenAuth Off'], 'exit 0', undef],
    ['the property is the directive\'s', ['server:KafkaUpstreamProperty sasl.scram.tokenauth true'],
     'exit 1', "KafkaUpstreamProperty: 'sasl.scram.tokenauth' is set with "
               . 'KafkaUpstreamSASLTokenAuth'],
);
# The case this test exists for: the build decides.
if ($tokens) {
    push @config_cases, ['TokenAuth On with SCRAM (token build)',
                         [@scram, 'KafkaUpstreamSASLTokenAuth On'], 'exit 0', undef];
}
else {
    push @config_cases, ['TokenAuth On with SCRAM (default build)',
                         [@scram, 'KafkaUpstreamSASLTokenAuth On'], 'exit 1',
                         qr/KU00010: \QKafkaUpstreamSASLTokenAuth On: librdkafka \E[\d.]+\Q cannot authenticate with a delegation token (no sasl.scram.tokenauth); build the module with .\/configure --with-librdkafka=PREFIX, PREFIX from librdkafka\/build.sh (README: Delegation tokens) in the section for \/x\E$/m];
}

# --- the brokers (token build only) ------------------------------------------

my $port = $ENV{KU_SECURE_PORT} or die "KU_SECURE_PORT is not set: run t/run-tests.sh\n";
my $base_url = "http://127.0.0.1:$port";
my $ua = LWP::UserAgent->new(timeout => 30);

# path, the broker the record must reach
my @ways_in = (['/tokens/kafka4/sasl/scram-sha-256', broker()],
               ['/tokens/kafka4/sasl-ssl/scram-sha-512', broker()],
               ['/tokens/kafka3/sasl/scram-sha-512', $ENV{KU_KAFKA3}]);
my @refused = qw(/tokens/fail/wrong-hmac /tokens/fail/expired /tokens/fail/tokenauth-off);
my @secrets = grep { defined } @ENV{qw(KU_TOKEN_HMAC KU_KAFKA3_TOKEN_HMAC KU_EXPIRED_TOKEN_HMAC)};
push @secrets, 'wrong-token-hmac';

my $tests = 1 + @config_cases * 2;
$tests += 3 * @ways_in + 4 * @refused + @secrets + 1 if $tokens;
plan tests => $tests;

ok t_cmp(ldd_rdkafka() =~ m{^(?:/usr)?/lib} ? 'system' : 'private', $tokens ? 'private' : 'system',
         'the module\'s librdkafka (' . ldd_rdkafka() . ')');

for my $case (@config_cases) {
    my ($name, $lines, $want_status, $want) = @$case;
    my ($status, $output) = config_test(@$lines);
    ok t_cmp($status, $want_status, "-t: $name: $want_status");
    ok t_cmp($output, defined $want ? (ref $want ? $want : qr/\Q$want\E$/m) : "Syntax OK\n",
             "-t: $name: says so");
}

exit 0 unless $tokens;

sub ldd_rdkafka {
    my ($lib) = `ldd '$so' 2>&1` =~ /librdkafka\.so\S*\s+=>\s+(\S+)/;
    return $lib // 'none';
}

sub post {
    my ($path, $body) = @_;
    return $ua->post("$base_url$path", Content => $body, 'Content-Type' => 'text/plain');
}

for (@ways_in) {
    my ($path, $broker) = @$_;
    my $offset = end_offset('ku-tokens', 0, $broker);
    my $res = post($path, "token through $path");
    ok t_cmp($res->code, 200, "$path: acknowledged");
    ok t_cmp($res->header('Kafka-Offset') // '', $offset, "$path: Kafka-Offset");
    my $rec = consume_one('ku-tokens', $offset, timeout => 5, broker => $broker);
    ok t_cmp(json->encode(decode_value($rec)),
             json->encode({ method => 'POST', body => "token through $path", body_args => {} }),
             "$path: the record arrived");
}

for my $path (@refused) {
    my $offset = end_offset('ku-tokens');
    my $res = post($path, 'must not arrive');
    ok t_cmp($res->code, 503, "$path: 503");
    ok t_cmp(eval { json->encode(json->decode($res->content)) } // $res->content,
             json->encode({ message => 'Service Unavailable',
                            error => 'broker authentication failed' }),
             "$path: the client is told why");
    # Its producer connected at child start: its lines may predate the request.
    my @lines = grep { /KU00003: producer \Q$path\E \(/ } split /\n/, log_since(0);
    ok t_cmp("@lines", qr/_AUTHENTICATION.*invalid credentials/, "$path: a tagged log line names the cause");
    ok t_cmp(end_offset('ku-tokens'), $offset, "$path: nothing produced");
}

# The whole log, debug output of the token producers included.
my $log = log_since(0);
ok t_cmp(scalar(() = $log =~ /KU00004: librdkafka /g) > 0, 1, 'librdkafka debug lines were logged');
for my $i (0 .. $#secrets) {
    ok t_cmp(index($log, $secrets[$i]), -1, "no HMAC #$i in the error log");
}
