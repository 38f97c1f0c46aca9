#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Prints the python of a venv with the CloudEvents SDK and OpenTelemetry's
# API (t/tools/ce-sdk.py, t/28_cloudevents.t), made once by t/tools/py-venv.sh.
set -euo pipefail
CLOUDEVENTS=2.2.0
OTEL=1.45.2
exec bash "$(dirname "$0")/py-venv.sh" "cloudevents-$CLOUDEVENTS-otel-$OTEL" \
    "cloudevents==$CLOUDEVENTS" "opentelemetry-api==$OTEL"
