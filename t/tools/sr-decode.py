#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""An independent reader of Confluent wire-format records, for the tests.

Reads one record value (or key) as bytes on stdin, checks the magic byte,
takes the schema id, fetches that schema from the registry (argv[1], the
ccompat base URL) by id, decodes the Avro binary with fastavro and prints
{"magic": 0, "id": N, "value": ...} as JSON (bytes as lists of numbers).
A JSON Schema (schemaType JSON) record's value is the JSON after the
header, checked by the jsonschema package (draft 7): "valid" says whether
it fits the schema, "type" is "JSON". With KU_SR_BEARER in the
environment the registry is asked with that OAuth2 bearer token.
"""
import io
import json
import os
import struct
import sys
import urllib.request

import fastavro
import jsonschema


def plain(v):
    if isinstance(v, bytes):
        return list(v)
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


def main():
    data = sys.stdin.buffer.read()
    magic, schema_id = struct.unpack(">bI", data[:5])
    request = urllib.request.Request(f"{sys.argv[1]}/schemas/ids/{schema_id}")
    if os.environ.get("KU_SR_BEARER"):
        request.add_header("Authorization", "Bearer " + os.environ["KU_SR_BEARER"])
    with urllib.request.urlopen(request) as answer:
        record = json.load(answer)
    schema = json.loads(record["schema"])
    if record.get("schemaType") == "JSON":
        value = json.loads(data[5:].decode("utf-8"))
        valid = jsonschema.Draft7Validator(schema).is_valid(value)
        print(json.dumps({"magic": magic, "id": schema_id, "value": value, "valid": valid,
                          "type": "JSON"}, sort_keys=True))
        return
    parsed = fastavro.parse_schema(schema)
    buf = io.BytesIO(data[5:])
    value = fastavro.schemaless_reader(buf, parsed, parsed)
    rest = len(data) - 5 - buf.tell()
    print(json.dumps({"magic": magic, "id": schema_id, "value": plain(value),
                      "trailing": rest}, sort_keys=True, default=str))


main()
