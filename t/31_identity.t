# SPDX-License-Identifier: Apache-2.0
# Identity passthrough (README "Identity passthrough"): Locations that
# produce as the caller, against a Kafka 4.1.1 broker of this test's own with
# StandardAuthorizer and ACLs (t/kafka/identity-broker.sh: alice and the
# pool's users may write ku-orders, carol only describe it, bob nothing).
# Basic credentials become a SASL PLAIN (and, with librdkafka 2.6.1 or later,
# SCRAM) login: alice's record is read back as the admin; bob gets 403, and
# carol too, even in an async Location, where her first request waits for
# its record's delivery report (and so do her later ones, her topic never
# being written); a wrong password and no credentials 401 with
# WWW-Authenticate, our own allow-list 403 before Kafka is asked, and none
# of them produces anything. 40 callers share a pool of
# 4 producers per child: every one answered 200, least recently used ones
# closed; 24 concurrent new callers get only 401 or 503 + Retry-After. Where
# the OAuth server runs (the librdkafka 2.15.1 pass, KU_OAUTH_ISSUER), Bearer
# tokens: ku-client's 200, ku-short's 403, a forged signature and a token
# signed by another key 401 even right after the real one's producer is
# warm, an expired one 401 at once. No password or token reaches the error
# log or the status page, not even with librdkafka's debug output on and
# LogLevel kafka_upstream:trace8 (the secure virtual host,
# t/conf/secure-vhost.inc, where a caller's producer logs in once more).
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use Apache::TestRequest qw(GET);
use HTTP::Request ();
use LWP::UserAgent ();
use MIME::Base64 qw(encode_base64 encode_base64url decode_base64url);
use Digest::SHA qw(hmac_sha256);
use POSIX ();
use File::Temp ();
use Time::HiRes qw(time sleep);
use lib 't/lib';
use KafkaTest;
use HttpdLog;

my $oauth = !!$ENV{KU_OAUTH_ISSUER};
my $admin = $ENV{KU_IDENTITY_BROKER};
my $top = Apache::Test::vars('top_dir');

# The librdkafka the module runs on: SCRAM to Kafka 4 needs 2.6.1.
my $librdkafka = eval { json->decode(GET('/ku-status')->content)->{librdkafka} }
    // die "the status page /ku-status does not name the librdkafka\n";
my $scram = sprintf('%03d%03d%03d', split /\./, $librdkafka) ge '002006001';

plan tests => 39 + ($scram ? 6 : 0) + ($oauth ? 16 : 0),
    need { 'KU_IDENTITY_BROKER is not set (t/run-tests.sh sets it)' => !!$admin };

my $from = log_size();
system('bash', "$top/t/kafka/identity-broker.sh", 'start') == 0
    or die "t/kafka/identity-broker.sh start failed\n";
END { system('bash', "$top/t/kafka/identity-broker.sh", 'stop') if $admin }

my $ua = LWP::UserAgent->new(timeout => 30);
my $base = 'http://' . Apache::Test::vars('remote_addr') . ':' . Apache::Test::vars('port');

