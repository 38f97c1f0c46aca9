# SPDX-License-Identifier: Apache-2.0
# TLS, mTLS and SASL against the real brokers' secured listeners
# (t/kafka/kafka.sh: SSL, MTLS, SASL_PLAINTEXT, SASL_SSL, BADHOST), through
# the virtual host on KU_SECURE_PORT (t/conf/secure-vhost.inc), all sync:
# every way in produces a record, every way a user gets it wrong is a 503
# that names the cause and a tagged log line, and no secret is ever logged,
# with librdkafka's debug output on. SCRAM is proven against the Kafka
# 3.9.1 broker; against Kafka 4 it works only with librdkafka 2.6.1 or later.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use Apache::TestRequest qw(GET);
use LWP::UserAgent ();
use lib 't/lib';
use KafkaTest;
use HttpdLog;

my $port = $ENV{KU_SECURE_PORT} or die "KU_SECURE_PORT is not set: run t/run-tests.sh\n";
my $base = "http://127.0.0.1:$port";
my $ua = LWP::UserAgent->new(timeout => 30);

# path, the broker the record must reach
my @ways_in = ((map { [$_, broker()] } qw(/tls /mtls /sasl/plain /sasl-ssl/plain
                                          /verify-off/untrusted /verify-off/hostname)),
               (map { [$_, $ENV{KU_KAFKA3}] } qw(/kafka3/sasl/scram-sha-256
               /kafka3/sasl/scram-sha-512 /kafka3/sasl-ssl/scram-sha-256
               /kafka3/sasl-ssl/scram-sha-512)));

# The librdkafka the module runs on (the status page says), not kcat's.
my $librdkafka = eval { json->decode(GET('/ku-status')->content)->{librdkafka} }
    // die "the status page /ku-status does not name the librdkafka\n";
my $scram_nonce_bug = sprintf('%03d%03d%03d', split /\./, $librdkafka // '0.0.0') lt '002006001';
my @kafka4_scram = qw(/kafka4/sasl/scram-sha-256 /kafka4/sasl-ssl/scram-sha-512);

# path, the error the client is told, what the log line must say
my @failures = (
    ['/fail/wrong-password-plain', 'broker authentication failed', qr/_AUTHENTICATION/],
    ['/fail/wrong-password-scram', 'broker authentication failed', qr/_AUTHENTICATION/],
    ['/fail/unknown-user', 'broker authentication failed', qr/_AUTHENTICATION/],
    ['/fail/untrusted-certificate', 'TLS with the brokers failed', qr/certificate verify failed/],
    ['/fail/hostname-mismatch', 'TLS with the brokers failed', qr/certificate verify failed/],
    ['/fail/mtls-without-certificate', 'TLS with the brokers failed', qr/alert bad certificate/],
);

my @secrets = qw(alice-secret bob-secret-256 carol-secret-512 wrong-secret-plain
                 wrong-secret-scram mallory-secret);

plan tests => 3 * @ways_in + 2 * @kafka4_scram + 4 * @failures + @secrets + 3;

sub post {
    my ($path, $body) = @_;
    return $ua->post("$base$path", Content => $body, 'Content-Type' => 'text/plain');
}

for (@ways_in) {
    my ($path, $broker) = @$_;
    my $res = post($path, "through $path");
    ok t_cmp($res->code, 200, "$path: acknowledged");
    ok t_cmp($res->header('Kafka-Topic'), 'ku-secure', "$path: Kafka-Topic");
    my $rec = consume_one('ku-secure', $res->header('Kafka-Offset') // 0, timeout => 5,
                          broker => $broker);
    ok t_cmp(json->encode(decode_value($rec)),
             json->encode({ method => 'POST', body => "through $path", body_args => {} }),
             "$path: the record arrived");
}

# librdkafka before 2.6.1 sends a SCRAM nonce Kafka 4 refuses: the module
# warns at startup, and the refusal is an honest 503.
ok t_cmp(log_since(0) =~ /KU00012: librdkafka \S+ cannot log in with SCRAM/ ? 1 : 0,
         $scram_nonce_bug ? 1 : 0, "startup warning about SCRAM with librdkafka $librdkafka");
for my $path (@kafka4_scram) {
    my $res = post($path, "through $path");
    if ($scram_nonce_bug) {
        ok t_cmp($res->code, 503, "$path: Kafka 4 refuses the SCRAM of librdkafka $librdkafka");
        ok t_cmp(eval { json->decode($res->content)->{error} } // '',
                 'broker authentication failed', "$path: and the client is told");
    }
    else {
        ok t_cmp($res->code, 200, "$path: acknowledged by Kafka 4");
        ok t_cmp($res->header('Kafka-Topic'), 'ku-secure', "$path: Kafka-Topic");
    }
}

for my $case (@failures) {
    my ($path, $error, $log_re) = @$case;
    my $offset = end_offset('ku-secure');
    my $res = post($path, "must not arrive");
    ok t_cmp($res->code, 503, "$path: 503");
    ok t_cmp(eval { json->encode(json->decode($res->content)) } // $res->content,
             json->encode({ message => 'Service Unavailable', error => $error }),
             "$path: the client is told why");
    # Its producer connected at child start: its lines may predate the request.
    my @lines = grep { /KU00003: producer \Q$path\E \(/ } split /\n/, log_since(0);
    ok t_cmp("@lines", $log_re, "$path: a tagged log line names the cause");
    ok t_cmp(end_offset('ku-secure'), $offset, "$path: nothing produced");
}

# The whole log, debug output of the secured producers included.
my $log = log_since(0);
ok t_cmp(scalar(() = $log =~ /KU00004: librdkafka /g) > 0, 1, 'librdkafka debug lines were logged');
for my $secret (@secrets) {
    ok t_cmp(index($log, $secret), -1, "no '$secret' in the error log");
}
# The client's private key went to librdkafka as ssl.key.pem.
open(my $key, '<', "$ENV{KU_CERTS}/client.key") or die "client.key: $!";
my ($key_line) = grep { !/^-----/ } <$key>;
chomp $key_line;
ok t_cmp(index($log, $key_line), -1, 'no part of the client key in the error log');
