#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# POSTs BODY to each PATH in turn on one HTTP/2 (h2c, prior knowledge)
# connection to HOST:PORT, each request sent only after the one before was
# answered, and prints the answers as JSON: [{"status", "headers", "body"}].
# One connection is one httpd child, whatever the answers: over HTTP/1.1
# httpd closes the connection after a 500 or 503 (curl 7.88 does not reuse
# an h2c connection for a second request).
#   h2-sequence.py HOST:PORT CONTENT-TYPE BODY PATH...
import json
import socket
import sys

import h2.config
import h2.connection
import h2.events


def answer(sock, conn, stream_id):
    got = {"status": 0, "headers": {}, "body": ""}
    body = b""
    while True:
        data = sock.recv(65536)
        if not data:
            raise SystemExit("the server closed the connection")
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.ResponseReceived) and event.stream_id == stream_id:
                for name, value in event.headers:
                    got["headers"][name.decode()] = value.decode()
                got["status"] = int(got["headers"].get(":status", 0))
            elif isinstance(event, h2.events.DataReceived) and event.stream_id == stream_id:
                body += event.data
                conn.acknowledge_received_data(event.flow_controlled_length, stream_id)
            elif isinstance(event, h2.events.StreamEnded) and event.stream_id == stream_id:
                sock.sendall(conn.data_to_send())
                got["body"] = body.decode("utf-8", "replace")
                return got
        sock.sendall(conn.data_to_send())


def main():
    hostport, content_type, body, paths = sys.argv[1], sys.argv[2], sys.argv[3].encode(), sys.argv[4:]
    host, port = hostport.rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=60)
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    answers = []
    for path in paths:
        stream_id = conn.get_next_available_stream_id()
        conn.send_headers(stream_id, [(":method", "POST"), (":path", path), (":scheme", "http"),
                                      (":authority", hostport), ("content-type", content_type),
                                      ("content-length", str(len(body)))])
        conn.send_data(stream_id, body, end_stream=True)
        sock.sendall(conn.data_to_send())
        answers.append(answer(sock, conn, stream_id))
    conn.close_connection()
    sock.sendall(conn.data_to_send())
    sock.close()
    print(json.dumps(answers))


main()