sub post {
    my ($path, $auth, $body) = @_;
    my $req = HTTP::Request->new(POST => "$base$path", ['Content-Type' => 'text/plain'],
                                 $body // 'x');
    $req->header(Authorization => $auth) if defined $auth;
    return $ua->request($req);
}
sub basic { 'Basic ' . encode_base64("$_[0]:$_[1]", '') }
sub offset { end_offset($_[0] // 'ku-orders', 0, $admin) }
sub error_of { eval { json->decode($_[0]->content)->{error} } // $_[0]->content }

# --- Basic -> SASL PLAIN -------------------------------------------------------------

my $start = offset();
my $res = post('/identity/plain', basic('alice', 'alice-secret'), 'from alice');
ok t_cmp($res->code, 200, 'alice: 200');
my $rec = consume_one('ku-orders', $start, timeout => 10, broker => $admin);
ok t_cmp(decode_value($rec)->{body}, 'from alice', "alice's record is in Kafka");

$start = offset();
$res = post('/identity/plain', basic('bob', 'bob-secret'), 'from bob');
ok t_cmp($res->code, 403, 'bob, whom the ACLs let write nothing: 403');
ok t_cmp(error_of($res), 'Kafka does not let the caller write to topic ku-orders',
         'bob is told why');
$res = post('/identity/plain', basic('alice', 'wrong-secret-1'), 'wrong password');
ok t_cmp($res->code, 401, 'a wrong password: 401');
ok t_cmp($res->header('WWW-Authenticate'), 'Basic realm="Kafka"', 'with WWW-Authenticate');
$res = post('/identity/plain', undef, 'nobody');
ok t_cmp($res->code, 401, 'no credentials: 401');
ok t_cmp($res->header('WWW-Authenticate'), 'Basic realm="Kafka"', 'with WWW-Authenticate');
$res = post('/identity/plain', 'Basic !!!', 'garbage');
ok t_cmp($res->code, 401, 'credentials that are not base64: 401');
# Our allow-list first: ku-secret is not on it, whoever asks.
$res = post('/identity/plain?topic=ku-secret', basic('alice', 'alice-secret'), 'listed?');
ok t_cmp($res->code, 403, 'a topic off KafkaUpstreamAllowedTopics: 403');
ok t_cmp(error_of($res), 'topic not allowed', 'our own refusal, before Kafka is asked');
# On the allow-list, but alice has no ACL for ku-other.
$res = post('/identity/plain?topic=ku-other', basic('alice', 'alice-secret'), 'other');
ok t_cmp($res->code, 403, "a listed topic alice's ACLs do not cover: 403");
ok t_cmp(offset(), $start, 'none of the refused requests produced anything');
ok t_cmp(offset('ku-other'), 0, 'nor to ku-other');

# Async: a warm caller is answered once queued; its records arrive.
$start = offset();
my @async = map { post('/identity/plain-async', basic('alice', 'alice-secret'), "async $_")->code }
    1 .. 5;
ok t_cmp("@async", '200 200 200 200 200', 'async: five 200s');
my @recs = consume('ku-orders', $start, 5, timeout => 10, broker => $admin);
ok t_cmp(scalar(@recs), 5, 'and five records in Kafka');
$res = post('/identity/plain-async', basic('bob', 'bob-secret'), 'async bob');
ok t_cmp($res->code, 403, "async: bob's first request waits for Kafka's verdict: 403");

# carol may see ku-orders but not write it: only her record's delivery
# report says so, and her first request to it waits for that report.
$start = offset();
my $carol_from = log_size();
$res = post('/identity/plain-async', basic('carol', 'carol-secret'), 'async carol');
ok t_cmp($res->code, 403, 'async: carol, who may describe ku-orders but not write it: 403');
ok t_cmp(error_of($res), 'Kafka does not let the caller write to topic ku-orders',
         'carol is told why');
$res = post('/identity/plain-async', basic('carol', 'carol-secret'), 'async carol again');
ok t_cmp($res->code, 403, 'and again: a refused topic is never remembered as written');
$res = post('/identity/plain', basic('carol', 'carol-secret'), 'sync carol');
ok t_cmp($res->code, 403, 'sync: carol 403 too');
ok t_cmp(offset(), $start, "none of carol's records is in Kafka");

# --- the pool: 40 callers, 4 producers per child ------------------------------------

sub identity_status { json->decode(GET('/ku-status')->content)->{identity} // {} }
my $before = identity_status();
ok t_cmp($before->{producers_per_child}, 4, 'the status page shows the pool (KafkaUpstreamIdentityProducers)');
my $pool_from = log_size();
$start = offset();
my @codes = map { post('/identity/plain', basic(sprintf('pool%02d', $_),
                                                 sprintf('pool-secret-%02d', $_)), "pool $_")->code }
    1 .. 40;
ok t_cmp(join(' ', grep { $_ != 200 } @codes), '', '40 callers one after another: all 200');
ok t_cmp(offset() - $start, 40, 'their 40 records are in Kafka');
my @closed = grep { /KU00005: producer \/identity\/plain \(.*\) as a caller closed/ }
    log_lines_since($pool_from);
my %children = map { /\[pid (\d+)/ ? ($1 => 1) : () } log_lines_since($pool_from);
my $kids = keys %children || 1;
ok t_cmp(scalar(@closed) >= 40 - 4 * $kids ? 'bounded' : scalar(@closed) . " closed, $kids children",
         'bounded', 'least recently used producers closed: at most 4 open per child');

# 24 new callers at once, each with a wrong password: each first request holds
# a producer until the broker refuses it; beyond 4 per child, 503.
my @pids;
my $dir = File::Temp::tempdir(CLEANUP => 1);
for my $i (1 .. 24) {
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        my $r = post('/identity/plain', basic(sprintf('pool%02d', $i), "wrong-secret-$i"), 'x');
        open my $fh, '>', "$dir/$i" or POSIX::_exit(1);
        print $fh $r->code, ' ', ($r->header('Retry-After') // '-'), "\n";
        close $fh;
        POSIX::_exit(0);
    }
    push @pids, $pid;
}
waitpid $_, 0 for @pids;
my @answers = map { open my $fh, '<', "$dir/$_" or die "$dir/$_: $!"; scalar <$fh> } 1 .. 24;
chomp @answers;
ok t_cmp(join(' ', grep { !/^(401 -|503 1)$/ } @answers), '',
         'concurrent new callers: 401, or 503 with Retry-After when every producer is busy');
ok t_cmp(offset() - $start, 40, 'nothing produced by them');
my $after = identity_status();
ok t_cmp($after->{made} - $before->{made} >= 40 ? 'made' : $after->{made} - $before->{made},
         'made', 'the status page counts the producers made for them');
ok t_cmp($after->{busy_refusals} - $before->{busy_refusals}, scalar(grep { /^503/ } @answers),
         'and each 503 of a busy pool');

# --- SCRAM (librdkafka 2.6.1 or later) -------------------------------------------------

if ($scram) {
    for my $m (qw(scram-256 scram-512)) {
        $start = offset();
        $res = post("/identity/$m", basic('alice', 'alice-scram'), "$m alice");
        ok t_cmp($res->code, 200, "$m: alice 200");
        ok t_cmp(offset() - $start, 1, "$m: her record is in Kafka");
        $res = post("/identity/$m", basic('bob', 'bob-scram'), "$m bob");
        ok t_cmp($res->code, 403, "$m: bob 403");
    }
}

# --- Bearer -> SASL OAUTHBEARER ------------------------------------------------------

sub token {
    my ($client, $secret) = @_;
    my $r = $ua->post($ENV{KU_OAUTH_TOKEN_URL}, { grant_type => 'client_credentials' },
                      Authorization => basic($client, $secret));
    return eval { json->decode($r->content)->{access_token} }
        // die "no token for $client: " . $r->status_line . "\n";
}
my @tokens;
if ($oauth) {
    my $good = token('ku-client', 'ku-secret-1');
    my $short = token('ku-short', 'ku-short-secret');
    push @tokens, $good, $short;
    $start = offset();
    $res = post('/identity/bearer', "Bearer $good", 'from ku-client');
    ok t_cmp($res->code, 200, 'Bearer ku-client: 200');
    $rec = consume_one('ku-orders', $start, timeout => 10, broker => $admin);
    ok t_cmp(decode_value($rec)->{body}, 'from ku-client', "ku-client's record is in Kafka");
    $res = post('/identity/bearer', "Bearer $short", 'from ku-short');
    ok t_cmp($res->code, 403, 'Bearer ku-short, whom the ACLs let write nothing: 403');

    # Forged right after the real owner's producer is warm: its signature
    # changed, and the same claims signed by another key.
    my ($h, $p, $s) = split /\./, $good;
    my $bad_sig = "$h.$p." . encode_base64url(scalar reverse decode_base64url($s));
    die "the forged signature is the real one\n" if $bad_sig eq $good;
    my $hs_head = encode_base64url(json->encode({ alg => 'HS256', typ => 'JWT' }));
    my $other_key = "$hs_head.$p";
    $other_key .= '.' . encode_base64url(hmac_sha256($other_key, 'not-the-issuers-key'));
    $start = offset();
    for ([$bad_sig, 'a forged signature'], [$other_key, "ku-client's sub signed by another key"]) {
        my ($forged, $what) = @$_;
        $res = post('/identity/bearer', "Bearer $forged", 'forged');
        ok t_cmp($res->code, 401, "$what: 401");
        ok t_cmp($res->header('WWW-Authenticate') // '', qr/^Bearer realm="Kafka", error="invalid_token"$/,
                 "$what: WWW-Authenticate");
    }
    $res = post('/identity/bearer', "Bearer $good", 'ku-client again');
    ok t_cmp($res->code, 200, 'the real token still works');
    ok t_cmp(offset() - $start, 1, 'only its record arrived');

    # Expired: exp in the past (the broker would refuse it; it is refused at once).
    my $claims = json->decode(decode_base64url($p));
    $claims->{exp} = time - 60;
    my $expired = "$h." . encode_base64url(json->encode($claims)) . ".$s";
    $res = post('/identity/bearer', "Bearer $expired", 'expired');
    ok t_cmp($res->code, 401, 'an expired token: 401');
    $res = post('/identity/bearer', undef, 'none');
    ok t_cmp($res->code, 401, 'no token: 401');
    ok t_cmp($res->header('WWW-Authenticate'), 'Bearer realm="Kafka"', 'WWW-Authenticate: Bearer');
    $res = post('/identity/bearer', 'Bearer not-a-jwt', 'garbage');
    ok t_cmp($res->code, 401, 'a token that is no JWT: 401');
}

# --- librdkafka's debug output at trace8 (the secure virtual host) -------------------

my $secure = "http://127.0.0.1:$ENV{KU_SECURE_PORT}";
sub post_debug {
    my ($path, $auth, $body) = @_;
    my $req = HTTP::Request->new(POST => "$secure$path", ['Content-Type' => 'text/plain'], $body);
    $req->header(Authorization => $auth);
    return $ua->request($req);
}
my ($sasl_port) = $ENV{KU_IDENTITY_BROKER_SASL} =~ /:(\d+)$/;
my ($oauth_port) = $ENV{KU_IDENTITY_BROKER_OAUTH} =~ /:(\d+)$/;
my $debug_from = log_size();
$start = offset();
$res = post_debug('/identity-debug/plain', basic('alice', 'alice-debug-secret'), 'debug alice');
ok t_cmp($res->code, 401, 'debug on: a wrong password still 401');
$res = post_debug('/identity-debug/plain', basic('alice', 'alice-secret'), 'debug alice');
ok t_cmp($res->code, 200, 'debug on: alice 200');
ok t_cmp(offset() - $start, 1, 'debug on: her record is in Kafka');
my @debug_secrets = ('alice-debug-secret', 'alice-secret');
if ($oauth) {
    my $token = token('ku-client', 'ku-secret-1');
    $res = post_debug('/identity-debug/bearer', "Bearer $token", 'debug ku-client');
    ok t_cmp($res->code, 200, 'debug on: Bearer ku-client 200');
    ok t_cmp(offset() - $start, 2, "debug on: ku-client's record is in Kafka");
    push @debug_secrets, $token, (split /\./, $token)[2];
    push @tokens, $token;
}
# librdkafka's debug lines (level debug, not its FAIL lines) of the
# callers' producers' logins: the identity broker's ports are only theirs.
my @debug = grep { /\[kafka_upstream:debug\].*KU00004: librdkafka SASL\w*: / }
    log_lines_since($debug_from);
ok t_cmp(scalar(grep { /:$sasl_port\b/ } @debug) > 0 ? 'logged' : 'none', 'logged',
         "the Basic callers' producer logged librdkafka's SASL debug lines");
if ($oauth) {
    ok t_cmp(scalar(grep { /:$oauth_port\b/ } @debug) > 0 ? 'logged' : 'none',
             'logged', "the Bearer caller's producer logged librdkafka's SASL debug lines");
}
my $debug_log = log_since($debug_from);
ok t_cmp(join(' ', map { $_ eq 'alice-secret' || $_ eq 'alice-debug-secret' ? $_ : 'a token' }
                   grep { index($debug_log, $_) >= 0 } @debug_secrets), '',
         'debug on, trace8: no password, token or signature in the error log');

# --- no secret in the log or on the status page --------------------------------------

my @secrets = ('alice-secret', 'bob-secret', 'carol-secret', 'wrong-secret-1', 'pool-secret-07',
               'wrong-secret-5', 'alice-scram', map { (split /\./)[2] } @tokens);
my $log = log_since($from);
my $status = GET('/ku-status')->content;
ok t_cmp(join(' ', grep { index($log, $_) >= 0 } @secrets), '', 'no secret in the error log');
ok t_cmp(join(' ', grep { index($status, $_) >= 0 } @secrets), '', 'nor on the status page');
ok t_cmp(scalar(() = $log =~ /KU00076: caller refused with 401: the brokers refused/g) > 0
         ? 'logged' : 'none', 'logged', 'the refusals were logged (the log was read)');
# Checked last, long after her requests: the old code logged it once the
# record it had answered 200 for was refused, after the Location's linger.
ok t_cmp(join(' ', grep { /KU00075/ } log_lines_since($carol_from)), '',
         'no record of carol was accepted and refused later (KU00075)');
