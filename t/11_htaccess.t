# SPDX-License-Identifier: Apache-2.0
# No KafkaUpstream* directive can be set from .htaccess (README "Configuration": server,
# virtual host, <Location>, <Directory>; KafkaUpstreamProperty server-wide
# only), even where AllowOverride All lets .htaccess set everything else.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use Apache::TestRequest qw(GET);
use File::Path qw(make_path);
use lib 't/lib';
use HttpdLog;

my @lines = ('KafkaUpstreamTopic from-htaccess', 'KafkaUpstreamBootstrapServers 127.0.0.1:9',
             'KafkaUpstreamSASLPassword hunter2', 'KafkaUpstreamProperty debug all',
             'KafkaUpstreamAsync Off');

plan tests => 2 * @lines + 2, need_lwp;

my $dir = Apache::Test::vars('documentroot') . '/ku-htaccess';
make_path($dir);
open(my $index, '>', "$dir/index.html") or die "$dir/index.html: $!";
print $index "plain file\n";
close $index;

sub write_htaccess {
    open(my $fh, '>', "$dir/.htaccess") or die "$dir/.htaccess: $!";
    print $fh @_;
    close $fh;
}

write_htaccess("Options -Indexes\n");
ok t_cmp(GET('/ku-htaccess/index.html')->code, 200, 'AllowOverride All: a harmless .htaccess is read');

for my $line (@lines) {
    my ($directive) = split ' ', $line;
    my $from = log_size();
    write_htaccess("$line\n");
    ok t_cmp(GET('/ku-htaccess/index.html')->code, 500, "$directive in .htaccess: 500");
    my $log = log_since($from);
    ok t_cmp($log, qr/\Q$directive\E not allowed here/, "$directive in .htaccess: refused");
}
unlink "$dir/.htaccess";

my $whole = log_since(0);
ok t_cmp(index($whole, 'hunter2'), -1, 'the refused password is not in the log');
