"""What every scripted protocol server in tests/support shares: a real HTTP
server on a free loopback port, a queue of planned replies, and a record of
the requests it received."""

from __future__ import annotations

import abc
import json
import sys
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: ScriptedServer

    def handle_error(self, request, client_address):
        """A client that hangs up (a cancelled turn, a closed keep-alive) is not news."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class ScriptedHandler(BaseHTTPRequestHandler):
    """Replies go out as soon as they are written: with Nagle's algorithm a body sent after
    its headers waits for the client's delayed ACK (40 ms), which is not a model's time."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    json_content_type = "application/json"

    def log_message(self, format, *args):
        pass

    def _json(self, status: int, body: dict, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", self.json_content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class ScriptedServer(abc.ABC):
    handler: type[BaseHTTPRequestHandler]
    path_prefix = ""

    def __init__(self):
        self.replies: deque = deque()
        self.requests: list[dict] = []
        self.released = threading.Event()
        self._lock = threading.Lock()
        self._server: _Server | None = None

    def start(self):
        self._server = _Server(("127.0.0.1", 0), self.handler)
        self._server.owner = self
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{self.path_prefix}"

    def plan(self, *replies) -> None:
        with self._lock:
            self.replies.extend(replies)

    @abc.abstractmethod
    def unplanned_reply(self):
        """What a request gets when nothing more was planned."""

    def next_reply(self):
        with self._lock:
            if self.replies:
                return self.replies.popleft()
        return self.unplanned_reply()

    def record(self, path: str, headers: dict, body: dict, client_port: int = 0) -> None:
        with self._lock:
            self.requests.append({"path": path, "headers": headers, "body": body,
                                  "client_port": client_port})

    def accept(self, handler: BaseHTTPRequestHandler, body: dict):
        """Record a request and give it its planned reply, after any planned hang."""
        self.record(handler.path, {k.lower(): v for k, v in handler.headers.items()}, body,
                    client_port=handler.client_address[1])
        reply = self.next_reply()
        if reply.hang_seconds:
            handler.close_connection = True
            self.released.wait(reply.hang_seconds)
        return reply

    def release(self) -> None:
        """End every hang and stall in progress; later ones hang again."""
        released, self.released = self.released, threading.Event()
        released.set()

    def stop(self) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()
