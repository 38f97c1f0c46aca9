# SPDX-License-Identifier: Apache-2.0
package HttpdLog;
# Reading the test httpd's logs (t/logs/error_log, t/logs/access_log): the
# one place the tests do it. A log that is missing or cannot be read dies,
# which fails the test file: no check may pass because it read nothing.
#   my $from = log_size();                  # the error log's size now
#   ...requests...
#   like(log_since($from), qr/KU00002: /);  # what was written since
#   wait_for_log($from, qr/.../, 10);       # the first such line, or ''
# Each takes the access log instead with file => access_log().
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use Apache::Test ();
use Time::HiRes qw(time sleep);

our @EXPORT = qw(error_log access_log log_size log_since log_lines_since wait_for_log);

sub error_log  { Apache::Test::vars('t_logs') . '/error_log' }
sub access_log { Apache::Test::vars('t_logs') . '/access_log' }

# The log's size in bytes now: where to read from after the requests.
sub log_size {
    my (%o) = @_;
    my $file = $o{file} // error_log();
    my @st = stat $file or die "$file: $!";
    return $st[7];
}

# The lines written since byte $from (0: the whole log).
sub log_lines_since {
    my ($from, %o) = @_;
    my $file = $o{file} // error_log();
    open(my $fh, '<', $file) or die "$file: $!";
    seek($fh, $from // 0, 0) or die "$file: seek: $!";
    my @lines = <$fh>;
    close $fh;
    return @lines;
}

# The text written since byte $from (0: the whole log).
sub log_since { join '', log_lines_since(@_) }

# Waits up to $timeout s for a line matching $re written since byte $from;
# returns that line, or '' when none came.
sub wait_for_log {
    my ($from, $re, $timeout, %o) = @_;
    my $deadline = time + $timeout;
    while (1) {
        my ($line) = grep { $_ =~ $re } log_lines_since($from, %o);
        return $line if defined $line;
        return '' if time > $deadline;
        sleep 0.1;
    }
}

1;
