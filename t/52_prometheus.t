# SPDX-License-Identifier: Apache-2.0
# contrib/ checked by the real tools (README "Dashboards and alerts"):
# promtool checks the alerting rules and runs their unit tests, lints the
# status page's Prometheus output; then a real Prometheus, started here on
# loopback (KU_TEST_PORT + 80) and stopped at the end, scrapes this httpd
# while requests arrive, loads the rules (all healthy), and every query of
# the Grafana dashboard (read out of its JSON) and every alert expression
# returns data: its comparisons made `bool`, an alert that does not fire
# still yields a 0 for each series, so a misspelt metric or label yields
# nothing and fails.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use Apache::TestRequest qw(GET POST);
use File::Temp qw(tempdir);
use LWP::UserAgent ();
use URI ();
use Time::HiRes qw(time sleep);
use lib 't/lib';
use KafkaTest;

my $top = Apache::Test::vars('top_dir');
my $rules = "$top/contrib/prometheus/kafka-upstream-rules.yml";
my $rule_tests = "$top/contrib/prometheus/kafka-upstream-rules.test.yml";
my $dashboard = json->decode(do {
    open my $fh, '<', "$top/contrib/grafana/kafka-upstream-dashboard.json" or die "dashboard: $!";
    local $/;
    <$fh>;
});
my @queries = map { my $p = $_; map { [$p->{title}, $_->{expr}] } @{ $p->{targets} } }
              @{ $dashboard->{panels} };
