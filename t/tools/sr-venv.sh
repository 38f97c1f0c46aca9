#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Prints the python of a venv with fastavro and jsonschema (t/tools/sr-decode.py), made
# once under $KU_PYVENV_HOME (default ~/.cache/mod_kafka_upstream/venv),
# keyed by the version.
set -euo pipefail
FASTAVRO=1.9.7
JSONSCHEMA=4.17.3
VENV=${KU_PYVENV_HOME:-$HOME/.cache/mod_kafka_upstream/venv}/fastavro-$FASTAVRO-jsonschema-$JSONSCHEMA
if [ ! -f "$VENV/.complete" ]; then
    rm -rf "$VENV"
    /usr/bin/python3 -m venv "$VENV" >&2
    "$VENV/bin/pip" install -q "fastavro==$FASTAVRO" "jsonschema==$JSONSCHEMA" >&2
    touch "$VENV/.complete"
fi
echo "$VENV/bin/python"
