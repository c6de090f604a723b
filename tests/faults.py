"""A fault-injecting HTTP proxy for tests (127.0.0.1, free port, its own thread).

Each request is answered by the upstream server or, with probability ``rate``,
by one of these faults, chosen by a seeded RNG:

- ``503``: answered 503 without forwarding;
- ``throttle``: an AppSync throttling error (HTTP 200, errorType) without forwarding;
- ``reset_before``: the connection is closed before forwarding;
- ``reset_after``: forwarded (so applied), then the connection is closed with no answer;
- ``timeout``: forwarded (so applied), the answer held back past the client's timeout.
"""

from __future__ import annotations

import http.client
import json
import random
import socket
import socketserver
import threading
import time
from collections import Counter

FAULTS = ("503", "throttle", "reset_before", "reset_after", "timeout")


class FaultProxy:
    def __init__(self, upstream_port: int, rate: float = 0.2, seed: int = 7, hold: float = 1.5) -> None:
        self.upstream_port = upstream_port
        self.rate = rate
        self.hold = hold
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                proxy._handle(self)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _pick(self) -> str | None:
        with self.lock:
            fault = self.rng.choice(FAULTS) if self.rng.random() < self.rate else None
            self.counts[fault or "ok"] += 1
            return fault

    def _handle(self, handler: socketserver.StreamRequestHandler) -> None:
        request_line = handler.rfile.readline().decode("latin-1").strip()
        if not request_line:
            return
        method, path, _ = request_line.split(" ", 2)
        headers = {}
        while True:
            line = handler.rfile.readline().decode("latin-1")
            if line in ("\r\n", "\n", ""):
                break
            name, _, value = line.partition(":")
            headers[name.strip()] = value.strip()
        length = int(headers.get("Content-Length") or headers.get("content-length") or 0)
        body = handler.rfile.read(length)
        fault = self._pick()
        if fault == "reset_before":
            return _reset(handler.connection)
        if fault == "503":
            return _reply(handler, 503, b"Service Unavailable", "text/plain")
        if fault == "throttle":
            payload = {"data": None, "errors": [{"errorType": "DynamoDB:ProvisionedThroughputExceededException",
                                                 "message": "Rate exceeded"}]}
            return _reply(handler, 200, json.dumps(payload).encode(), "application/json")
        upstream = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=30)
        forward = {k: v for k, v in headers.items() if k.lower() not in ("connection", "host", "content-length")}
        upstream.request(method, path, body=body, headers=forward)
        response = upstream.getresponse()
        data = response.read()
        upstream.close()
        if fault == "reset_after":
            return _reset(handler.connection)
        if fault == "timeout":
            time.sleep(self.hold)
        extra = [(k, v) for k, v in response.getheaders() if k.lower().startswith("x-amzn")]
        _reply(handler, response.status, data, response.getheader("content-type", "application/json"), extra)


def _reply(handler, status: int, body: bytes, content_type: str, extra=()) -> None:
    head = [f"HTTP/1.1 {status} X", f"Content-Type: {content_type}", f"Content-Length: {len(body)}",
            "Connection: close", *[f"{k}: {v}" for k, v in extra]]
    try:
        handler.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    except OSError:
        pass  # the client gave up (timeout): that is the point


def _reset(sock: socket.socket) -> None:
    # SO_LINGER 0: close with RST, as a crashed peer or middlebox would.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    sock.close()
