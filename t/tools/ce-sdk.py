#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# The official SDKs' side of t/28_cloudevents.t (README "CloudEvents",
# "Trace context"):
#   ce-sdk.py send URL MODE      makes the events of MODE (binary, structured,
#                                batch) with the CloudEvents SDK, sends them with
#                                its HTTP binding; prints the status and the body
#   ce-sdk.py compare MODE       reads the records kcat -J printed (stdin), parses
#                                each with the SDK's Kafka binding (from_kafka) and
#                                compares it with the event sent: "equal N" or why not
#   ce-sdk.py trace              reads record headers as JSON [name, value, ...]
#                                (stdin), extracts them with OpenTelemetry's W3C
#                                propagator: "valid TRACEID SPANID FLAGS [STATE]" or
#                                "invalid"
import base64
import json
import sys
import urllib.error
import urllib.request
from datetime import datetime, timezone

from cloudevents.core.bindings import http, kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

FMT = JSONFormat()
T0 = datetime(2026, 12, 5, 0, 0, 1, 250000, tzinfo=timezone.utc)


def events(mode):
    json_event = CloudEvent({"type": "com.example.order.created", "source": "/orders/eu",
                             "id": "ord-1", "time": T0, "subject": "café 1",
                             "datacontenttype": "application/json", "partitionkey": "pk-1",
                             "comexampleext": "v 1; 100% sure"},
                            {"n": 1, "items": ["a", "b"], "note": "naïve"})
    text_event = CloudEvent({"type": "com.example.note", "source": "urn:example:notes",
                             "id": "note-2", "time": T0, "datacontenttype": "text/plain",
                             "dataschema": "https://example.com/note.json"}, "hello, Kafka")
    bytes_event = CloudEvent({"type": "com.example.blob", "source": "/blobs", "id": "blob-3", "time": T0,
                              "datacontenttype": "application/octet-stream"},
                             b"\x00\x01\xfe\xff raw")
    if mode == "binary":
        return [json_event]
    if mode == "structured":
        return [text_event]
    if mode == "batch":
        return [json_event, text_event]
    if mode == "batch-bytes":
        return [json_event, text_event, bytes_event]
    raise SystemExit(f"unknown mode {mode}")


def request(mode):
    evs = events(mode)
    if mode == "binary":
        msg = http.to_binary(evs[0], FMT)
        return msg.headers, msg.body
    if mode == "structured":
        msg = http.to_structured(evs[0], FMT)
        return msg.headers, msg.body
    # The SDK writes no batch: the batched format is a JSON array of the
    # events its JSON format writes.
    body = b"[" + b",".join(FMT.write(e) for e in evs) + b"]"
    return {"content-type": "application/cloudevents-batch+json"}, body


def send(url, mode):
    headers, body = request(mode)
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            print(res.status)
            print(res.read().decode())
    except urllib.error.HTTPError as e:
        print(e.code)
        print(e.read().decode())


def record_message(record):
    pairs = record.get("headers") or []
    headers = {pairs[i]: pairs[i + 1].encode() for i in range(0, len(pairs), 2)}
    value = (record.get("payload") or "").encode()
    return kafka.KafkaMessage(headers=headers, key=record.get("key"), value=value)


def compare(mode):
    sent = events(mode)
    records = [json.loads(line) for line in sys.stdin if line.strip()]
    if len(records) != len(sent):
        print(f"{len(records)} records for {len(sent)} events")
        return
    for i, (record, event) in enumerate(zip(records, sent)):
        got = kafka.from_kafka(record_message(record), FMT)
        if got.get_attributes() != event.get_attributes():
            print(f"event {i}: attributes {got.get_attributes()!r} != {event.get_attributes()!r}")
            return
        if got.get_data() != event.get_data():
            print(f"event {i}: data {got.get_data()!r} != {event.get_data()!r}")
            return
    print(f"equal {len(records)}")


def trace():
    from opentelemetry import trace as ot
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    pairs = json.load(sys.stdin)
    carrier = {pairs[i]: pairs[i + 1] for i in range(0, len(pairs), 2)}
    ctx = TraceContextTextMapPropagator().extract(carrier)
    sc = ot.get_current_span(ctx).get_span_context()
    if not sc.is_valid:
        print("invalid")
        return
    state = sc.trace_state.to_header() if sc.trace_state else ""
    print(f"valid {sc.trace_id:032x} {sc.span_id:016x} {int(sc.trace_flags):02x} {state}".rstrip())


if __name__ == "__main__":
    if sys.argv[1] == "send":
        send(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "compare":
        compare(sys.argv[2])
    elif sys.argv[1] == "trace":
        trace()
