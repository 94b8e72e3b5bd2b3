"""Fixtures: a stub HTTP server for unit tests, and one real Postbox for the whole session for integration tests."""

from __future__ import annotations

import json
import os
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, NoReturn, Optional, Tuple

import pytest

HERE = Path(__file__).resolve().parent
SDK = HERE.parent
REPO = SDK.parent.parent
sys.path.insert(0, str(SDK))
sys.path.insert(0, str(HERE))

from dns_answerer import DnsAnswerer  # noqa: E402
from smtp_sink import SmtpSink  # noqa: E402
from stub_server import StubServer  # noqa: E402


@pytest.fixture
def stub() -> Iterator[StubServer]:
    server = StubServer()
    yield server
    server.close()


@dataclass
class LiveServer:
    url: str
    admin_key: str
    smtp_port: int
    domain: str
    data_dir: str
    log: list
    dns: DnsAnswerer
    """The server's DNS resolver: publish a domain's records here before verifying it."""
    relay: SmtpSink
    """The server's outbound relay: every message Postbox mailed, in `relay.messages`."""

    def deliver(self, to: str, subject: str, body: str, sender: str = "alice@partner.example",
                headers: Optional[dict] = None) -> str:
        """Sends a message to the server over SMTP, as any mail server would; returns its Message-ID."""
        msg = EmailMessage()
        msg["From"] = sender
        msg["To"] = to
        msg["Subject"] = subject
        msg["Message-ID"] = f"<{uuid.uuid4()}@partner.example>"
        for k, v in (headers or {}).items():
            msg[k] = v
        msg.set_content(body)
        with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=60) as smtp:
            smtp.send_message(msg)
        return str(msg["Message-ID"])

    def refuses(self, address: str) -> bool:
        """Whether SMTP refuses mail to `address` now (RCPT TO answered 5xx)."""
        with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=60) as smtp:
            smtp.ehlo()
            smtp.mail("probe@partner.example")
            code, _ = smtp.rcpt(address)
            smtp.rset()
        return code >= 500


def wait_until(check: Callable[[], object], what: str, limit: float = 120.0, every: float = 0.05) -> object:
    """Polls `check` until it returns something truthy; `limit` is a hang guard, not a deadline under test."""
    end = time.monotonic() + limit
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(every)


def missing(why: str) -> NoReturn:
    """A prerequisite is absent: skipped on a developer's machine, a failure under CI (where .ci/run installs it)."""
    if os.environ.get("CI"):
        pytest.fail(why)
    pytest.skip(why)


@pytest.fixture(scope="session")
def live() -> Iterator[LiveServer]:
    """`npx postbox serve` from the repository, on a temporary data dir (embedded PGlite) and free ports."""
    if shutil.which("npx") is None or not (REPO / "node_modules").is_dir():
        missing("needs Node.js and the repository's node_modules (npm ci)")
    data_dir = tempfile.mkdtemp(prefix="postbox-pysdk-")
    dns, relay = DnsAnswerer(), SmtpSink()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", data_dir),
        "POSTBOX_DATA_DIR": data_dir,
        "POSTBOX_HTTP_PORT": "0",
        "POSTBOX_SMTP_PORT": "0",
        "POSTBOX_DOMAIN": "test.local",
        "POSTBOX_LOG_LEVEL": "info",
        "POSTBOX_VALIDATE_RESPONSES": "1",
        "POSTBOX_WEBHOOK_ALLOW_PRIVATE": "1",
        # Outbound mail goes to a sink on loopback that keeps it: nothing leaves the machine.
        "POSTBOX_SMTP_RELAY": relay.url,
        "POSTBOX_AUTH_TIMEOUT_MS": "2000",
        "POSTBOX_DNS_SERVERS": dns.address,
    }
    proc = subprocess.Popen(
        ["npx", "--no-install", "postbox", "serve"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: npx and the node it starts stop together
    )
    listening: dict = {}
    stderr_lines: list = []

    def read_stderr() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            stderr_lines.append(line)
            if '"msg":"listening"' in line and not listening:
                listening.update(json.loads(line))

    threading.Thread(target=read_stderr, daemon=True).start()
    threading.Thread(target=lambda: proc.stdout and proc.stdout.read(), daemon=True).start()
    try:
        wait_until(lambda: listening or proc.poll() is not None, "postbox serve to listen", limit=300)
        if not listening:
            raise RuntimeError("postbox serve exited before listening:\n" + "".join(stderr_lines[-30:]))
        key = Path(data_dir, "admin.key").read_text().strip()
        yield LiveServer(
            url=f"http://127.0.0.1:{listening['http_port']}",
            admin_key=key,
            smtp_port=int(listening["smtp_port"]),
            domain="test.local",
            data_dir=data_dir,
            log=stderr_lines,
            dns=dns,
            relay=relay,
        )
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        dns.close()
        relay.close()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def live_env(live: LiveServer, monkeypatch: pytest.MonkeyPatch) -> LiveServer:
    """POSTBOX_API_KEY and POSTBOX_URL point at the live server."""
    monkeypatch.setenv("POSTBOX_API_KEY", live.admin_key)
    monkeypatch.setenv("POSTBOX_URL", live.url)
    return live


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class Receiver:
    """A webhook endpoint on loopback that records each delivery and answers `status`."""

    def __init__(self) -> None:
        self.got: List[Tuple[Dict[str, str], bytes]] = []
        self.status = 204
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                receiver.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.status)
                self.send_header("content-length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
