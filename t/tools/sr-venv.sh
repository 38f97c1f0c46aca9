#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Prints the python of a venv with fastavro and jsonschema
# (t/tools/sr-decode.py, t/tools/json-validate.py), made once by
# t/tools/py-venv.sh.
set -euo pipefail
FASTAVRO=1.9.7
JSONSCHEMA=4.17.3
exec bash "$(dirname "$0")/py-venv.sh" "fastavro-$FASTAVRO-jsonschema-$JSONSCHEMA" \
    "fastavro==$FASTAVRO" "jsonschema==$JSONSCHEMA"
