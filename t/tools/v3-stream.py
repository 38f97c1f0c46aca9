#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# Streaming produce (README "REST proxy dialects"): POSTs the records of
# RECORDS (a JSON array of record objects) to PATH as one request whose
# body goes on, over HTTP/1.1 (chunked, raw socket) or HTTP/2 (h2c, prior
# knowledge): each record is sent only after the answer object of the one
# before was read. With --cut N, after N records half of the next one is
# sent and the connection is closed. Each --header "Name: value" is sent
# as a request header. Prints JSON: {"status", "content_type", "answers":
# [...]} (the answer objects read, each as parsed).
#   v3-stream.py [--h2] [--cut N] [--header H]... HOST:PORT PATH RECORDS
import json
import socket
import sys

TIMEOUT = 30


class Http1:
    def __init__(self, hostport, path, headers):
        host, port = hostport.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=TIMEOUT)
        extra = "".join("%s: %s\r\n" % h for h in headers)
        self.sock.sendall(("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                           "%sTransfer-Encoding: chunked\r\n\r\n" % (path, hostport, extra)).encode())
        self.raw = b""
        self.body = b""
        self.status = None
        self.content_type = None

    def send(self, data):
        self.sock.sendall(b"%x\r\n%s\r\n" % (len(data), data))

    def _more(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("the server closed the connection")
        self.raw += data

    def _head(self):
        while b"\r\n\r\n" not in self.raw:
            self._more()
        head, self.raw = self.raw.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "content-type":
                self.content_type = value.strip()

    def _chunk(self):
        while b"\r\n" not in self.raw:
            self._more()
        size = int(self.raw.split(b"\r\n", 1)[0].split(b";")[0], 16)
        while len(self.raw.split(b"\r\n", 1)[1]) < size + 2:
            self._more()
        data = self.raw.split(b"\r\n", 1)[1]
        self.body += data[:size]
        self.raw = data[size + 2:]
        return size

    def answer(self):
        if self.status is None:
            self._head()
        while b"\n" not in self.body:
            if not self._chunk():
                raise EOFError("the answer ended")
        line, self.body = self.body.split(b"\n", 1)
        return json.loads(line)

    def finish(self):
        self.sock.sendall(b"0\r\n\r\n")

    def rest(self):
        """The answer objects after finish(), to the body's end."""
        out = []
        while self._chunk():
            pass
        for line in self.body.split(b"\n"):
            if line.strip():
                out.append(json.loads(line))
        return out

    def cut(self):
        self.sock.close()


class Http2:
    def __init__(self, hostport, path, headers):
        import h2.config
        import h2.connection
        host, port = hostport.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=TIMEOUT)
        self.conn = h2.connection.H2Connection(
            config=h2.config.H2Configuration(client_side=True))
        self.conn.initiate_connection()
        self.stream = self.conn.get_next_available_stream_id()
        self.conn.send_headers(self.stream, [(":method", "POST"), (":path", path),
                                             (":scheme", "http"), (":authority", hostport),
                                             ("content-type", "application/json")]
                               + [(n.lower(), v) for n, v in headers])
        self.sock.sendall(self.conn.data_to_send())
        self.body = b""
        self.ended = False
        self.status = None
        self.content_type = None

    def send(self, data):
        self.conn.send_data(self.stream, data)
        self.sock.sendall(self.conn.data_to_send())

    def _events(self):
        import h2.events
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("the server closed the connection")
        for event in self.conn.receive_data(data):
            if getattr(event, "stream_id", None) != self.stream:
                continue
            if isinstance(event, h2.events.ResponseReceived):
                headers = {n.decode(): v.decode() for n, v in event.headers}
                self.status = int(headers.get(":status", 0))
                self.content_type = headers.get("content-type")
            elif isinstance(event, h2.events.DataReceived):
                self.body += event.data
                self.conn.acknowledge_received_data(event.flow_controlled_length, self.stream)
            elif isinstance(event, (h2.events.StreamEnded, h2.events.StreamReset)):
                self.ended = True
        self.sock.sendall(self.conn.data_to_send())

    def answer(self):
        while b"\n" not in self.body:
            if self.ended:
                raise EOFError("the answer ended")
            self._events()
        line, self.body = self.body.split(b"\n", 1)
        return json.loads(line)

    def finish(self):
        self.conn.end_stream(self.stream)
        self.sock.sendall(self.conn.data_to_send())

    def rest(self):
        while not self.ended:
            self._events()
        return [json.loads(line) for line in self.body.split(b"\n") if line.strip()]

    def cut(self):
        self.sock.close()


def main():
    args = sys.argv[1:]
    h2 = cut = None
    headers = []
    while args and args[0] in ("--h2", "--cut", "--header"):
        option = args.pop(0)
        if option == "--h2":
            h2 = option
        elif option == "--cut":
            cut = int(args.pop(0))
        else:
            name, _, value = args.pop(0).partition(":")
            headers.append((name.strip(), value.strip()))
    hostport, path, records = args[0], args[1], json.loads(args[2])
    client = (Http2 if h2 else Http1)(hostport, path, headers)
    answers = []
    for i, record in enumerate(records):
        text = json.dumps(record).encode()
        if cut is not None and i == cut:
            client.send(text[:len(text) // 2])
            client.cut()
            break
        client.send(text)
        answers.append(client.answer())
    else:
        client.finish()
        answers += client.rest()
    print(json.dumps({"status": client.status, "content_type": client.content_type,
                      "answers": answers}))


main()
