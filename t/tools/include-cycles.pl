#!/usr/bin/env perl
# SPDX-License-Identifier: Apache-2.0
# No include cycles among the module's own files (README "Internals").
#   perl t/tools/include-cycles.pl   prints each cycle; exit 1 if any
# The graph a reviewer draws: a file's unit is its name without the
# extension (producer.c and producer.h are "producer"; see unit() for the
# shared headers), and unit A depends on unit B when a file of A includes
# B's header. A cycle (producer.c
# includes spool.h while spool.c includes producer.h) means neither can be
# read, tested or changed without the other.
# One kind of edge is left out: conf.c's includes marked
# "/* directive handlers */". The one directive table names every
# feature's handlers, declared in the feature's header; the feature depends
# on conf, not the other way round. Anywhere else the mark is an error.
use strict;
use warnings;
use File::Basename qw(dirname);

chdir(dirname(__FILE__) . '/../..') or die "chdir: $!";
opendir(my $dh, '.') or die "opendir: $!";
my @files = sort grep { /\.[ch]$/ && -f } readdir($dh);
closedir($dh);
my %ours = map { $_ => 1 } @files;
my (%deps, $bad);

# A family's private header is the family's: spool_int.h is spool's,
# status_shm.h status'. mod_kafka_upstream.h is httpd's per-module header
# (APLOG_USE_MODULE, the module record), which every file includes: a unit
# of its own, not the handler's in mod_kafka_upstream.c.
sub unit {
    my ($f) = @_;
    return 'mod_kafka_upstream.h' if $f eq 'mod_kafka_upstream.h';
    $f =~ s/\.[ch]$//;
    $f =~ s/_(int|shm)$//;
    return $f;
}

for my $file (@files) {
    open(my $fh, '<', $file) or die "$file: $!";
    while (my $line = <$fh>) {
        next unless $line =~ /^\s*#\s*include\s+"([^"]+)"/;
        my $header = $1;
        next unless $ours{$header};
        if ($line =~ m{/\*\s*directive handlers\s*\*/}) {
            next if $file eq 'conf.c';
            print "$file: only conf.c's table may mark an include as directive handlers\n";
            $bad = 1;
        }
        my ($from, $to) = (unit($file), unit($header));
        $deps{$from}{$to} = "$file includes $header" if $from ne $to;
    }
    close($fh);
}

# Depth-first search; a node met again on the current path closes a cycle.
my (%state, @path, %seen_cycle);
sub visit {
    my ($u) = @_;
    $state{$u} = 1;
    push @path, $u;
    for my $v (sort keys %{ $deps{$u} || {} }) {
        if (($state{$v} // 0) == 1) {
            my @cycle = (@path[(grep { $path[$_] eq $v } 0 .. $#path)[0] .. $#path], $v);
            my $key = join(' ', sort @cycle[0 .. $#cycle - 1]);
            next if $seen_cycle{$key}++;
            print "include cycle: ", join(' -> ', @cycle), "\n";
            print "    $deps{$cycle[$_]}{$cycle[$_ + 1]}\n" for 0 .. $#cycle - 1;
            $bad = 1;
        } elsif (!$state{$v}) {
            visit($v);
        }
    }
    pop @path;
    $state{$u} = 2;
}
visit($_) for grep { !$state{$_} } sort map { unit($_) } @files;
print "include graph: ", scalar(keys %deps), " units, no cycle\n" unless $bad;
exit($bad ? 1 : 0);
