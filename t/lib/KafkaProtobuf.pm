# SPDX-License-Identifier: Apache-2.0
package KafkaProtobuf;
# A record in the Confluent Protobuf wire format read back for the tests
# (t/25_rest_v2.t, t/26_rest_v3.t, t/61_protobuf.t): magic byte, schema id,
# message indexes (zig-zag varints), and protoc --decode's text of the rest
# (an independent decoder) against the .proto the test wrote.
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use File::Temp qw(tempdir);
use KafkaTest qw(broker);

our @EXPORT = qw(pb_dir pb_write_proto pb_record pb_confluent);

my $dir = tempdir(CLEANUP => 1);

sub pb_dir { $dir }

sub pb_write_proto {
    my ($name, $text) = @_;
    open my $fh, '>', "$dir/$name" or die "$dir/$name: $!";
    print $fh $text;
    close $fh;
}

sub raw_at {
    my ($topic, $partition, $offset, $fmt) = @_;
    my $b = broker();
    return scalar `timeout 15 kcat -C -q -e -b $b -t $topic -p $partition -o $offset -c 1 -f '$fmt'`;
}

# Zig-zag varints from $pos: the count, then as many indexes (a count of
# 0 is the first message, [0]).
sub indexes_at {
    my ($raw, $pos) = @_;
    my ($count, @indexes);
    while (!defined $count || @indexes < $count) {
        my ($v, $shift) = (0, 0);
        while (1) {
            my $byte = ord(substr($raw, $pos++, 1));
            $v |= ($byte & 0x7f) << $shift;
            $shift += 7;
            last unless $byte & 0x80;
        }
        $v = ($v >> 1) ^ -($v & 1);
        if (defined $count) { push @indexes, $v } else { $count = $v; last if $v == 0 }
    }
    return ($pos, $count ? @indexes : (0));
}

# The key (%k) or value (%s) at topic/partition/offset: {magic, id,
# indexes ("0", "1", "0,0"), text (protoc's, on one line)}.
sub pb_record {
    my ($topic, $partition, $offset, $fmt, $file, $message) = @_;
    my $raw = raw_at($topic, $partition, $offset, $fmt);
    return { error => 'no record' } if length($raw) < 6;
    my ($magic, $id) = unpack('C N', $raw);
    my ($pos, @indexes) = indexes_at($raw, 5);
    open my $fh, '>:raw', "$dir/bytes" or die;
    print $fh substr($raw, $pos);
    close $fh;
    my $text = `protoc -I'$dir' -I/usr/include --decode=$message '$dir/$file' < '$dir/bytes' 2>&1`;
    $text =~ s/\s+/ /g;
    $text =~ s/^ | $//g;
    return { magic => $magic, id => $id, indexes => join(',', @indexes), text => $text };
}

# The value at topic/partition/offset read by confluent-kafka's own
# ProtobufDeserializer (t/tools/pb-confluent-decode.py), as its JSON text:
# a file's first message only (see that tool).
sub pb_confluent {
    my ($topic, $partition, $offset, $file, $message) = @_;
    my $b = broker();
    return scalar `timeout 15 kcat -C -q -b $b -t $topic -p $partition -o $offset -c 1 -e -f '%s' | /usr/bin/python3 t/tools/pb-confluent-decode.py '$dir' $file $message 2>&1`;
}

1;
