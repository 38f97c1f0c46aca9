#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# json-validate.py [--each] SCHEMA - validates the JSON document on stdin
# against the JSON Schema file SCHEMA (draft 7): prints "valid", or
# "invalid: <why>" and exits 1. --each: the document is an array, each of
# its elements is validated (one start of python for a stream's answers). Run with the venv of t/tools/sr-venv.sh (it has jsonschema).
import json
import pathlib
import sys

import jsonschema


def main():
    each = sys.argv[1] == "--each"
    path = sys.argv[2] if each else sys.argv[1]
    with open(path, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft7Validator.check_schema(schema)
    try:
        doc = json.load(sys.stdin)
    except ValueError as e:
        print(f"invalid: not JSON: {e}")
        return 1
    # A schema's "$ref" to another file names it beside the schema.
    base = pathlib.Path(path).resolve().as_uri()
    resolver = jsonschema.RefResolver(base_uri=base, referrer=schema)
    validator = jsonschema.Draft7Validator(schema, resolver=resolver)
    docs = doc if each and isinstance(doc, list) else [doc]
    errors = sorted((e for d in docs for e in validator.iter_errors(d)), key=str)
    if errors:
        print("invalid: " + "; ".join(f"{list(e.path)}: {e.message}" for e in errors))
        return 1
    print("valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