my @variables = @{ $dashboard->{templating}{list} };
my @alerts = do {
    open my $fh, '<', $rules or die "$rules: $!";
    my $text = join '', <$fh>;
    # Each rule: "- alert: NAME", then "expr:" either on its line or as a
    # folded block (">-") of the lines indented below it.
    my @a;
    while ($text =~ /^\s*- alert: (\S+)\n(?:\s*#[^\n]*\n)*\s*expr: (?:>-\n((?:\s{10}[^\n]*\n)+)|([^\n]+)\n)/mg) {
        my ($name, $expr) = ($1, $2 // $3);
        $expr =~ s/\s+/ /g;
        $expr =~ s/^ | $//g;
        push @a, [$name, $expr];
    }
    @a;
};

plan tests => 6 + @queries + @variables + @alerts, need_lwp;

my $tmp = tempdir(CLEANUP => 1);
my $logs = Apache::Test::vars('t_logs');

sub run {
    my $out = `@_ 2>&1`;
    return ($? >> 8, $out);
}

# --- promtool ------------------------------------------------------------------------
my ($rc, $out) = run('promtool', 'check', 'rules', $rules);
ok t_cmp("$rc", '0', "promtool check rules: $out");
ok t_cmp(scalar(@alerts), 5, 'five alerts read out of the rules file');
($rc, $out) = run('promtool', 'test', 'rules', $rule_tests);
ok t_cmp("$rc", '0', "promtool test rules: $out");

# The page after some traffic, so that every metric has series.
sub traffic {
    my ($n) = @_;
    POST('/prometheus-load', content => qq({"n":$_}), 'Content-Type' => 'application/json') for 1 .. $n;
    POST('/prometheus-load', content => 'x' x 100, 'Content-Type' => 'text/plain');   # 413
}
traffic(5);
my $page = GET('/ku-status?format=prometheus')->content;
open my $fh, '>', "$tmp/metrics.txt" or die $!;
print $fh $page;
close $fh;
($rc, $out) = run("promtool check metrics < $tmp/metrics.txt");
ok t_cmp("$rc $out", '0 ', 'promtool check metrics: the page follows the conventions');

# --- a real Prometheus ---------------------------------------------------------------
my $port = Apache::Test::vars('port');
my $prom_port = $port + 80;
my $prom = "http://127.0.0.1:$prom_port";
open $fh, '>', "$tmp/prometheus.yml" or die $!;
print $fh <<"EOC";
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $rules
scrape_configs:
  - job_name: httpd
    metrics_path: /ku-status
    params:
      format: [prometheus]
    static_configs:
      - targets: ['127.0.0.1:$port']
EOC
close $fh;
my $pid = fork // die "fork: $!";
if (!$pid) {
    open STDOUT, '>', "$logs/prometheus.log";
    open STDERR, '>&', \*STDOUT;
    exec 'prometheus', "--config.file=$tmp/prometheus.yml", "--storage.tsdb.path=$tmp/data",
         "--web.listen-address=127.0.0.1:$prom_port";
    exit 127;
}
END { if ($pid) { kill 'TERM', $pid; waitpid $pid, 0 } }

my $ua = LWP::UserAgent->new(timeout => 10);
# Every query and its answer, for when a check fails.
open my $qlog, '>', "$logs/prometheus-queries.log" or die "$logs/prometheus-queries.log: $!";
$qlog->autoflush(1);
sub api {
    my ($path, %form) = @_;
    my $uri = URI->new("$prom$path");
    $uri->query_form(%form);
    my $res = $ua->get($uri);
    return eval { json->decode($res->content) } // { status => 'http ' . $res->code, error => $res->content };
}

my $t0 = time;
sleep 0.3 until time - $t0 > 30 || $ua->get("$prom/-/ready")->is_success;
# Traffic for some seconds, scraped every second: rate() needs two samples.
my $samples = 0;
while (time - $t0 < 60) {
    traffic(3);
    my $r = api('/api/v1/query', query => 'count_over_time(kafka_upstream_processes[1m])');
    $samples = $r->{data}{result}[0]{value}[1] // 0;
    last if $samples >= 8;
    sleep 0.5;
}
print $qlog "scrape targets: ", json->encode(api('/api/v1/targets')), "\n";
ok t_cmp($samples >= 8 ? 1 : 0, 1, "Prometheus scraped the page ($samples samples, " . int(time - $t0) . ' s)');

my $rules_api = api('/api/v1/rules');
my @loaded = map { @{ $_->{rules} } } @{ $rules_api->{data}{groups} // [] };
ok t_cmp(join(' ', map { "$_->{name}:$_->{health}" } @loaded),
         join(' ', map { "$_->[0]:ok" } @alerts), 'Prometheus loaded every rule and evaluates it without error');

# Data: at least one series with a number (NaN: a quantile or ratio of
# nothing, which the queries also yield for idle producers).
sub has_data {
    my ($query) = @_;
    my $r = api('/api/v1/query', query => $query);
    print $qlog "$query\n  => ", substr(json->encode($r), 0, 600), "\n";
    return "error: " . ($r->{error} // 'none') if $r->{status} ne 'success';
    my @values = map { $_->{value}[1] } @{ $r->{data}{result} };
    return 'no series' unless @values;
    return grep({ $_ ne 'NaN' } @values) ? 'data' : 'only NaN';
}

# Grafana's variables as it would expand them: every instance and producer.
sub expand {
    my ($q) = @_;
    $q =~ s/\$__rate_interval|\$\{__rate_interval\}/1m/g;
    $q =~ s/\$\{?(instance|producer)\}?/.*/g;
    return $q;
}

for my $q (@queries) {
    ok t_cmp(has_data(expand($q->[1])), 'data', "dashboard '$q->[0]': $q->[1]");
}
for my $v (@variables) {
    my ($metric, $label) = $v->{query}{query} =~ /^label_values\((.*), (\w+)\)$/
        or die "variable $v->{name}: not label_values(metric, label)";
    my $r = api("/api/v1/label/$label/values", 'match[]' => expand($metric));
    print $qlog "label $label of ", expand($metric), "\n  => ", substr(json->encode($r), 0, 600), "\n";
    ok t_cmp(scalar(@{ $r->{data} // [] }) > 0 ? 1 : 0, 1,
             "dashboard variable \$$v->{name}: values of $label (@{ $r->{data} // [] })");
}

# An alert's expression with its comparisons outside label matchers made
# `bool`.
sub boolean {
    my ($expr) = @_;
    my ($out, $depth, $quote) = ('', 0, '');
    while ($expr =~ /\G(\{|\}|"(?:\\.|[^"\\])*"|[<>=!]=|[<>](?!=)|.)/gs) {
        my $t = $1;
        $depth++ if $t eq '{';
        $depth-- if $t eq '}';
        $out .= $t;
        $out .= ' bool' if !$depth && $t =~ /^(==|!=|>=|<=|>|<)$/
                           && substr($expr, pos $expr) !~ /^\s*bool\b/;
    }
    return $out;
}
for my $a (@alerts) {
    ok t_cmp(has_data(boolean($a->[1])), 'data', "alert $a->[0]: " . boolean($a->[1]));
}
