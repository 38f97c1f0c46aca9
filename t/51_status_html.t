# SPDX-License-Identifier: Apache-2.0
# The HTML status page (README "Status page"): chosen by ?format=html or a
# browser's Accept header, a CSP that allows only its own nonce'd code,
# no secret; then in a real browser (headless Chromium through Selenium,
# t/tools/status-browser.py) while t/tools/ku-load runs: the numbers
# shown are the JSON view's, the charts draw points that move, nothing
# on the console, no CSP violation (and one provoked on purpose is
# caught); with JavaScript disabled the tables are there and right.
# Screenshots: t/logs/status-html*.png.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use Apache::TestRequest qw(GET);
use File::Temp qw(tempdir);
use lib 't/lib';
use KafkaTest;

my @secrets = qw(alice-secret bob-secret-256 carol-secret-512 wrong-secret-plain
                 wrong-secret-scram mallory-secret);
my $browser_accept = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

plan tests => 34 + @secrets, need_lwp;

# --- which view ----------------------------------------------------------------------
my $html = GET('/ku-status', Accept => $browser_accept);
ok t_cmp($html->code, 200, 'a browser gets the page');
ok t_cmp($html->header('Content-Type'), qr{^text/html; charset=utf-8}, 'as HTML');
ok t_cmp($html->header('Vary') // '', qr/\bAccept\b/, 'varying with Accept');
ok t_cmp(GET('/ku-status')->header('Content-Type'), 'application/json',
         'a client without Accept gets JSON');
ok t_cmp(GET('/ku-status', Accept => '*/*')->header('Content-Type'), 'application/json',
         "so does curl's */*");
ok t_cmp(GET('/ku-status?format=html')->header('Content-Type'), qr{^text/html},
         '?format=html is HTML');
ok t_cmp(GET('/ku-status?format=json', Accept => $browser_accept)->header('Content-Type'),
         'application/json', '?format=json is JSON, whatever the Accept');
ok t_cmp(GET('/ku-status?format=html%zz')->code, 400, 'a format that cannot be decoded: 400');

# --- the policy -----------------------------------------------------------------------
my $csp = $html->header('Content-Security-Policy') // '';
my ($nonce) = $csp =~ /script-src 'nonce-([A-Za-z0-9+\/=]+)'/;
ok t_cmp($csp, qr/^default-src 'none';/, 'CSP: nothing by default');
ok t_cmp($csp !~ /unsafe-inline|unsafe-eval|\*|https?:/ ? 1 : 0, 1,
         "CSP: no 'unsafe-inline', no 'unsafe-eval', no host: $csp");
ok t_cmp($csp, qr/connect-src 'self'/, 'CSP: fetches to the page itself only');
ok t_cmp(defined $nonce && $csp =~ /style-src 'nonce-\Q$nonce\E'/ ? 1 : 0, 1,
         'the style has the same nonce');
my @scripts = $html->content =~ /<script\b([^>]*)>/g;
ok t_cmp("@scripts", qq{ nonce="$nonce"}, 'one script, with the nonce');
my $again = GET('/ku-status?format=html')->header('Content-Security-Policy') // '';
ok t_cmp(index($again, $nonce) < 0 ? 1 : 0, 1, 'a fresh nonce for each answer');
my $markup = $html->content =~ s{<(script|style)\b.*?</\1>}{}gsr;
ok t_cmp($markup =~ /<(link|img|iframe|object)\b|\bsrc=|\bhref=|\bstyle=|\bon[a-z]+=/i ? $& : '',
         '', 'no external file, no inline style or handler attribute');
for my $secret (@secrets) {
    ok t_cmp(index($html->content, $secret), -1, "no '$secret' in the HTML page");
}

# --- in Chromium, under load ----------------------------------------------------------
my $tmp = tempdir(CLEANUP => 1);
my $logs = Apache::Test::vars('t_logs');
my $base = 'http://' . Apache::Test::vars('remote_addr') . ':' . Apache::Test::vars('port');
my $top = Apache::Test::vars('top_dir');
my $stop = "$tmp/load.stop";
my @load = ('--url', "$base/status-html-load", '--topic', 'ku-defaults', '--brokers', broker(),
            '--workers', 2, '--stop-file', $stop, '--wait', 20, '--run', "html-$$");
my $accepted = ku_load_start(@load, '--requests', 3000, '--rate', 100);
my $refused = ku_load_start(@load, '--requests', 600, '--rate', 20, '--pad', 100,
                            '--run', "html-big-$$");

sub browser {
    my (@args) = @_;
    my $out = `/usr/bin/python3 $top/t/tools/status-browser.py --base $base --path /ku-status --shots $logs @args 2>$logs/status-browser.err`;
    my $r = eval { json->decode($out) };
    open(my $fh, '>', "$logs/status-browser" . (@args && $args[0] eq '--no-js' ? '-nojs' : '') . '.json');
    print $fh $out;
    diag("status-browser.py (exit $?): $out\n" . `tail -20 $logs/status-browser.err`) unless $r;
    return $r // {};
}

my $t0 = time;
my $js = browser('--stop-file', $stop);
my ($good, $big) = (ku_load_end($accepted), ku_load_end($refused));
ok t_cmp(($good->{accepted} // 0) > 100 ? 1 : 0, 1, "the load ran ($good->{accepted} accepted)");
ok t_cmp(join(',', keys %{ $big->{refused_by_status} // {} }), '413', 'padded bodies were refused');
ok t_cmp($js->{title} // '', 'mod_kafka_upstream status', 'Chromium shows the page');
ok t_cmp(($js->{cells} // 0) > 20 ? 1 : 0, 1, "number cells: $js->{cells}");
ok t_cmp(join("\n", @{ $js->{mismatches} // ['no comparison'] }), '',
         "every number shown is the JSON view's");
my $port = Apache::Test::vars('port');
my ($load_producer) = grep { $_->{name} =~ m{^/status-html-load } && $_->{server} =~ /:\Q$port\E$/ }
                      @{ $js->{json}{producers} // [] };
ok t_cmp(($load_producer->{accepted} // 'none') . ' ' .
         (($load_producer->{delivered} // 0) + ($load_producer->{failed} // 0)),
         "$good->{accepted} $good->{accepted}",
         'the JSON view compared counts what the load had accepted, each reported on');
for my $chart (qw(requests delivered latency)) {
    my ($first, $second) = map { ($_->{$chart} // [])->[0] // '' } @$js{qw(charts_first charts_second)};
    my $points = () = $second =~ /\S+/g;
    ok t_cmp($points >= 3 && $first ne $second ? 1 : 0, 1,
             "the $chart chart has points ($points) and they moved");
}
my $rej = $js->{charts_second}{rejected}[0] // '';
ok t_cmp(scalar(grep { /,([\d.]+)$/ && $1 < 97 } split ' ', $rej) > 0 ? 1 : 0, 1,
         'the rejections chart rose above zero');
ok t_cmp(join("\n", map { "$_->{level} $_->{message}" } @{ $js->{console} // [{ level => 'none', message => 'read' }] }),
         '', 'nothing on the console');
ok t_cmp(join("\n", @{ $js->{csp_before} // ['not read'] }), '', 'no CSP violation');
ok t_cmp(($js->{evil_ran} // 1) ? 1 : 0, 0, 'an inline script without the nonce does not run');
ok t_cmp(join("\n", @{ $js->{csp_after} // [] }), qr/script-src/,
         'and is reported as a violation: the check above can see one');
ok t_cmp(-s "$logs/status-html.png" ? 1 : 0, 1, "screenshot $logs/status-html.png");

# --- with JavaScript disabled -----------------------------------------------------------
my $nojs = browser('--no-js');
ok t_cmp(($nojs->{tables} // 0) >= 5 && ($nojs->{cells} // 0) > 20 ? 1 : 0, 1,
         "without JavaScript the tables are there ($nojs->{tables} tables, $nojs->{cells} cells)");
ok t_cmp(join("\n", @{ $nojs->{mismatches} // ['no comparison'] }), '',
         "and hold the JSON view's numbers");
ok t_cmp(join('', map { @{ $_ // [] } } values %{ $nojs->{charts} // {} }), '',
         'no chart is drawn');
ok t_cmp(-s "$logs/status-html-nojs.png" ? 1 : 0, 1, "screenshot $logs/status-html-nojs.png");
print STDERR "# browser part took ", time - $t0, " s\n";
