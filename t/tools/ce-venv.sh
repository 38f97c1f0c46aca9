#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Prints the python of a venv with the CloudEvents SDK and OpenTelemetry's
# API (t/tools/ce-sdk.py, t/28_cloudevents.t), made once under
# $KU_PYVENV_HOME (default ~/.cache/mod_kafka_upstream/venv), keyed by the versions.
set -euo pipefail
CLOUDEVENTS=2.2.0
OTEL=1.45.2
VENV=${KU_PYVENV_HOME:-$HOME/.cache/mod_kafka_upstream/venv}/cloudevents-$CLOUDEVENTS-otel-$OTEL
if [ ! -f "$VENV/.complete" ]; then
    rm -rf "$VENV"
    /usr/bin/python3 -m venv "$VENV" >&2
    "$VENV/bin/pip" install -q "cloudevents==$CLOUDEVENTS" "opentelemetry-api==$OTEL" >&2
    touch "$VENV/.complete"
fi
echo "$VENV/bin/python"
