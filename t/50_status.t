# SPDX-License-Identifier: Apache-2.0
# The status page (README "Status page"): counters move as requests are made and agree
# with what reached Kafka, rejections are counted by reason, the page sums
# every child (not only the one answering), Prometheus text parses, and no
# secret of the secured virtual host's producers shows.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use Apache::TestRequest qw(GET POST);
use FindBin;
use IO::Socket::INET ();
use Time::HiRes ();
use lib 't/lib';
use KafkaTest;
use HttpdLog;

my @secrets = qw(alice-secret bob-secret-256 carol-secret-512 wrong-secret-plain
                 wrong-secret-scram mallory-secret);

plan tests => 46 + 2 * @secrets, need_lwp;

my $async = qr{^/status-async \(status };
my $sync = qr{^/status-sync \(status-sync };

sub status {
    my $res = GET '/ku-status';
    die 'status page: ' . $res->code . ' ' . $res->content unless $res->code == 200;
    return json->decode($res->content);
}

sub producer {
    my ($st, $re) = @_;
    # Virtual hosts (the secured one; in the librdkafka 2.15.1 pass also the
    # token and OAuth ones) inherit these sections: the main server's.
    my $port = Apache::Test::vars('port');
    my @p = grep { $_->{name} =~ $re && $_->{server} =~ /:\Q$port\E$/ } @{ $st->{producers} };
    die "no single producer $re in the status page: " . join(", ", map { $_->{name} } @{ $st->{producers} }) unless @p == 1;
    return $p[0];
}

# Polls the page until $done->(page) holds, for at most $timeout s; the
# last page either way.
sub status_until {
    my ($done, $timeout) = @_;
    my $st;
    for (1 .. $timeout * 5) {
        $st = status();
        return $st if $done->($st);
        select undef, undef, undef, 0.2;
    }
    return $st;
}

sub post { POST($_[0], content => $_[1], 'Content-Type' => $_[2] // 'text/plain') }

my $topic = 'ku-defaults';
my $n = 6;

# --- accepted and delivered agree with Kafka ------------------------------------
my $before = producer(status(), $async);
my $offset = end_offset($topic);
my $sent_at = Time::HiRes::time();
my @codes = map { post('/status-async', "status-$_")->code } 1 .. $n;
ok t_cmp("@codes", join(' ', (200) x $n), "$n messages accepted");
my @records = consume($topic, $offset, $n);
ok t_cmp(scalar(grep { ($_->{payload} // '') =~ /"status-\d"/ } @records), $n,
         "all $n reached Kafka");
my $after = producer(status_until(sub {
    producer($_[0], $async)->{delivered} >= $before->{delivered} + $n }, 20), $async);
# Every one was delivered between the first send and this page: no latency
# can be longer than that.
my $took_ms = (Time::HiRes::time() - $sent_at) * 1000;
ok t_cmp($after->{accepted} - $before->{accepted}, $n, 'accepted counts them');
ok t_cmp($after->{delivered} - $before->{delivered}, $n,
         'delivered counts them, as many as reached Kafka');
ok t_cmp($after->{failed} - $before->{failed}, 0, 'none failed');
ok t_cmp($after->{latency_ms}{count} - $before->{latency_ms}{count}, $n,
         'a delivery latency for each');
ok t_cmp($after->{latency_ms}{buckets}{'+Inf'}, $after->{latency_ms}{count},
         'the +Inf bucket holds every delivery');
# p50 and p99 are the upper bound of the first bucket whose cumulative
# count reaches that share of the deliveries, "+Inf" beyond the last bound
# (README "Status page"): worked out here from the same page's buckets.
sub quantile_of {
    my ($lat, $q) = @_;
    for my $le (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000) {
        return $le if ($lat->{buckets}{$le} // 0) >= $q * $lat->{buckets}{'+Inf'};
    }
    return '+Inf';
}
ok t_cmp(($after->{latency_ms}{p50} // 'none') . ' ' . ($after->{latency_ms}{p99} // 'none'),
         quantile_of($after->{latency_ms}, 0.5) . ' ' . quantile_of($after->{latency_ms}, 0.99),
         'p50 and p99 are the buckets that hold them');
# The p99 of these $n deliveries alone (the buckets' growth): a bucket no
# higher than the first bound at or above the time they all took.
my %grown = (buckets => { map { $_ => ($after->{latency_ms}{buckets}{$_} // 0)
                                     - ($before->{latency_ms}{buckets}{$_} // 0) }
                          keys %{ $after->{latency_ms}{buckets} } });
my $p99 = quantile_of(\%grown, 0.99);
my ($ceiling) = (grep({ $_ >= $took_ms } 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000,
                      10000), '+Inf');
t_debug(sprintf 'p99 of the %d: %s ms; they took %.0f ms (bucket %s)', $n, $p99, $took_ms,
        $ceiling);
ok t_cmp($p99 ne '+Inf' && $ceiling ne '+Inf' && $p99 <= $ceiling ? 'sane' : "p99 $p99 ms, "
         . sprintf('all delivered within %.0f ms', $took_ms), 'sane',
         "the p99 of the $n deliveries is no longer than they all took");

# --- rejected, by reason ----------------------------------------------------------
$before = $after;
ok t_cmp(post('/status-async', 'x' x 100)->code, 413, 'too large');
ok t_cmp(post('/status-async?topics=ku-secret', 'x')->code, 403, 'topic not allowed');
ok t_cmp(post('/status-async', '{"a":', 'application/json')->code, 400, 'bad JSON');
$after = producer(status(), $async);
ok t_cmp(join(' ', map { $after->{rejected}{$_} - $before->{rejected}{$_} }
                   qw(too_large topic_not_allowed bad_request queue_full unavailable)),
         '1 1 1 0 0', 'each rejection counted under its reason');
ok t_cmp($after->{accepted}, $before->{accepted}, 'rejections are not accepted');
ok t_cmp(join(' ', map { $after->{requests}{$_} - $before->{requests}{$_} } qw(kong rest-v2 rest-v3)),
         '3 0 0', 'requests: each counted as kong, its Location\'s dialect');

# --- requests by dialect (KafkaUpstreamAPI) ------------------------------------------
{
    my $rest2 = qr{^/status-rest2 \(status-rest2 };
    my $rest3 = qr{^/status-rest3 \(status-rest3 };
    my $v2_was = producer(status(), $rest2);
    my $v2_before = $v2_was->{requests};
    my $offset = end_offset($topic);
    my $res = post('/status-rest2/topics/ku-defaults', '{"records":[{"value":"status-v2"}]}',
                   'application/vnd.kafka.json.v2+json');
    ok t_cmp($res->code, 200, 'rest-v2: a record produced');
    ok t_cmp(post('/status-rest2/topics/ku-defaults', 'x')->code, 415, 'rest-v2: text/plain refused');
    my $v2 = producer(status(), $rest2);
    ok t_cmp(join(' ', map { $v2->{requests}{$_} - $v2_before->{$_} } qw(kong rest-v2 rest-v3)),
             '0 2 0', 'rest-v2: both requests counted under rest-v2');
    ok t_cmp(join(' ', map { $v2->{rejected}{$_} - $v2_was->{rejected}{$_} } qw(other bad_request)),
             '1 0', 'rest-v2: the 415 is rejected as other, as under rest-v3');
    my $v3_before = producer(status(), $rest3)->{requests};
    my $list = GET '/status-rest3/v3/clusters';
    my $cluster = eval { json->decode($list->content)->{data}[0]{cluster_id} } // 'none';
    $res = POST("/status-rest3/v3/clusters/$cluster/topics/ku-defaults/records",
                content => '{"value":{"type":"STRING","data":"status-v3"}}',
                'Content-Type' => 'application/json');
    ok t_cmp(($res->code) . ' ' . (eval { json->decode($res->content)->{error_code} } // 'none'),
             '200 200', 'rest-v3: a record produced');
    my @got = map { $_->{payload} // '' } consume($topic, $offset, 2);
    ok t_cmp("@got", '"status-v2" status-v3', 'rest-v2 and rest-v3: both records reached Kafka');
    ok t_cmp(GET('/status-rest3/v3/clusters/nope')->code, 404, 'rest-v3: a wrong cluster id');
    my $v3 = producer(status(), $rest3)->{requests};
    ok t_cmp(join(' ', map { $v3->{$_} - $v3_before->{$_} } qw(kong rest-v2 rest-v3)), '0 0 3',
             'rest-v3: the three requests counted under rest-v3');
    my $prom = GET('/ku-status?format=prometheus')->content;
    my $port = Apache::Test::vars('port');
    my ($line) = $prom =~ /^kafka_upstream_requests_total\{producer="\/status-rest3 [^"]*",server="[^"]*:\Q$port\E",api="rest-v3"\} (\d+)$/m;
    ok t_cmp($line // 'none', $v3->{'rest-v3'}, 'Prometheus: kafka_upstream_requests_total by api');
}

my $st = status();
ok t_cmp(GET('/no-topic')->code, 500, 'misconfigured location');
ok t_cmp(status()->{misconfigured_requests} - $st->{misconfigured_requests}, 1,
         'counted as misconfigured');

# --- sync: delivered before the answer ------------------------------------------------
$before = producer(status(), $sync);
ok t_cmp(post('/status-sync', 'sync')->code, 200, 'sync message acknowledged');
$after = producer(status(), $sync);
ok t_cmp(($after->{accepted} - $before->{accepted}) . ' ' .
         ($after->{delivered} - $before->{delivered}), '1 1',
         'a sync answer comes after its delivery was counted');

# --- every child counted, not only the one answering ------------------------------
# One keep-alive connection asks for the page twice; in between, requests
# on new connections. Under prefork the child holding that connection can
# serve nothing else, so it answers the second time with counts only the
# other children made.
{
    my $hostport = Apache::Test::vars('remote_addr') . ':' . Apache::Test::vars('port');
    my $sock = IO::Socket::INET->new(PeerAddr => $hostport, Timeout => 30)
        or die "connect $hostport: $!";
    binmode $sock;
    my $ask = sub {
        $sock->print("GET /ku-status HTTP/1.1\r\nHost: localhost\r\n\r\n");
        my ($len, $line) = (0);
        while (defined($line = <$sock>) && $line !~ /^\r?\n$/) {
            $len = $1 if $line =~ /^Content-Length:\s*(\d+)/i;
        }
        read($sock, my $body, $len) == $len or die 'short status page';
        return json->decode($body);
    };
    my $first = $ask->();
    my $m = 4;
    post('/status-async', "elsewhere-$_") for 1 .. $m;
    my $second = $ask->();
    close $sock;
    ok t_cmp($second->{pid}, $first->{pid}, 'the same child answered both times');
    ok t_cmp(producer($second, $async)->{accepted} - producer($first, $async)->{accepted},
             $m, 'the page counts what other connections (other children) did');
    ok t_cmp($second->{processes} >= 1 ? 1 : 0, 1, 'live children are counted');
}

# --- broker states, from librdkafka's statistics -----------------------------------
$st = status_until(sub {
    grep { ($_->{states}{UP} // 0) > 0 } @{ producer($_[0], $async)->{brokers} } }, 20);
ok t_cmp(scalar(grep { ($_->{states}{UP} // 0) > 0 } @{ producer($st, $async)->{brokers} }) > 0
         ? 1 : 0, 1, 'a broker is UP');

# --- Prometheus text ------------------------------------------------------------
my $res = GET '/ku-status?format=prometheus';
ok t_cmp($res->header('Content-Type'), qr{^text/plain; version=0\.0\.4}, 'Prometheus content type');
my @bad = grep { !/^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* \S/
                 && !/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_]\w*="(\\.|[^"\\])*",?)*\})? [-+]?(\d+(\.\d+)?([eE][-+]?\d+)?|\+Inf)$/ }
          split /\n/, $res->content;
ok t_cmp("@bad", '', 'every line is a sample, # HELP or # TYPE');
my $json = producer(status(), $async);
my ($name, $server) = map { s/(["\\])/\\$1/gr } @$json{qw(name server)};
# The librdkafka the module runs on: the one t/run-tests.sh (or t/tokens.sh)
# built it against, KU_RDKAFKA_VERSION.
my $want_rdkafka = $ENV{KU_RDKAFKA_VERSION} // 'KU_RDKAFKA_VERSION unset';
ok t_cmp(status()->{librdkafka}, $want_rdkafka, 'the JSON page names the librdkafka');
# The suite's builds link it as a shared library; only the Debian package
# bundles it (t/package.sh checks "bundled").
ok t_cmp(status()->{librdkafka_linkage}, 'shared', 'and says it is a shared library');
ok t_cmp([$res->content =~ /^kafka_upstream_librdkafka_info\{version="([^"]*)",linkage="([^"]*)"\} 1$/m],
         [$want_rdkafka, 'shared'], 'so does the Prometheus page');
# ?format is read as every query argument (README "Status page"): a name
# decoded as uri_args shows it, a value that cannot be decoded is a 400.
ok t_cmp(GET('/ku-status?form%61t=prometheus')->content, qr/^kafka_upstream_processes \d+$/m,
         '?form%61t=prometheus is ?format=prometheus');
ok t_cmp(GET('/ku-status?format=prometheus%zz')->code, 400,
         'a format argument that cannot be decoded: 400');
# The module's own version: AC_INIT's in configure.ac, in the startup notice
# and on both pages (httpd's headers define an empty PACKAGE_VERSION).
my $want_version = do {
    open my $fh, '<', "$FindBin::Bin/../configure.ac" or die "configure.ac: $!";
    my ($v) = join('', <$fh>) =~ /^AC_INIT\(\[mod_kafka_upstream\], \[([^\]]+)\]/m;
    $v // die 'no version in configure.ac';
};
ok t_cmp(status()->{mod_kafka_upstream}, $want_version, 'the JSON page names the module version');
ok t_cmp(($res->content =~ /^kafka_upstream_module_info\{version="([^"]*)"\} 1$/m)[0],
         $want_version, 'so does the Prometheus page');
ok t_cmp((log_since(0) =~ /KU00060: (mod_kafka_upstream [^,]*),/)[0],
         "mod_kafka_upstream $want_version", 'KU00060 names the module version');
ok t_cmp(($res->content =~ /^kafka_upstream_messages_accepted_total\{producer="\Q$name\E",server="\Q$server\E"\} (\d+)$/m)[0],
         $json->{accepted}, 'Prometheus and JSON agree');

# --- no secret ----------------------------------------------------------------------
my $page = GET('/ku-status')->content;
ok t_cmp($page, qr{"name":"/sasl/plain \(}, 'the secured producers are listed');
for my $secret (@secrets) {
    ok t_cmp(index($page, $secret), -1, "no '$secret' in the JSON page");
    ok t_cmp(index($res->content, $secret), -1, "no '$secret' in the Prometheus page");
}

# --- per-request error lines are rate-limited (README "Log rate limits") ------------
{
    my $from = log_size();
    my $k = 80;
    # Logged lines plus the held-back counts of every child's window.
    my $told = sub {
        my $log = log_since($from);
        my $lines = () = $log =~ /KU00008: /g;
        my $held = 0;
        $held += $1 while $log =~ /KU00016: (\d+) KU00008 line\(s\) were not logged/g;
        return ($lines, $held);
    };
    GET('/no-topic') for 1 .. $k;
    my ($lines, $held);
    for (1 .. 250) {    # each child tells its count when its 10 s window ends
        ($lines, $held) = $told->();
        last if $lines + $held >= $k;
        select undef, undef, undef, 0.1;
    }
    ok t_cmp($lines < $k ? 1 : 0, 1, "not $k KU00008 lines for $k requests ($lines)");
    ok t_cmp($lines + $held, $k, 'logged plus told-as-held-back makes every request');
}
