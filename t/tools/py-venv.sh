#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Prints the python of a venv with the given PyPI pins, made once under
# $KU_PYVENV_HOME (default ~/.cache/mod_kafka_upstream/venv)/NAME; NAME
# holds the versions, so new pins make a new venv.
#   bash t/tools/py-venv.sh NAME PACKAGE==VERSION...
# The suite's venvs: t/tools/ce-venv.sh, t/tools/sr-venv.sh.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 NAME PACKAGE==VERSION..." >&2; exit 2; }
NAME=$1
shift
VENV=${KU_PYVENV_HOME:-$HOME/.cache/mod_kafka_upstream/venv}/$NAME
if [ ! -f "$VENV/.complete" ]; then
    rm -rf "$VENV"
    /usr/bin/python3 -m venv "$VENV" >&2
    "$VENV/bin/pip" install -q "$@" >&2
    touch "$VENV/.complete"
fi
echo "$VENV/bin/python"
