"""A scripted HTTP server on a real loopback socket: each request gets the next scripted answer and is recorded."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Union
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    method: str
    path: str
    query: Dict[str, List[str]]
    headers: Dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Answer:
    status: int = 200
    body: Union[bytes, str, Dict[str, Any], List[Any], None] = None
    headers: Dict[str, str] = field(default_factory=dict)
    # "reset": close the connection without answering (a lost connection).
    action: Optional[str] = None
    # For event streams: written as they are, then the connection closes.
    stream: Optional[List[bytes]] = None


Responder = Callable[[Recorded], Answer]


class StubServer:
    def __init__(self) -> None:
        self.requests: List[Recorded] = []
        self._script: List[Union[Answer, Responder]] = []
        self._default: Union[Answer, Responder] = Answer(404, {"error": "not scripted", "code": "NOT_SCRIPTED"})
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                rec = Recorded(
                    self.command,
                    parts.path,
                    parse_qs(parts.query, keep_blank_values=True),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                answer = stub._next(rec)
                if answer.action == "reset":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if answer.stream is not None:
                    self.send_response(answer.status)
                    self.send_header("content-type", "text/event-stream")
                    self.send_header("connection", "close")
                    self.end_headers()
                    for chunk in answer.stream:
                        self.wfile.write(chunk)
                        self.wfile.flush()
                    self.close_connection = True
                    return
                payload = answer.body
                if isinstance(payload, (dict, list)):
                    data = json.dumps(payload).encode()
                    ctype = "application/json"
                elif isinstance(payload, str):
                    data, ctype = payload.encode(), "text/plain"
                else:
                    data, ctype = payload or b"", "application/octet-stream"
                self.send_response(answer.status)
                self.send_header("content-type", answer.headers.pop("content-type", ctype))
                for k, v in answer.headers.items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()

    def _next(self, rec: Recorded) -> Answer:
        with self._lock:
            self.requests.append(rec)
            item = self._script.pop(0) if self._script else self._default
        return item(rec) if callable(item) else Answer(item.status, item.body, dict(item.headers), item.action, item.stream)

    def script(self, *answers: Union[Answer, Responder]) -> "StubServer":
        """The next requests' answers, in order; after them every request gets `default`."""
        with self._lock:
            self._script.extend(answers)
        return self

    def default(self, answer: Union[Answer, Responder]) -> "StubServer":
        self._default = answer
        return self

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._script.clear()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def error(status: int, code: str, message: str = "no", headers: Optional[Dict[str, str]] = None, **extra: Any) -> Answer:
    return Answer(status, {"error": message, "code": code, **extra}, headers or {})


def ok(body: Any = None, status: int = 200) -> Answer:
    return Answer(status, body if body is not None else {})


__all__ = ["StubServer", "Answer", "Recorded", "error", "ok"]
