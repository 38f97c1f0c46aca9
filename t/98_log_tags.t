# SPDX-License-Identifier: Apache-2.0
# Log tags (README "Operations", Log tags): read from the sources, not from
# a server. Each tag names one event, so each is written by one logging
# call; each is in the README's table and the table lists no other; each is
# below NEXT_LOG_TAG, the next free number.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;

my $top = "$FindBin::Bin/..";
my %sites;    # tag => ["file:line", ...]
for my $file (glob "$top/*.c") {
    open my $fh, '<', $file or die "$file: $!";
    while (my $line = <$fh>) {
        push @{ $sites{$1} }, ($file =~ s{.*/}{}r) . ":$." while $line =~ /"(KU\d{5}):/g;
    }
}
my %table = do {
    open my $fh, '<', "$top/README.md" or die "README.md: $!";
    map { /^\| (KU\d{5}) \|/ ? ($1 => 1) : () } <$fh>;
};
my $next = do {
    open my $fh, '<', "$top/NEXT_LOG_TAG" or die "NEXT_LOG_TAG: $!";
    my $n = <$fh> // '';
    $n =~ /^(\d+)\s*$/ ? $1 : die "NEXT_LOG_TAG holds no number\n";
};
# Not a skip: finding no tag at all means the sources were not read.
die "t/98_log_tags.t: no log tag found in $top/*.c\n" unless %sites;

plan tests => 4;

ok t_cmp(scalar(keys %sites) >= 30 ? 'many' : scalar(keys %sites), 'many',
         'the sources were read (30 tags or more)');
ok t_cmp(join(' ', map { "$_ at @{ $sites{$_} }" } grep { @{ $sites{$_} } > 1 } sort keys %sites),
         '', 'each tag is written by one logging call: one event');
ok t_cmp(join(' ', sort keys %sites), join(' ', sort keys %table),
         "the README's table lists exactly the tags the sources write");
ok t_cmp(join(' ', grep { substr($_, 2) >= $next } sort keys %sites), '',
         "every tag is below NEXT_LOG_TAG ($next)");
