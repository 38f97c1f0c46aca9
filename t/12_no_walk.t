# SPDX-License-Identifier: Apache-2.0
# Requests for our handlers skip httpd's <Directory>/<Files> walk (no_fs_walk.c,
# README "Locations and the filesystem"), while every <Location> setting
# still applies. The proof that nothing is read under the document root: the
# directory ku-nowalk holds an unreadable .htaccess (AllowOverride All), so
# any request that walks it fails with 403, as the plain file shows.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use Apache::TestRequest qw(GET);
use File::Path qw(make_path);
use MIME::Base64 qw(encode_base64);
use lib 't/lib';
use KafkaTest;

plan tests => 14, need_lwp;

my $topic = 'ku-all';
my $docroot = Apache::Test::vars('documentroot');
my $host = Apache::Test::vars('remote_addr') . ':' . Apache::Test::vars('port');

make_path("$docroot/ku-nowalk", "$docroot/ku-dirhandler");
open(my $fh, '>', "$docroot/ku-nowalk/plain.txt") or die "plain.txt: $!";
print $fh "a file\n";
close $fh;
open($fh, '>', "$docroot/ku-nowalk/.htaccess") or die ".htaccess: $!";
print $fh "Options -Indexes\n";
close $fh;
chmod 0000, "$docroot/ku-nowalk/.htaccess" or die "chmod: $!";
END { chmod 0644, "$docroot/ku-nowalk/.htaccess" if $docroot }

sub post {
    my ($path, $body, @lines) = @_;
    my $head = join "\r\n", "POST $path HTTP/1.1", "Host: $host",
        'Content-Type: text/plain', 'Content-Length: ' . length($body), @lines,
        'Connection: close';
    return raw_request($head, $body);
}

sub record_value {
    my ($offset) = @_;
    my $rec = consume_one($topic, $offset);
    return $rec ? $rec->{payload} : 'no record';
}

# The walk would fail: a file in the same directory cannot be served.
ok t_cmp(GET('/ku-nowalk/plain.txt')->code, 403,
         'control: a request that walks ku-nowalk/ gets 403 (unreadable .htaccess)');

# Our handler: no walk, the message is produced.
my $res = post('/ku-nowalk/events', 'no walk');
ok t_cmp($res->{status}, 200, 'SetHandler kafka-upstream in a <Location>: 200');
my $offset = $res->{headers}{'kafka-offset'} // -1;
ok t_cmp(record_value($offset), 'no walk', 'its record is in Kafka');

# The status page too.
ok t_cmp(GET('/ku-nowalk/status')->code, 200, 'kafka-upstream-status: 200 without the walk');

# Require all denied in the Location still refuses, and produces nothing.
my $before = end_offset($topic);
$res = post('/ku-nowalk/denied', 'must not be produced');
ok t_cmp($res->{status}, 403, 'Require all denied: 403');

# Basic auth in the Location still refuses; SetEnvIf still sets the
# environment the message's fields read.
my $auth = 'Authorization: Basic ' . encode_base64('ku-tester:ku-test-only-password', '');
my $bad = 'Authorization: Basic ' . encode_base64('ku-tester:wrong', '');
$res = post('/ku-nowalk/auth', 'no credentials');
ok t_cmp($res->{status}, 401, 'basic auth, no credentials: 401');
$res = post('/ku-nowalk/auth', 'wrong password', $bad);
ok t_cmp($res->{status}, 401, 'basic auth, wrong password: 401');
$res = post('/ku-nowalk/auth', 'authorized', $auth, 'X-Tenant: acme');
ok t_cmp($res->{status}, 200, 'basic auth, right password: 200');
$offset = $res->{headers}{'kafka-offset'} // -1;
ok t_cmp($offset, $before, 'the refused requests produced nothing before it');
my $msg = decode_value(consume_one($topic, $offset)) // {};
ok t_cmp($msg->{body}, 'authorized', 'the authorized record');
ok t_cmp($msg->{user}, 'ku-tester', 'REMOTE_USER from the Location\'s authentication');
ok t_cmp($msg->{tenant}, 'acme', 'a variable SetEnvIf set in the Location');

# A handler set from <Directory> walks as before, and still produces.
$res = post('/ku-dirhandler/x', 'directory handler');
ok t_cmp($res->{status}, 200, 'SetHandler kafka-upstream in a <Directory>: 200');
$offset = $res->{headers}{'kafka-offset'} // -1;
ok t_cmp(record_value($offset), 'directory handler', 'its record is in Kafka');
