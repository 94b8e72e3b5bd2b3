"""What the client puts on the wire, against a stub server: paths, queries, bodies, headers; paging; the event
stream. The attachments methods are checked only here (their live tests come with those routes)."""

from __future__ import annotations

from typing import Any, List

import pytest

from postbox import NOT_GIVEN, AsyncPostbox, Page, Postbox, PostboxError
from stub_server import Answer, Recorded, StubServer, ok


def pb_for(stub: StubServer) -> Postbox:
    return Postbox(api_key="pb_test_key", base_url=stub.url + "/")


def one(stub: StubServer) -> Recorded:
    assert len(stub.requests) == 1, stub.requests
    return stub.requests[0]


def test_auth_header_and_no_content_type_without_a_body(stub: StubServer) -> None:
    stub.script(ok({"id": "k"}))
    with pb_for(stub) as pb:
        pb.api_keys.rotate()
    r = one(stub)
    assert (r.method, r.path) == ("POST", "/v1/accounts/api-keys/rotate")
    assert r.headers["authorization"] == "Bearer pb_test_key"
    assert "content-type" not in r.headers and r.body == b""
    assert r.headers["user-agent"].startswith("postbox-python/")


def test_environment_supplies_key_and_url(stub: StubServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTBOX_API_KEY", "pb_from_env")
    monkeypatch.setenv("POSTBOX_URL", stub.url)
    stub.script(ok({"status": "ok"}))
    with Postbox() as pb:
        pb.health.check()
    assert one(stub).headers["authorization"] == "Bearer pb_from_env"
    monkeypatch.delenv("POSTBOX_API_KEY")
    with pytest.raises(PostboxError) as exc:
        Postbox()
    assert exc.value.code == "API_KEY_REQUIRED"


def test_send_body_and_headers(stub: StubServer) -> None:
    stub.script(ok({"message_id": "m"}))
    with pb_for(stub) as pb:
        pb.messages.send(
            from_mailbox="support",
            to=["a@example.com", "b@example.com"],
            subject="Hi",
            body="Hello",
            thread_id=None,
            attachment_ids=["u1"],
            idempotency_key="job-42",
            strict_outcome=True,
        )
    r = one(stub)
    assert (r.method, r.path, r.headers["content-type"]) == ("POST", "/v1/messages/send", "application/json")
    assert r.json() == {
        "from_mailbox": "support",
        "to": ["a@example.com", "b@example.com"],
        "subject": "Hi",
        "body": "Hello",
        "thread_id": None,
        "attachment_ids": ["u1"],
    }
    assert r.headers["idempotency-key"] == "job-42" and r.headers["prefer"] == "outcome=strict"


def test_revise_sends_only_the_given_fields(stub: StubServer) -> None:
    stub.script(ok({"id": "m"}))
    with pb_for(stub) as pb:
        pb.reviews.revise("m/1", text="Details on file.", html=None, note="removed the SSN")
    r = one(stub)
    assert (r.method, r.path) == ("POST", "/v1/messages/m%2F1/revise")
    assert r.json() == {"text": "Details on file.", "html": None, "note": "removed the SSN"}


def test_path_segments_are_escaped_and_queries_encoded(stub: StubServer) -> None:
    stub.default(ok({"messages": [], "has_more": False, "next_cursor": None}))
    with pb_for(stub) as pb:
        pb.mailboxes.allowlist.delete("support", "@corp.com", force_empty=True)
        pb.messages.list("support", unread=True, starred=False, view="verbose", limit=5)
        pb.suppressions.delete("a/b@example.com")
    r1, r2, r3 = stub.requests
    assert (r1.method, r1.path, r1.query) == ("DELETE", "/v1/mailboxes/support/allowlist/%40corp.com", {"force_empty": ["true"]})
    assert r2.query == {"unread": ["true"], "starred": ["false"], "view": ["verbose"], "limit": ["5"]}
    assert r3.path == "/v1/suppressions/a%2Fb%40example.com"


def test_not_given_is_left_out_and_none_is_null(stub: StubServer) -> None:
    stub.default(ok({"id": "d"}))
    with pb_for(stub) as pb:
        pb.drafts.update("d1", attachment_ids=None)
        pb.drafts.update("d1", subject="S", attachment_ids=NOT_GIVEN)
    assert stub.requests[0].json() == {"attachment_ids": None}
    assert stub.requests[1].json() == {"subject": "S"}


def test_page_and_auto_paginate_follow_next_cursor(stub: StubServer) -> None:
    pages = {
        None: {"mailboxes": [{"id": "1"}, {"id": "2"}], "has_more": True, "next_cursor": "c2"},
        "c2": {"mailboxes": [{"id": "3"}], "has_more": False, "next_cursor": None},
    }
    stub.default(lambda r: ok(pages[r.query.get("cursor", [None])[0]]))
    with pb_for(stub) as pb:
        page = pb.mailboxes.list(limit=2)
        assert isinstance(page, Page)
        assert ([m["id"] for m in page.data], page.has_more, page.cursor) == (["1", "2"], True, "c2")
        assert [m["id"] for m in pb.mailboxes.list(limit=2, auto_paginate=True)] == ["1", "2", "3"]
    assert [r.query for r in stub.requests[1:]] == [{"limit": ["2"]}, {"limit": ["2"], "cursor": ["c2"]}]


async def test_async_auto_paginate(stub: StubServer) -> None:
    pages = {
        None: {"events": [{"id": "e1"}], "has_more": True, "next_cursor": "k1"},
        "k1": {"events": [{"id": "e2"}], "has_more": False, "next_cursor": "k2"},
    }
    stub.default(lambda r: ok(pages[r.query.get("after", [None])[0]]))
    async with AsyncPostbox(api_key="pb_test", base_url=stub.url) as pb:
        page = await pb.events.list(types=["message.received", "message.sent"])
        assert page.cursor == "k1"
        ids = [e["id"] async for e in pb.events.list(auto_paginate=True)]
    assert ids == ["e1", "e2"]
    assert stub.requests[0].query == {"types": ["message.received,message.sent"]}
    assert stub.requests[2].query == {"after": ["k1"]}


def test_list_deliveries_sends_the_tuple_cursor_only_whole(stub: StubServer) -> None:
    stub.default(ok({"deliveries": [], "has_more": False, "next_before_at": None, "next_before_id": None}))
    with pb_for(stub) as pb:
        pb.webhooks.list_deliveries("w1", limit=50, before_at="2026-01-01T00:00:00Z")
        pb.webhooks.list_deliveries("w1", limit=50, before_at="2026-01-01T00:00:00Z", before_id="d9")
    assert stub.requests[0].query == {"limit": ["50"]}
    assert stub.requests[1].query == {"limit": ["50"], "before_at": ["2026-01-01T00:00:00Z"], "before_id": ["d9"]}


def test_attachments_requests(stub: StubServer) -> None:
    stub.default(ok({"id": "u1", "content_scan_status": "pending"}))
    with pb_for(stub) as pb:
        pb.attachments.get_download_url("m1", 0)
        pb.attachments.get_preview("m1", 2)
        handle = pb.attachments.upload(
            mailbox_id="support", file=b"%PDF-1.4 hello", filename="invoice.pdf", content_type="application/pdf"
        )
        pb.attachments.get_upload(handle["id"])
        pb.attachments.delete_upload(handle["id"])
    get_url, preview, upload, get_upload, delete = stub.requests
    assert (get_url.method, get_url.path) == ("GET", "/v1/messages/m1/attachments/0")
    assert (preview.method, preview.path) == ("GET", "/v1/messages/m1/attachments/2/preview")
    assert (upload.method, upload.path) == ("POST", "/v1/attachments")
    assert upload.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="mailbox_id"\r\n\r\nsupport' in upload.body
    assert b'name="file"; filename="invoice.pdf"' in upload.body
    assert b"Content-Type: application/pdf\r\n\r\n%PDF-1.4 hello" in upload.body
    assert (get_upload.method, get_upload.path) == ("GET", "/v1/attachments/u1")
    assert (delete.method, delete.path) == ("DELETE", "/v1/attachments/u1")


def test_upload_takes_a_file_object(stub: StubServer, tmp_path: Any) -> None:
    stub.default(ok({"id": "u2"}))
    f = tmp_path / "notes.txt"
    f.write_bytes(b"plain text")
    with pb_for(stub) as pb, open(f, "rb") as fh:
        pb.attachments.upload(mailbox_id="support", file=fh, filename="notes.txt")
    body = one(stub).body
    assert b'filename="notes.txt"' in body and b"application/octet-stream\r\n\r\nplain text" in body


def test_domains_requests(stub: StubServer) -> None:
    stub.default(lambda r: ok({"domains": [], "has_more": False, "next_cursor": None} if r.path == "/v1/domains" and r.method == "GET" else {"id": "dm1"}))
    with pb_for(stub) as pb:
        pb.domains.create(domain="agents.example.com")
        pb.domains.list()
        pb.domains.get("agents.example.com")
        pb.domains.verify("dm1")
        pb.domains.get_zone_file("dm1")
        pb.domains.set_default("dm1")
        pb.domains.delete("dm1")
        pb.domains.get_dkim_record()
    got = [(r.method, r.path) for r in stub.requests]
    assert got == [
        ("POST", "/v1/domains"),
        ("GET", "/v1/domains"),
        ("GET", "/v1/domains/agents.example.com"),
        ("POST", "/v1/domains/dm1/verify"),
        ("GET", "/v1/domains/dm1/zone-file"),
        ("PATCH", "/v1/domains/dm1/set-default"),
        ("DELETE", "/v1/domains/dm1"),
        ("GET", "/v1/dkim"),
    ]
    assert stub.requests[0].json() == {"domain": "agents.example.com"}


def test_the_zone_file_is_text(stub: StubServer) -> None:
    stub.script(Answer(200, "$TTL 3600\nagents.example.com.\tIN\tMX\t10 mx.example.\n", {"content-type": "text/plain"}))
    with pb_for(stub) as pb:
        assert pb.domains.get_zone_file("agents.example.com").startswith("$TTL 3600\n")


def test_legal_holds_requests(stub: StubServer) -> None:
    stub.default(lambda r: ok({"legal_holds": [{"id": "h1"}], "has_more": False, "next_cursor": None} if r.method == "GET" and r.path == "/v1/legal-holds" else {"id": "h1"}))
    with pb_for(stub) as pb:
        pb.legal_holds.create(scope="mailbox", reason="litigation", mailbox_id="support", case_reference="C-1")
        assert [h["id"] for h in pb.legal_holds.list(include_released=True, limit=10, cursor="c1").data] == ["h1"]
        pb.legal_holds.get("h1")
        pb.legal_holds.release("h1", release_reason="settled")
        pb.legal_holds.create(scope="account", reason="audit")
    create, lst, get, release, account = stub.requests
    assert create.json() == {"scope": "mailbox", "reason": "litigation", "mailbox_id": "support", "case_reference": "C-1"}
    assert (lst.path, lst.query) == ("/v1/legal-holds", {"include_released": ["true"], "limit": ["10"], "cursor": ["c1"]})
    assert account.json() == {"scope": "account", "reason": "audit"}
    assert (get.method, get.path) == ("GET", "/v1/legal-holds/h1")
    assert (release.method, release.path, release.json()) == ("POST", "/v1/legal-holds/h1/release", {"release_reason": "settled"})


def test_recipients_requests(stub: StubServer) -> None:
    stub.default(lambda r: ok({"recipients": [], "has_more": False, "next_cursor": None} if r.method == "GET" else {"id": "r1"}))
    with pb_for(stub) as pb:
        pb.recipients.create(email="bob@example.com")
        pb.recipients.list(limit=5, cursor="c1")
        pb.recipients.resend("r1")
        pb.recipients.delete("r1")
    got = [(r.method, r.path) for r in stub.requests]
    assert got == [("POST", "/v1/recipients"), ("GET", "/v1/recipients"), ("POST", "/v1/recipients/r1/resend"), ("DELETE", "/v1/recipients/r1")]
    assert stub.requests[0].json() == {"email": "bob@example.com"}
    assert stub.requests[1].query == {"limit": ["5"], "cursor": ["c1"]}


def test_sandbox_retention_and_export_requests(stub: StubServer) -> None:
    stub.default(lambda r: Answer(200, b"PK\x05\x06" + b"\0" * 18, {"content-type": "application/zip"}) if r.query.get("format") == ["zip"] else ok({}))
    with pb_for(stub) as pb:
        pb.account.update_policy(sandbox=True, retention_days=None)
        pb.mailboxes.update("support", sandbox=False, retention_days=14)
        pb.mailboxes.create(name="sales", domain="agents.example.com")
        pb.account.export()
        assert pb.account.export(format="zip").startswith(b"PK")
    policy, mailbox, create, json_export, zip_export = stub.requests
    assert (policy.method, policy.path, policy.json()) == ("PATCH", "/v1/account/policy", {"sandbox": True, "retention_days": None})
    assert mailbox.json() == {"sandbox": False, "retention_days": 14}
    assert create.json() == {"name": "sales", "domain": "agents.example.com"}
    assert (json_export.path, json_export.query) == ("/v1/accounts/export", {"format": ["json"]})
    assert zip_export.query == {"format": ["zip"]}


def test_policy_test_with_raw_mime(stub: StubServer) -> None:
    stub.default(ok({"outcome": "accepted"}))
    raw = b"From: a@partner.example\r\nTo: support@test.local\r\nSubject: x\r\n\r\nhi\r\n"
    with pb_for(stub) as pb:
        pb.policies.test_policy("support", raw=raw, mail_from="a@partner.example", client_ip="192.0.2.1")
        pb.policies.test_policy("support", {"from": "a@partner.example", "body": "hi", "dkim": True})
    r1, r2 = stub.requests
    assert r1.headers["content-type"] == "message/rfc822" and r1.body == raw
    assert r1.query == {"mail_from": ["a@partner.example"], "client_ip": ["192.0.2.1"]}
    assert r2.json() == {"from": "a@partner.example", "body": "hi", "dkim": True}


def sse(*events: str) -> List[bytes]:
    return [e.encode() for e in events]


def test_event_stream_resumes_after_the_last_event(stub: StubServer) -> None:
    first = sse(
        ": keep-alive\n\n",
        'id: c1\nevent: message.received\ndata: {"id": "evt_1", "cursor": "c1"}\n\n',
        'id: c2\nevent: message.sent\ndata: {"id": "evt_2",\ndata:  "cursor": "c2"}\n\n',
    )
    second = sse('id: c3\ndata: {"id": "evt_3", "cursor": "c3"}\n\n')
    stub.script(Answer(stream=first), Answer(stream=second))
    got: List[str] = []
    with pb_for(stub) as pb:
        pb._sleep = lambda s: None  # type: ignore[method-assign]
        for event in pb.events.stream(types=["message.received"], mailbox_id="support"):
            got.append(event["id"])
            if len(got) == 3:
                break
    assert got == ["evt_1", "evt_2", "evt_3"]
    a, b = stub.requests
    assert a.headers["accept"] == "text/event-stream" and "last-event-id" not in a.headers
    assert a.query == {"types": ["message.received"], "mailbox_id": ["support"]}
    assert b.headers["last-event-id"] == "c2"


async def test_async_event_stream_raises_on_a_client_error(stub: StubServer) -> None:
    stub.script(Answer(stream=sse('id: c1\ndata: {"id": "evt_1"}\n\n')), Answer(429, {"error": "too many", "code": "STREAM_LIMIT_REACHED"}))
    got: List[str] = []
    async with AsyncPostbox(api_key="pb_test", base_url=stub.url) as pb:
        async def no_sleep(s: float) -> None:
            return None
        pb._sleep = no_sleep  # type: ignore[method-assign]
        with pytest.raises(PostboxError) as exc:
            async for event in pb.events.stream(after="c0"):
                got.append(event["id"])
    assert got == ["evt_1"] and exc.value.code == "STREAM_LIMIT_REACHED"
    assert stub.requests[0].headers["last-event-id"] == "c0"
    assert stub.requests[1].headers["last-event-id"] == "c1"
