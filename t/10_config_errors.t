# SPDX-License-Identifier: Apache-2.0
# Configuration errors are caught when the configuration is read: for each
# case below a small httpd.conf loads the module and `apache2 -t` must either
# fail with a message naming the directive, the bad value and what is
# allowed, or pass. Needs neither the Kafka broker nor the test server:
# nothing is started (-t binds no port).
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use File::Spec;
use File::Temp qw(tempdir);
use FindBin;
use POSIX ();
use lib 't/lib';
use KafkaTest qw(config_check_base);

my $t_dir = File::Spec->rel2abs($FindBin::Bin);
my $so = "$t_dir/../.libs/mod_kafka_upstream.so";
my $conf_h = "$t_dir/../conf.h";

# --- the cases -----------------------------------------------------------

# KU_NUM_DIRECTIVES in conf.h: directive, min, max (checked against conf.h
# below, so a new directive cannot go untested).
my @numeric = (
    [KafkaUpstreamTimeout           => 10, 300000],
    [KafkaUpstreamKeepalive         => 0,  2147483647],
    [KafkaUpstreamRequestTimeout    => 1,  900000],
    [KafkaUpstreamBatchMessages     => 1,  1000000],
    [KafkaUpstreamBatchBytes        => 1,  2147483647],
    [KafkaUpstreamRetries           => 0,  2147483647],
    [KafkaUpstreamRetryBackoff      => 1,  300000],
    [KafkaUpstreamAsyncFlushTimeout => 0,  900000],
    [KafkaUpstreamBufferMessages    => 1,  10000000],
    [KafkaUpstreamMaxBodySize       => 0,  2147483647],
    [KafkaUpstreamDeliveryTimeout   => 1,  2147483647],
    [KafkaUpstreamShutdownTimeout   => 0,  600000],
    [KafkaUpstreamSchemaRegistryTTL => 0,  3600],
    [KafkaUpstreamMaxRecords        => 1,  10000000],
    [KafkaUpstreamMaxTopics         => 1,  1000],
    [KafkaUpstreamMaxRecordHeaders  => 0,  100000],
    [KafkaUpstreamMaxFormFields     => 1,  10000000],
);

# What a limit value needs beside it to pass: an async Location's flush
# timeout must stay below its delivery timeout (defaults 1000 and 5000).
my %companion = (
    'KafkaUpstreamAsyncFlushTimeout 900000' => 'KafkaUpstreamDeliveryTimeout 900001',
    'KafkaUpstreamDeliveryTimeout 1'        => 'KafkaUpstreamAsyncFlushTimeout 0',
);

# KU_FLAG_DIRECTIVES in conf.h.
my @flags = qw(KafkaUpstreamKeepaliveEnabled KafkaUpstreamForwardMethod
    KafkaUpstreamForwardURI KafkaUpstreamForwardHeaders KafkaUpstreamForwardBody
    KafkaUpstreamAsync KafkaUpstreamSSL KafkaUpstreamSSLVerify KafkaUpstreamRecordHeaders
    KafkaUpstreamIdempotence KafkaUpstreamErrorDetail KafkaUpstreamSASLTokenAuth
    KafkaUpstreamSchemaRegistrySSLVerify);
# On needs SCRAM and a librdkafka with delegation tokens: t/09_tokens.t.
my %off_only = (KafkaUpstreamSASLTokenAuth => 1);

# Config snippets: a Location of the module, and one that names a cluster
# and a topic, so that the check_config hook (ku_conf_check) judges it too.
sub section {
    my ($open, $close, @lines) = @_;
    return join '', "$open\n", (map { "    $_\n" } @lines), "$close\n";
}

sub location { section('<Location /x>', '</Location>', 'SetHandler kafka-upstream', @_) }

sub complete {
    return location('KafkaUpstreamBootstrapServers 127.0.0.1:9092',
                    'KafkaUpstreamTopic ku-config', @_);
}

# A case: a name, the config text and, for a failing case, the patterns its
# output must match (one assertion each, plus one that -t exits 1).
my @cases;
sub passes { my ($name, $conf) = @_; push @cases, { name => $name, conf => $conf } }
sub fails {
    my ($name, $conf, @messages) = @_;
    push @cases, { name => $name, conf => $conf, messages => \@messages };
}

