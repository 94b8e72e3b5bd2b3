"""Every Python example of README.md runs as written, in order, against the live server."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict

import httpx
import pytest

from conftest import LiveServer, Receiver
from postbox import Postbox
from readme_blocks import answer_when_created, forget_mailboxes, python_blocks

pytestmark = pytest.mark.integration


def test_readme_has_the_seed_examples() -> None:
    blocks = python_blocks()
    assert len(blocks) >= 20
    text = "\n".join(code for code, _, _ in blocks)
    for call in ["messages.wait(", "threads.list(", "drafts.create(", "attachments.upload(", "list_deliveries(",
                 "retry_delivery(", "pii_redaction_config=", "set_recipient_policy(", "list_blocked_attempts(",
                 "auto_paginate=True", "verify_webhook_signature(", "AsyncPostbox"]:
        assert call in text, call


def one_page_pdf(text: str) -> bytes:
    """A real one-page PDF showing `text` (the server reads uploads' text, so a stand-in would fail its scan)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_every_example_runs(live: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setenv("POSTBOX_API_KEY", live.admin_key)
    monkeypatch.setenv("POSTBOX_URL", live.url)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "invoice.pdf").write_bytes(one_page_pdf("Invoice 1042: 3 widgets, 42.00 EUR"))
    routes = set(httpx.get(f"{live.url}/v1/openapi.json").json()["paths"])

    with Postbox() as admin:
        forget_mailboxes(admin, live, "support", "support-async")
        answerer = answer_when_created(admin, live.deliver)
        # What the webhook examples take from the reader's own code: a webhook, one of its deliveries and a
        # request it received.
        rx = Receiver()
        hook = admin.webhooks.create(url=rx.url, enabled_events=["webhook.test"])
        delivery = admin.webhooks.test(hook["id"])
        headers, body = rx.got[-1]
        monkeypatch.setenv("POSTBOX_WEBHOOK_SECRET", hook["signing_secret"])
        namespace: Dict[str, Any] = {
            "__name__": "readme",
            "webhook_id": hook["id"],
            "delivery_id": delivery["id"],
            "request": SimpleNamespace(body=body, headers=headers),
        }
        try:
            ran = 0
            for code, requires, line in python_blocks():
                if requires:
                    method, path = requires.split()
                    if path not in routes:
                        continue  # the route comes with issue 14's branches
                try:
                    exec(compile(code, f"README.md:{line}", "exec"), namespace)
                except Exception as exc:
                    raise AssertionError(
                        f"README.md:{line} failed ({exc!r}); the answering thread: {answerer.error!r}"  # type: ignore[attr-defined]
                    ) from exc
                ran += 1
        finally:
            rx.httpd.shutdown()
            forget_mailboxes(admin, live, "support", "support-async")
    out = capsys.readouterr().out
    assert "Got reply from user@example.com: Re: Hello from my agent" in out
    assert "Hello from my agent (2 messages)" in out
    assert "Sent " in out and "Message not found" in out
    assert namespace["event"]["event"] == "webhook.test"
    assert ran >= len(python_blocks()) - 1
