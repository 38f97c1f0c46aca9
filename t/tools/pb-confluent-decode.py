#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# pb-confluent-decode.py PROTO_DIR FILE.proto MESSAGE < record-value
# Decodes a record value in the Confluent Protobuf wire format with
# confluent-kafka's own ProtobufDeserializer (Debian python3-confluent-kafka)
# into the message class protoc generates from PROTO_DIR/FILE.proto, and
# prints it as JSON (the proto field names). Debian 12's confluent-kafka is
# 1.7.0, which reads the message indexes as unsigned varints (the format
# before its 1.8.2): only the first message's single 0 reads the same in
# both, so t/61_protobuf.t uses it for a first message only.
import importlib
import os
import subprocess
import sys
import tempfile

from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer
from google.protobuf.json_format import MessageToJson

proto_dir, proto_file, message = sys.argv[1:4]
out = tempfile.mkdtemp()
# every .proto of the directory: the file's imports need their classes too
protos = sorted(os.path.join(proto_dir, f) for f in os.listdir(proto_dir) if f.endswith('.proto'))
subprocess.run(['protoc', '-I' + proto_dir, '-I/usr/include', '--python_out=' + out] + protos,
               check=True)
sys.path.insert(0, out)
module = importlib.import_module(proto_file[:-len('.proto')].replace('/', '.') + '_pb2')
cls = getattr(module, message.split('.')[-1])
msg = ProtobufDeserializer(cls)(sys.stdin.buffer.read(), None)
print(MessageToJson(msg, preserving_proto_field_name=True, sort_keys=True, indent=None))