for (@numeric) {
    my ($dir, $min, $max) = @$_;
    for my $bad ('abc', $min - 1, $max + 1) {
        fails "$dir $bad", location("$dir $bad"),
            qr/^\Q$dir: invalid value '$bad': a whole number from $min to $max is allowed\E$/m;
    }
    for my $good ($min, $max) {
        my $line = "$dir $good";
        passes $line, complete($line, $companion{$line} // ());
    }
}

for my $dir (@flags) {
    fails "$dir maybe", location("$dir maybe"), qr/^\Q$dir must be On or Off\E$/m;
    passes "$dir $_", complete("$dir $_") for $off_only{$dir} ? qw(Off) : qw(On Off);
}

for my $bad (qw(2 any)) {
    fails "KafkaUpstreamAcks $bad", location("KafkaUpstreamAcks $bad"),
        qr/^\QKafkaUpstreamAcks: invalid value '$bad': -1, 0, 1 or all is allowed\E$/m;
}
passes "KafkaUpstreamAcks $_", complete("KafkaUpstreamAcks $_") for qw(-1 0 1 all);

# [servers, the piece the message must name]
for (['localhost', 'localhost'], ['host:0', 'host:0'], ['host:99999', 'host:99999'],
     ['host:abc', 'host:abc'], ['a:1 b:0', 'b:0'], ['::1:9092', '::1:9092'],
     ['a:1:2', 'a:1:2'], ['host:+5', 'host:+5'], ['host: 5', 'host:'], ['[]:1', '[]:1']) {
    my ($servers, $piece) = @$_;
    fails "KafkaUpstreamBootstrapServers $servers",
        location("KafkaUpstreamBootstrapServers $servers"),
        qr/^\QKafkaUpstreamBootstrapServers: invalid value '$piece': host:port (port 1-65535) is allowed\E$/m;
}
fails 'KafkaUpstreamBootstrapServers without an argument',
    location('KafkaUpstreamBootstrapServers'),
    qr/^\QKafkaUpstreamBootstrapServers: at least one host:port is required\E$/m;
for my $servers ('a:1 b:2', 'a:1,b:2', '[::1]:9092') {
    passes "KafkaUpstreamBootstrapServers $servers",
        location("KafkaUpstreamBootstrapServers $servers", 'KafkaUpstreamTopic ku-config');
}

# [topic, its name in the test output]
for (['bad/topic', 'bad/topic'], ['t' x 250, '250 characters'], ['.', '.'], ['..', '..']) {
    my ($topic, $name) = @$_;
    fails "KafkaUpstreamTopic $name", location("KafkaUpstreamTopic $topic"),
        qr/^\QKafkaUpstreamTopic: invalid value '$topic': 1 to 249 of the characters a-z A-Z 0-9 . _ - are allowed\E$/m;
}
for (['ok.topic_name-1', 'ok.topic_name-1'], ['t' x 249, '249 characters']) {
    my ($topic, $name) = @$_;
    passes "KafkaUpstreamTopic $name",
        location('KafkaUpstreamBootstrapServers 127.0.0.1:9092', "KafkaUpstreamTopic $topic");
}

# Combinations, judged by the check_config hook on the merged conf.
my @slow_flush = ('KafkaUpstreamAsyncFlushTimeout 5000', 'KafkaUpstreamDeliveryTimeout 5000');
fails 'async flush timeout = delivery timeout', complete(@slow_flush),
    qr/^AH00014: Configuration check failed$/m,
    qr/KU00010: \QKafkaUpstreamAsyncFlushTimeout (5000) must be lower than KafkaUpstreamDeliveryTimeout (5000) in the section for \/x\E$/m;
passes 'async flush timeout < delivery timeout',
    complete('KafkaUpstreamAsyncFlushTimeout 4999', 'KafkaUpstreamDeliveryTimeout 5000');
passes 'sync ignores the flush timeout', complete(@slow_flush, 'KafkaUpstreamAsync Off');
# A sync Location lingers 1 ms, and librdkafka wants linger.ms < message.timeout.ms.
fails 'sync delivery timeout 1', complete('KafkaUpstreamAsync Off', 'KafkaUpstreamDeliveryTimeout 1'),
    qr/KU00010: \QKafkaUpstreamDeliveryTimeout (1) must be greater than 1 with KafkaUpstreamAsync Off in the section for \/x\E$/m;
passes 'sync delivery timeout 2', complete('KafkaUpstreamAsync Off', 'KafkaUpstreamDeliveryTimeout 2');

# Contexts: the directives are RSRC_CONF|ACCESS_CONF, so server level and
# <Directory> are fine (and .htaccess, being neither, is not).
passes 'server level', join '', map { "$_\n" } 'KafkaUpstreamBootstrapServers 127.0.0.1:9092',
    'KafkaUpstreamTopic ku-config', 'KafkaUpstreamTimeout 500', 'KafkaUpstreamAsync Off';
my $directory = sub {
    section('<Directory "/srv/ku">', '</Directory>', 'KafkaUpstreamBootstrapServers 127.0.0.1:9092',
            'KafkaUpstreamTopic ku-config', @_);
};
passes 'in <Directory>', $directory->('KafkaUpstreamTimeout 500', 'KafkaUpstreamForwardBody Off');
fails 'combination in <Directory>', $directory->(@slow_flush),
    qr/KU00010: .*must be lower than .* in the section for \/srv\/ku\/$/m;
fails 'unknown directive KafkaUpstreamTopics', location('KafkaUpstreamTopics x'),
    qr/^Invalid command 'KafkaUpstreamTopics', perhaps misspelled/m;

# TLS and SASL. Files made here: a certificate, a key, an encrypted key,
# a password file.
my $files = tempdir('ku-config-files-XXXXXX', TMPDIR => 1, CLEANUP => 1);
system("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
       . "-subj /CN=ku-test -keyout $files/key.pem -out $files/cert.pem >/dev/null 2>&1") == 0
    or die "openssl req failed";
system("openssl pkey -in $files/key.pem -aes256 -passout pass:x -out $files/encrypted.pem "
       . ">/dev/null 2>&1") == 0 or die "openssl pkey failed";
{
    open my $fh, '>', "$files/password" or die "$files/password: $!";
    print $fh "file-secret-1\nsecond line\n";
}
$ENV{KU_TEST_PASSWORD} = 'env-secret-2';

my @tls = ('KafkaUpstreamSSL On', "KafkaUpstreamSSLCACertificateFile $files/cert.pem");
my @mtls = (@tls, "KafkaUpstreamSSLCertificateFile $files/cert.pem",
            "KafkaUpstreamSSLCertificateKeyFile $files/key.pem");
my @sasl = ('KafkaUpstreamSASLMechanism SCRAM-SHA-512', 'KafkaUpstreamSASLUser carol');

passes 'TLS with a CA file', complete(@tls);
passes 'mTLS', complete(@mtls);
passes 'TLS without verification', complete('KafkaUpstreamSSL On', 'KafkaUpstreamSSLVerify Off');
passes "SASL password $_->[0]", complete(@sasl, "KafkaUpstreamSASLPassword $_->[1]")
    for ['literal', 'literal-secret-3'], ['from a file', "file:$files/password"],
        ['from the environment', 'env:KU_TEST_PASSWORD'];
passes 'SASL over TLS with a client certificate',
    complete(@mtls, @sasl, 'KafkaUpstreamSASLPassword env:KU_TEST_PASSWORD');
passes 'every mechanism', complete("KafkaUpstreamSASLMechanism $_", 'KafkaUpstreamSASLUser u',
                                   'KafkaUpstreamSASLPassword p')
    for qw(PLAIN SCRAM-SHA-256 scram-sha-512);

fails 'unreadable CA file', location('KafkaUpstreamSSLCACertificateFile /nonexistent/ca.pem'),
    qr/^\QKafkaUpstreamSSLCACertificateFile: cannot read '\/nonexistent\/ca.pem': No such file or directory\E$/m;
fails 'a key as CA file', location("KafkaUpstreamSSLCACertificateFile $files/key.pem"),
    qr/^\QKafkaUpstreamSSLCACertificateFile: '$files\/key.pem' holds no PEM certificate\E$/m;
fails 'unreadable certificate', location('KafkaUpstreamSSLCertificateFile /nonexistent/c.pem'),
    qr/^\QKafkaUpstreamSSLCertificateFile: cannot read '\/nonexistent\/c.pem'\E/m;
fails 'an encrypted key', location("KafkaUpstreamSSLCertificateKeyFile $files/encrypted.pem"),
    qr/^\QKafkaUpstreamSSLCertificateKeyFile: '$files\/encrypted.pem' holds no unencrypted PEM private key\E$/m;
fails 'a key without a certificate',
    complete(@tls, "KafkaUpstreamSSLCertificateKeyFile $files/key.pem"),
    qr/KU00010: \QKafkaUpstreamSSLCertificateKeyFile is set without KafkaUpstreamSSLCertificateFile in the section for \/x\E$/m;
fails 'a certificate without a key',
    complete(@tls, "KafkaUpstreamSSLCertificateFile $files/cert.pem"),
    qr/KU00010: \QKafkaUpstreamSSLCertificateFile is set without KafkaUpstreamSSLCertificateKeyFile\E/m;
fails 'a CA file with KafkaUpstreamSSL Off',
    complete("KafkaUpstreamSSLCACertificateFile $files/cert.pem"),
    qr/KU00010: \QKafkaUpstreamSSLCACertificateFile is set but KafkaUpstreamSSL is Off\E/m;
fails 'KafkaUpstreamSASLMechanism GSSAPI', location('KafkaUpstreamSASLMechanism GSSAPI'),
    qr/^\QKafkaUpstreamSASLMechanism: invalid value 'GSSAPI': PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER is allowed\E$/m;
fails 'a mechanism without a user',
    complete('KafkaUpstreamSASLMechanism PLAIN', 'KafkaUpstreamSASLPassword hunter2-secret'),
    qr/KU00010: \QKafkaUpstreamSASLMechanism is set without KafkaUpstreamSASLUser\E/m,
    qr/\A(?!.*hunter2)/s;
fails 'a mechanism without a password', complete(@sasl),
    qr/KU00010: \QKafkaUpstreamSASLMechanism is set without KafkaUpstreamSASLPassword\E/m;
fails 'a user without a mechanism',
    complete('KafkaUpstreamSASLUser alice', 'KafkaUpstreamSASLPassword hunter2-secret'),
    qr/KU00010: \QKafkaUpstreamSASLUser is set without KafkaUpstreamSASLMechanism\E/m,
    qr/\A(?!.*hunter2)/s;
fails 'a password from an unset variable', location('KafkaUpstreamSASLPassword env:KU_NOT_SET'),
    qr/^\QKafkaUpstreamSASLPassword: environment variable 'KU_NOT_SET' is not set or empty\E$/m;
fails 'a password from a missing file', location('KafkaUpstreamSASLPassword file:/nonexistent/pw'),
    qr/^\QKafkaUpstreamSASLPassword: cannot read '\/nonexistent\/pw': No such file or directory\E$/m;

# KafkaUpstreamProperty: server config only; no code loading; no key a
# directive owns; librdkafka judges the rest.
my $cluster = "KafkaUpstreamBootstrapServers 127.0.0.1:9092\nKafkaUpstreamTopic ku-config\n";
passes 'KafkaUpstreamProperty message.max.bytes 2000000',
    "${cluster}KafkaUpstreamProperty message.max.bytes 2000000\n";
for my $key (qw(plugin.library.paths sasl.kerberos.kinit.cmd ssl.engine.location)) {
    fails "KafkaUpstreamProperty $key", "KafkaUpstreamProperty $key /tmp/x\n",
        qr/^\QKafkaUpstreamProperty: '$key' is refused: it loads code or runs commands\E$/m;
}
fails 'KafkaUpstreamProperty acks', "KafkaUpstreamProperty acks all\n",
    qr/^\QKafkaUpstreamProperty: 'acks' is set with KafkaUpstreamAcks\E$/m;
fails 'KafkaUpstreamProperty sasl.password', "KafkaUpstreamProperty sasl.password hunter2-secret\n",
    qr/^\QKafkaUpstreamProperty: 'sasl.password' is set with KafkaUpstreamSASLPassword\E$/m,
    qr/\A(?!.*hunter2)/s;
fails 'KafkaUpstreamProperty no.such.property', "KafkaUpstreamProperty no.such.property 1\n",
    qr/^KafkaUpstreamProperty: No such configuration property: "no.such.property"$/m;
fails 'KafkaUpstreamProperty message.max.bytes abc', "KafkaUpstreamProperty message.max.bytes abc\n",
    qr/^KafkaUpstreamProperty: Invalid value for configuration property "message.max.bytes"$/m;
fails 'KafkaUpstreamProperty compression.codec', "KafkaUpstreamProperty compression.codec lz4\n",
    qr/^\QKafkaUpstreamProperty: 'compression.codec' is set with KafkaUpstreamCompression\E$/m;
fails 'KafkaUpstreamProperty in a Location', location('KafkaUpstreamProperty message.max.bytes 2000000'),
    qr/^KafkaUpstreamProperty not allowed in <Location> context$/m;

# Beyond Kong: words from a fixed list, names, expressions, combinations.
for (['KafkaUpstreamCompression', 'brotli', 'none, gzip, snappy, lz4 or zstd', [qw(none gzip snappy lz4 zstd)]],
     ['KafkaUpstreamRecordHeadersRepeated', 'all', 'retain_duplicates, concatenate_by_comma or take_first',
      [qw(retain_duplicates concatenate_by_comma take_first)]],
     ['KafkaUpstreamMessageFormat', 'xml', 'envelope or raw', [qw(envelope raw)]],
     ['KafkaUpstreamPartitioner', 'murmur2', 'murmur2_random, consistent_random, crc32 or random',
      [qw(murmur2_random consistent_random crc32 random)]],
     ['KafkaUpstreamSplit', 'csv', 'none, ndjson or json-array', [qw(none ndjson json-array)]],
     ['KafkaUpstreamAPI', 'soap', 'kong, rest-v2 or rest-v3', [qw(kong rest-v2 rest-v3)]],
     ['KafkaUpstreamCloudEvents', 'structured', 'Off, On or Binary', [qw(Off On Binary)]],
     ['KafkaUpstreamTraceContext', 'w3c', 'forward, generate or off', [qw(forward generate off)]]) {
    my ($dir, $bad, $allowed, $good) = @$_;
    fails "$dir $bad", location("$dir $bad"),
        qr/^\Q$dir: invalid value '$bad': $allowed is allowed\E$/m;
    passes "$dir $_", complete("$dir $_") for @$good;
}
for my $dir (qw(KafkaUpstreamKeyQueryArg KafkaUpstreamTopicsQueryArg KafkaUpstreamClusterName)) {
    fails "$dir a/b", location("$dir a/b"),
        qr/^\Q$dir: invalid value 'a\/b': letters, digits and . _ - are allowed\E$/m;
    passes "$dir name_1", complete("$dir name_1");
}
fails 'KafkaUpstreamAllowedTopics bad/topic', location('KafkaUpstreamAllowedTopics ok bad/topic'),
    qr/^\QKafkaUpstreamAllowedTopics: invalid value 'bad\/topic': 1 to 249 of the characters\E/m;
passes 'KafkaUpstreamAllowedTopics', complete('KafkaUpstreamTopicsQueryArg t',
                                              'KafkaUpstreamAllowedTopics a b', 'KafkaUpstreamAllowedTopics c');
fails 'KafkaUpstreamKey with a bad expression', location('KafkaUpstreamKey "%{HTTP:X-Id"'),
    qr/^\QKafkaUpstreamKey: cannot parse '%{HTTP:X-Id': \E/m;
passes 'KafkaUpstreamKey', complete('KafkaUpstreamKey "%{HTTP:X-Request-Id}"');
fails 'KafkaUpstreamField body', location('KafkaUpstreamField body "%{REMOTE_USER}"'),
    qr/^\QKafkaUpstreamField: 'body' is a field the envelope already has\E$/m;
passes 'KafkaUpstreamField', complete('KafkaUpstreamField user "%{REMOTE_USER}"',
                                      'KafkaUpstreamField id "%{REQUEST_URI}"');
passes 'record header lists', complete('KafkaUpstreamRecordHeaders On',
    'KafkaUpstreamRecordHeadersInclude X-A X-B', 'KafkaUpstreamRecordHeadersExclude Cookie',
    'KafkaUpstreamRecordHeaderRename X-A a-header');
fails 'KafkaUpstreamIdempotence On with KafkaUpstreamAcks 1',
    complete('KafkaUpstreamIdempotence On', 'KafkaUpstreamAcks 1'),
    qr/KU00010: \QKafkaUpstreamIdempotence On needs KafkaUpstreamAcks all (it is 1)\E/m;
fails 'KafkaUpstreamIdempotence On with KafkaUpstreamRetries 0',
    complete('KafkaUpstreamIdempotence On', 'KafkaUpstreamRetries 0'),
    qr/KU00010: \QKafkaUpstreamIdempotence On needs KafkaUpstreamRetries above 0\E/m;
passes 'KafkaUpstreamIdempotence On', complete('KafkaUpstreamIdempotence On');

# Identity passthrough (README "Identity passthrough").
passes 'KafkaUpstreamIdentity Basic with a password mechanism',
    "KafkaUpstreamIdentityProducers 8 60\n"
    . complete('KafkaUpstreamSASLMechanism SCRAM-SHA-512', 'KafkaUpstreamIdentity Basic');
passes 'KafkaUpstreamIdentity Bearer', complete('KafkaUpstreamIdentity bearer');
fails 'KafkaUpstreamIdentity: a bad value', location('KafkaUpstreamIdentity Digest'),
    qr/^\QKafkaUpstreamIdentity: invalid value 'Digest': Off, Bearer or Basic is allowed\E$/m;
fails 'KafkaUpstreamIdentity Basic without a mechanism', complete('KafkaUpstreamIdentity Basic'),
    qr/KU00010: \QKafkaUpstreamIdentity Basic needs KafkaUpstreamSASLMechanism PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 in the section for \/x\E$/m;
fails 'KafkaUpstreamIdentity Bearer with a mechanism',
    complete('KafkaUpstreamIdentity Bearer', 'KafkaUpstreamSASLMechanism PLAIN'),
    qr/KU00010: \QKafkaUpstreamIdentity Bearer logs in with SASL OAUTHBEARER and the caller's token: KafkaUpstreamSASLMechanism PLAIN is not allowed with it\E/m;
fails 'KafkaUpstreamIdentity Basic with a configured user',
    complete('KafkaUpstreamIdentity Basic', 'KafkaUpstreamSASLMechanism PLAIN',
             'KafkaUpstreamSASLUser svc', 'KafkaUpstreamSASLPassword s3cr3t'),
    qr/KU00010: \QKafkaUpstreamIdentity Basic logs in with the caller's credentials: KafkaUpstreamSASLUser and KafkaUpstreamSASLPassword are not allowed with it\E/m;
fails 'KafkaUpstreamIdentity with the spool',
    "KafkaUpstreamSpool /tmp/ku-spool-a 16M\n"
    . complete('KafkaUpstreamIdentity Basic', 'KafkaUpstreamSASLMechanism PLAIN',
               'KafkaUpstreamSpool On'),
    qr/KU00010: \QKafkaUpstreamIdentity Basic and KafkaUpstreamSpool On: a caller's credentials never go to disk\E/m;
fails 'KafkaUpstreamIdentity with rest-v2',
    complete('KafkaUpstreamIdentity Bearer', 'KafkaUpstreamAPI rest-v2'),
    qr/KU00010: \QKafkaUpstreamIdentity Bearer works with KafkaUpstreamAPI kong only\E/m;
fails 'KafkaUpstreamIdentityProducers 0', "KafkaUpstreamIdentityProducers 0\n",
    qr/^\QKafkaUpstreamIdentityProducers: invalid value '0': a whole number from 1 to 4096 is allowed\E$/m;
fails 'KafkaUpstreamIdentityProducers: a bad idle time', "KafkaUpstreamIdentityProducers 4 0\n",
    qr/^\QKafkaUpstreamIdentityProducers: invalid idle time '0': 1 to 86400 seconds are allowed\E$/m;
fails 'KafkaUpstreamIdentityProducers in a Location', location('KafkaUpstreamIdentityProducers 4'),
    qr/KafkaUpstreamIdentityProducers not allowed in <Location> context/m;

# The spool (README "The spool"): one for the whole server, so its directory
# and KafkaUpstreamSpoolSync only in the main server config; a virtual host
# or a section says On or Off.
my $vhost = sub { section('<VirtualHost 127.0.0.1:8599>', '</VirtualHost>', @_) };
my $spool_dir_only = qr/^\QKafkaUpstreamSpool: a directory only in the main server config (one spool serves every virtual host); in a section On or Off\E$/m;
fails 'KafkaUpstreamSpool directory in <VirtualHost>',
    "KafkaUpstreamSpool /tmp/ku-spool-a 16M\n" . $vhost->('KafkaUpstreamSpool /tmp/ku-spool-b 16M'),
    $spool_dir_only;
fails 'KafkaUpstreamSpool directory in a Location', location('KafkaUpstreamSpool /tmp/ku-spool-b'),
    $spool_dir_only;
fails 'KafkaUpstreamSpoolSync in <VirtualHost>', $vhost->('KafkaUpstreamSpoolSync On'),
    qr/^\QKafkaUpstreamSpoolSync: only in the main server config (one spool serves every virtual host)\E$/m;
passes 'KafkaUpstreamSpool directory in the server config, On in <VirtualHost>',
    "KafkaUpstreamSpool /tmp/ku-spool-a 16M\nKafkaUpstreamSpoolSync On\n"
    . $vhost->('KafkaUpstreamBootstrapServers 127.0.0.1:9092', 'KafkaUpstreamTopic ku-config',
               'KafkaUpstreamSpool On');

# The schema registry (README: Schema Registry).
my @registry = ('KafkaUpstreamSchemaRegistry http://127.0.0.1:8081/apis/ccompat/v7/');
for my $url ('ftp://h/x', 'h:8081') {
    fails "KafkaUpstreamSchemaRegistry $url", location("KafkaUpstreamSchemaRegistry $url"),
        qr/^\QKafkaUpstreamSchemaRegistry: '$url' is not an http:\/\/ or https:\/\/ URL\E$/m;
}
fails 'KafkaUpstreamSchemaRegistry with a user', location('KafkaUpstreamSchemaRegistry http://u:p@h/'),
    qr/^KafkaUpstreamSchemaRegistry: 'http:\/\/u:p\@h\/': no query, fragment or user in the URL \(KafkaUpstreamSchemaRegistryAuth gives the user\)$/m;
for my $auth ('basic', 'digest ku s') {
    fails "KafkaUpstreamSchemaRegistryAuth $auth", location("KafkaUpstreamSchemaRegistryAuth $auth"),
        qr/^\QKafkaUpstreamSchemaRegistryAuth: 'none', 'basic USER SECRET' or 'oauth2 CLIENT_ID CLIENT_SECRET'\E$/m;
}
for my $auth ('basic ku', 'none ku', 'oauth2 ku') {
    fails "KafkaUpstreamSchemaRegistryAuth $auth", location("KafkaUpstreamSchemaRegistryAuth $auth"),
        qr/^\QKafkaUpstreamSchemaRegistryAuth takes one or three arguments, none, basic USER SECRET or oauth2 CLIENT_ID CLIENT_SECRET\E/m;
}
fails 'KafkaUpstreamSchemaRegistryAuth oauth2 client id with a colon',
    location('KafkaUpstreamSchemaRegistryAuth oauth2 a:b s'),
    qr/^\QKafkaUpstreamSchemaRegistryAuth: an OAuth2 client id has no ':'\E$/m;
fails 'KafkaUpstreamSchemaRegistryAuth oauth2 secret from an unset variable',
    location('KafkaUpstreamSchemaRegistryAuth oauth2 ku env:KU_NO_SUCH_VARIABLE'),
    qr/^\QKafkaUpstreamSchemaRegistryAuth: environment variable 'KU_NO_SUCH_VARIABLE' is not set or empty\E$/m;
fails 'KafkaUpstreamSchemaRegistryAuth oauth2 without a token endpoint',
    complete(@registry, 'KafkaUpstreamSchemaRegistryAuth oauth2 ku s'),
    qr/KU00010: \QKafkaUpstreamSchemaRegistryAuth oauth2 needs KafkaUpstreamSchemaRegistryOAuthTokenEndpoint\E/m;
for my $url ('ftp://idp/token', 'http://u:p@idp/token') {
    fails "KafkaUpstreamSchemaRegistryOAuthTokenEndpoint $url",
        location("KafkaUpstreamSchemaRegistryOAuthTokenEndpoint $url"),
        qr/^\QKafkaUpstreamSchemaRegistryOAuthTokenEndpoint: '$url'\E/m;
}
for my $dir (qw(KafkaUpstreamSchemaRegistryOAuthScope KafkaUpstreamSchemaRegistryOAuthAudience)) {
    fails "$dir with a quote", location(qq{$dir ok 'a"b'}),
        qr/^\Q$dir: invalid value 'a"b': printable ASCII without spaces\E/m;
}
passes 'KafkaUpstreamSchemaRegistryAuth oauth2, its endpoint, scopes and audiences',
    complete(@registry, 'KafkaUpstreamSchemaRegistryAuth oauth2 ku-client env:KU_TEST_PASSWORD',
             'KafkaUpstreamSchemaRegistryOAuthTokenEndpoint https://idp.example/token',
             'KafkaUpstreamSchemaRegistryOAuthScope schema.read schema.list',
             'KafkaUpstreamSchemaRegistryOAuthAudience registry',
             'KafkaUpstreamValueSchema orders-value');
passes 'KafkaUpstreamSchemaRegistryAuth none inside an oauth2 section',
    complete(@registry, 'KafkaUpstreamSchemaRegistryAuth oauth2 ku-client s',
             'KafkaUpstreamSchemaRegistryOAuthTokenEndpoint https://idp.example/token')
    . section('<Location /x/inner>', '</Location>', 'KafkaUpstreamSchemaRegistryAuth none');
fails 'KafkaUpstreamSchemaRegistryAuth user with a colon',
    location('KafkaUpstreamSchemaRegistryAuth basic a:b s'),
    qr/^\QKafkaUpstreamSchemaRegistryAuth: a basic auth user name has no ':'\E$/m;
fails 'KafkaUpstreamSchemaRegistryAuth secret from a missing file',
    location('KafkaUpstreamSchemaRegistryAuth basic ku file:/nonexistent/secret'),
    qr/^KafkaUpstreamSchemaRegistryAuth: .*\/nonexistent\/secret/m;
for my $dir (qw(KafkaUpstreamValueSchema KafkaUpstreamKeySchema)) {
    for my $version (qw(0 x 01 1234567890)) {
        fails "$dir s $version", location("$dir s $version"),
            qr/^\Q$dir: invalid version '$version': a number from 1, or latest\E$/m;
    }
    for my $message ('message=', 'message=.a', 'message=a..b', 'message=a.', 'message=a-b') {
        fails "$dir s latest $message", location("$dir s latest $message"),
            qr/^\Q$dir: '$message' is no Protobuf message name (pkg.Name)\E$/m;
    }
    fails "$dir s 1 msg=a", location("$dir s 1 msg=a"),
        qr/^\Q$dir: 'msg=a': the third argument is message=pkg.Name\E$/m;
    fails "$dir without the registry", complete("$dir s"),
        qr/KU00010: \QKafkaUpstreamValueSchema and KafkaUpstreamKeySchema need KafkaUpstreamSchemaRegistry\E/m;
}
for my $name ('bad name', 'a:b', 'x(y)') {
    fails "KafkaUpstreamSchemaRegistryHeader '$name'",
        location(qq{KafkaUpstreamSchemaRegistryHeader "$name" v}),
        qr/^\QKafkaUpstreamSchemaRegistryHeader: invalid header name '$name': letters, digits and \E/m;
}
for my $name (qw(Host Content-Length Authorization)) {
    fails "KafkaUpstreamSchemaRegistryHeader $name",
        location("KafkaUpstreamSchemaRegistryHeader $name v"),
        qr/^\QKafkaUpstreamSchemaRegistryHeader: the header $name is not the directive's to set\E/m;
}
fails 'KafkaUpstreamSchemaRegistryHeader value with a control character',
    location(qq{KafkaUpstreamSchemaRegistryHeader X-Key "a\tb\x01c"}),
    qr/^\QKafkaUpstreamSchemaRegistryHeader X-Key: the value must be printable ASCII, not empty, without leading or trailing spaces\E$/m;
fails 'KafkaUpstreamSchemaRegistryHeader value from a missing file',
    location('KafkaUpstreamSchemaRegistryHeader X-Key file:/nonexistent/secret'),
    qr/^KafkaUpstreamSchemaRegistryHeader: .*\/nonexistent\/secret/m;
fails 'KafkaUpstreamSchemaRegistryHeader value from an unset variable',
    location('KafkaUpstreamSchemaRegistryHeader X-Key env:KU_NO_SUCH_VARIABLE'),
    qr/^\QKafkaUpstreamSchemaRegistryHeader: environment variable 'KU_NO_SUCH_VARIABLE' is not set or empty\E$/m;
fails 'KafkaUpstreamSchemaRegistryCertificateKeyFile without a key',
    location("KafkaUpstreamSchemaRegistryCertificateKeyFile $files/cert.pem"),
    qr/^\QKafkaUpstreamSchemaRegistryCertificateKeyFile: '$files\/cert.pem' holds no unencrypted PEM private key\E$/m;
fails 'KafkaUpstreamSchemaRegistryCertificateFile without its key',
    complete(@registry, "KafkaUpstreamSchemaRegistryCertificateFile $files/cert.pem"),
    qr/KU00010: \QKafkaUpstreamSchemaRegistryCertificateFile and KafkaUpstreamSchemaRegistryCertificateKeyFile go together\E/m;
fails 'KafkaUpstreamSchemaRegistryCertificateFile with an http:// registry',
    complete(@registry, "KafkaUpstreamSchemaRegistryCertificateFile $files/cert.pem",
             "KafkaUpstreamSchemaRegistryCertificateKeyFile $files/key.pem"),
    qr/KU00010: \QKafkaUpstreamSchemaRegistryCertificateFile is set but KafkaUpstreamSchemaRegistry is not an https:\/\/ URL\E/m;
passes 'KafkaUpstreamSchemaRegistryHeader twice',
    location('KafkaUpstreamSchemaRegistryHeader target-sr-cluster lsrc-1',
             'KafkaUpstreamSchemaRegistryHeader X-Api-Key "k e y"');
fails 'KafkaUpstreamSchemaPayload xml', location('KafkaUpstreamSchemaPayload xml'),
    qr/^\QKafkaUpstreamSchemaPayload: invalid value 'xml': avro_json or simple_json is allowed\E$/m;
fails 'unreadable registry CA file',
    location('KafkaUpstreamSchemaRegistryCACertificateFile /nonexistent/ca.pem'),
    qr/^\QKafkaUpstreamSchemaRegistryCACertificateFile: cannot read '\/nonexistent\/ca.pem'\E/m;
passes 'every schema directive', complete(@registry, 'KafkaUpstreamSchemaRegistryTTL 60',
    'KafkaUpstreamSchemaRegistrySSLVerify Off', 'KafkaUpstreamSchemaRegistryAuth basic ku env:KU_TEST_PASSWORD',
    'KafkaUpstreamValueSchema orders-value 3', 'KafkaUpstreamKeySchema orders-key latest',
    'KafkaUpstreamSchemaPayload simple_json');
passes 'message= with and without a version', complete(@registry,
    'KafkaUpstreamValueSchema orders-value 2 message=shop.v1.Order_2',
    'KafkaUpstreamKeySchema orders-key message=Key');
passes 'KafkaUpstreamSchemaRegistryAuth none', complete(@registry, 'KafkaUpstreamSchemaRegistryAuth none',
    'KafkaUpstreamValueSchema orders-value');

# --- running apache2 -t ----------------------------------------------------

sub find_httpd {
    # Apache::Test knows it once t/TEST.PL configured the tree; asking it
    # before that makes it probe (slowly, noisily) for a configuration.
    if (-e "$t_dir/conf/apache_test_config.pm") {
        my $httpd = eval { Apache::Test::vars('httpd') };
        return $httpd if $httpd && -x $httpd;
    }
    for my $dir (File::Spec->path, '/usr/sbin', '/usr/local/sbin') {
        for my $name (qw(apache2 httpd)) {
            return "$dir/$name" if -f "$dir/$name" && -x _;
        }
    }
    return undef;
}

my $httpd = find_httpd();
my ($moddir) = grep { -e "$_/mod_mpm_event.so" }
    '/usr/lib/apache2/modules', '/usr/lib64/httpd/modules', '/usr/lib/httpd/modules';

my $tests = 2;
$tests += $_->{messages} ? 1 + @{ $_->{messages} } : 1 for @cases;
# Not a skip: the suite always has these, and a file that checks nothing
# must not pass. Dying fails the file, saying what is missing.
my %needs = ("$so (build it: make)" => -e $so,
             'apache2 or httpd'      => defined $httpd,
             'mod_mpm_event.so'      => defined $moddir);
my @missing = grep { !$needs{$_} } sort keys %needs;
die "t/10_config_errors.t: cannot check anything without @{[ join ', ', @missing ]}\n"
    if @missing;
plan tests => $tests;

my $tmp = tempdir('ku-config-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $base = config_check_base($t_dir, $so, $moddir, $tmp);

# Writes the config and runs `httpd -t -f` on it: (status, stdout+stderr).
my $conf_count = 0;
sub config_test {
    my ($text) = @_;
    my $conf = sprintf '%s/case%03d.conf', $tmp, ++$conf_count;
    open my $fh, '>', $conf or die "$conf: $!";
    print $fh $base, $text;
    close $fh or die "$conf: $!";

    my $pid = open my $out, '-|';
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        open STDERR, '>&', \*STDOUT or POSIX::_exit(127);
        { exec $httpd, '-t', '-f', $conf }
        print "cannot run $httpd: $!\n";
        POSIX::_exit(127);
    }
    my $output = do { local $/; <$out> } // '';
    close $out;
    my $status = $? == 0 ? 'exit 0' : $? & 127 ? 'signal ' . ($? & 127) : 'exit ' . ($? >> 8);
    return ($status, $output);
}

# The tables above are conf.h's X-macro lists.
{
    open my $fh, '<', $conf_h or die "$conf_h: $!";
    my $h = do { local $/; <$fh> };
    my ($num_list) = $h =~ /#define KU_NUM_DIRECTIVES\(X\)(.*?)\n\n/s;
    my ($flag_list) = $h =~ /#define KU_FLAG_DIRECTIVES\(X\)(.*?)\n\n/s;
    my @h_num;
    push @h_num, "$1 $3..$4"
        while ($num_list // '') =~ /X\(\w+,\s*"(\w+)",\s*(-?\d+),\s*(-?\d+),\s*(-?\d+),/g;
    ok t_cmp(join(', ', map { "$_->[0] $_->[1]..$_->[2]" } @numeric), join(', ', @h_num),
             'the numeric table is KU_NUM_DIRECTIVES of conf.h');
    ok t_cmp(join(', ', @flags), join(', ', ($flag_list // '') =~ /X\(\w+,\s*"(\w+)"/g),
             'the flag table is KU_FLAG_DIRECTIVES of conf.h');
}

for my $case (@cases) {
    my ($status, $output) = config_test($case->{conf});
    my @results;
    if (!$case->{messages}) {
        push @results, ok t_cmp("$status: $output", "exit 0: Syntax OK\n", "$case->{name}: passes");
    }
    else {
        push @results, ok t_cmp($status, 'exit 1', "$case->{name}: fails");
        push @results, ok t_cmp($output, $_, "$case->{name}: message") for @{ $case->{messages} };
    }
    # Enough to see what went wrong without -verbose.
    if (grep { !$_ } @results) {
        (my $said = "config:\n$case->{conf}$httpd -t said ($status):\n$output") =~ s/^/# /mg;
        print STDERR $said;
    }
}

