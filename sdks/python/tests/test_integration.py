"""Every resource against a real Postbox (`npx postbox serve`, embedded PGlite) started by the test session."""

from __future__ import annotations

from typing import Any, Dict, Iterator

import httpx
import pytest

from conftest import LiveServer, Receiver, unique, wait_until
from postbox import (
    AsyncPostbox,
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    Page,
    Postbox,
    ValidationError,
    verify_webhook_signature,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def pb(live: LiveServer) -> Iterator[Postbox]:
    with Postbox(api_key=live.admin_key, base_url=live.url) as client:
        yield client


def arrived(pb: Postbox, mailbox: str, subject: str) -> Dict[str, Any]:
    """The inbound message with this subject, once the pipeline has made it available."""
    def find() -> Any:
        return next((m for m in pb.messages.list(mailbox, direction="inbound").data if m["subject"] == subject), None)
    return wait_until(find, f"{subject!r} in {mailbox}")  # type: ignore[return-value]


def test_mail_in_wait_read_reply_threads(pb: Postbox, live: LiveServer) -> None:
    name = unique("inbox")
    mailbox = pb.mailboxes.create(name=name, display_name="Inbox")
    assert mailbox["address"] == f"{name}@{live.domain}"
    assert pb.mailboxes.get(mailbox["id"])["name"] == name
    assert name in [m["name"] for m in pb.mailboxes.list(auto_paginate=True)]

    live.deliver(mailbox["address"], "Thursday", "Can we meet on Thursday?")
    result = pb.messages.wait(name, timeout=30)
    msg = result["message"]
    assert msg is not None and msg["subject"] == "Thursday" and msg["direction"] == "inbound"
    assert pb.messages.wait(name, timeout=1, since=result["cursor"])["message"] is None

    full = pb.messages.get(msg["id"])
    assert full["body"]["content"] is not None and "Thursday" in full["body"]["content"]
    assert pb.messages.get(msg["id"], view="summary")["id"] == msg["id"]
    assert b"Subject: Thursday" in pb.messages.get_raw(msg["id"])
    assert pb.messages.star(msg["id"])["starred"] is True
    pb.messages.mark_read(msg["id"])
    assert [m["id"] for m in pb.messages.list(name, starred=True).data] == [msg["id"]]
    assert pb.messages.list(name, unread=True).data == []

    reply = pb.messages.reply(msg["id"], body="Thursday works.", idempotency_key=unique("reply"))
    assert reply["status"] == "sent" and reply["thread_id"] == full["thread_id"]
    threads = pb.threads.list(name)
    assert isinstance(threads, Page)
    thread = threads.data[0]
    assert (thread["subject"], thread["message_count"]) == ("Thursday", 2)
    got = pb.threads.get(thread["id"])
    assert [m["direction"] for m in got["messages"]] == ["inbound", "outbound"]
    assert pb.threads.star(name, thread["id"], True)["starred"] is True
    assert pb.threads.mark_read(name, thread["id"])["thread_id"] == thread["id"]

    deleted = pb.messages.delete(msg["id"])
    assert deleted["deleted"] is True
    with pytest.raises(NotFoundError):
        pb.messages.get("nonexistent")


def test_send_idempotency_and_strict_outcome(pb: Postbox) -> None:
    name = unique("sender")
    pb.mailboxes.create(name=name)
    key = unique("idem")
    first = pb.messages.send(from_mailbox=name, to="bob@example.com", subject="Hi", body="Hello", idempotency_key=key)
    again = pb.messages.send(from_mailbox=name, to="bob@example.com", subject="Hi", body="Hello", idempotency_key=key)
    assert first["message_id"] == again["message_id"] and first["email_effect"]["effect_status"] == "sent"
    assert pb.messages.outcome_of(key)["message_id"] == first["message_id"]
    with pytest.raises(NotFoundError):
        pb.messages.outcome_of(unique("unused"))
    pb.mailboxes.update(name, hitl_mode="all_outbound")
    with pytest.raises(ConflictError) as exc:
        pb.messages.send(from_mailbox=name, to="bob@example.com", subject="Held", body="x", strict_outcome=True)
    assert exc.value.code == "EMAIL_EFFECT_HELD"


def test_drafts(pb: Postbox) -> None:
    name = unique("drafts")
    pb.mailboxes.create(name=name)
    draft = pb.drafts.create(mailbox_id=name, to="user@example.com", subject="Re: invoice", body="Thanks.")
    assert draft["worst_decision"] == "allow" and draft["state"] == "draft"
    assert pb.drafts.get(draft["id"])["subject"] == "Re: invoice"
    assert pb.drafts.update(draft["id"], subject="Re: your invoice")["subject"] == "Re: your invoice"
    assert [d["id"] for d in pb.drafts.list(name, auto_paginate=True)] == [draft["id"]]
    sent = pb.drafts.send(draft["id"])
    assert sent["status"] == "sent"
    with pytest.raises(ConflictError) as exc:
        pb.drafts.send(draft["id"])
    assert exc.value.code == "DRAFT_ALREADY_SENT"
    other = pb.drafts.create(mailbox_id=name, to="user@example.com", subject="Later", body="x")
    assert pb.drafts.delete(other["id"])["deleted"] is True


def test_recipient_allowlist_and_blocked_attempts(pb: Postbox) -> None:
    name = unique("contained")
    pb.mailboxes.create(name=name)
    added = pb.mailboxes.allowlist.add(name, "partner@corp.com")
    assert added["pattern_type"] == "email"
    bulk = pb.mailboxes.allowlist.add_bulk(name, ["alice@corp.com", "@partner.com", "not-an-email"])
    assert [a["pattern_type"] for a in bulk["added"]] == ["email", "domain"]
    assert bulk["invalid"][0]["email"] == "not-an-email" and bulk["invalid"][0]["reason"] == "invalid_format"
    page = pb.mailboxes.allowlist.list(name)
    assert page.response["mode"] == "blocklist" and len(page.data) == 3
    assert pb.mailboxes.set_recipient_policy(name, "allowlist")["mode"] == "allowlist"
    with pytest.raises(ForbiddenError) as exc:
        pb.messages.send(from_mailbox=name, to="eve@elsewhere.example", subject="x", body="y")
    assert exc.value.code == "RECIPIENT_NOT_ON_ALLOWLIST"
    assert pb.messages.send(from_mailbox=name, to="bob@partner.com", subject="x", body="y")["status"] == "sent"
    groups = pb.mailboxes.allowlist.list_blocked_attempts(name, within_days=7)
    assert [(a["recipient"], a["count"]) for a in groups["attempts"]] == [("eve@elsewhere.example", 1)]
    raw = pb.mailboxes.allowlist.list_blocked_attempts(name, aggregate=False, limit=100)
    assert raw["attempts"][0]["recipient"] == "eve@elsewhere.example"
    pb.mailboxes.allowlist.delete(name, "alice@corp.com")
    pb.mailboxes.allowlist.delete(name, "@partner.com")
    with pytest.raises(ConflictError) as last:
        pb.mailboxes.allowlist.delete(name, "partner@corp.com")
    assert last.value.code == "ALLOWLIST_LAST_ENTRY"
    assert pb.mailboxes.allowlist.delete(name, "partner@corp.com", force_empty=True)["deleted"] is True
    with pytest.raises(ValidationError) as empty:
        pb.mailboxes.set_recipient_policy(name, "blocklist") and pb.mailboxes.set_recipient_policy(name, "allowlist")
    assert empty.value.code == "ALLOWLIST_EMPTY"


def test_inbound_allowlist_and_sender_policy(pb: Postbox) -> None:
    name = unique("gated")
    pb.mailboxes.create(name=name)
    pb.mailboxes.inbound_allowlist.add(name, "@partner.example")
    assert pb.mailboxes.set_sender_policy(name, "allowlist")["sender_policy_mode"] == "allowlist"
    assert [e["email"] for e in pb.mailboxes.inbound_allowlist.list(name, auto_paginate=True)] == ["@partner.example"]
    assert pb.mailboxes.inbound_allowlist.list_blocked_attempts(name)["attempts"] == []
    assert pb.mailboxes.inbound_allowlist.add_bulk(name, ["a@b.example"])["counts"]["added"] == 1
    pb.mailboxes.inbound_allowlist.delete(name, "a@b.example")


def test_suppressions_and_inbound_blocklist(pb: Postbox) -> None:
    name = unique("supp")
    pb.mailboxes.create(name=name)
    gone = unique("gone") + "@example.com"
    assert pb.suppressions.add(email=gone, reason="manual")["email"] == gone
    assert pb.suppressions.add(email="@competitor.example")["pattern_type"] == "domain"
    assert pb.suppressions.add_bulk(emails=["x@y.example", "bad"])["counts"]["invalid"] == 1
    assert gone in [s["email"] for s in pb.suppressions.list(reason="manual", auto_paginate=True)]
    with pytest.raises(ForbiddenError) as exc:
        pb.messages.send(from_mailbox=name, to=gone, subject="x", body="y")
    assert exc.value.code == "RECIPIENT_SUPPRESSED"
    assert pb.suppressions.delete(gone)["deleted"] is True

    spam = unique("spam") + "@spam.example"
    pb.inbound_blocklist.add(email=spam, reason="phishing")
    assert pb.inbound_blocklist.add_bulk(emails=["@junk.example"])["counts"]["added"] == 1
    assert spam in [e["email"] for e in pb.inbound_blocklist.list(auto_paginate=True)]
    assert pb.inbound_blocklist.delete(spam)["deleted"] is True


def test_api_keys_scoping_rotation_and_another_account(pb: Postbox, live: LiveServer) -> None:
    mine, other = unique("agent-box"), unique("other-box")
    pb.mailboxes.create(name=mine)
    pb.mailboxes.create(name=other)
    created = pb.api_keys.create(role="agent", label="triage", mailbox_ids=[mine])
    with Postbox(api_key=created["api_key"], base_url=live.url) as agent:
        assert agent.account.whoami()["role"] == "agent"
        assert agent.mailboxes.get(mine)["name"] == mine
        with pytest.raises(ForbiddenError):
            agent.mailboxes.get(other)
        with pytest.raises(ForbiddenError):
            agent.mailboxes.allowlist.add(mine, "x@y.example")
        rotated = agent.api_keys.rotate()
        with pytest.raises(AuthenticationError):
            agent.mailboxes.get(mine)
    with Postbox(api_key=rotated["api_key"], base_url=live.url) as agent:
        assert agent.mailboxes.get(mine)["name"] == mine
    assert pb.api_keys.update(rotated["id"], mailbox_ids=[other])["mailbox_ids"]
    assert pb.api_keys.revoke(rotated["id"])["status"] == "revoked"
    assert rotated["id"] in [k["id"] for k in pb.api_keys.list(include_revoked=True).data]
    assert rotated["id"] not in [k["id"] for k in pb.api_keys.list().data]

    # Another account (created by the operator) sees nothing of this one.
    tenant = httpx.post(
        f"{live.url}/v1/operator/accounts",
        headers={"authorization": f"Bearer {live.admin_key}"},
        json={"name": unique("tenant")},
    ).json()
    with Postbox(api_key=tenant["admin_key"], base_url=live.url) as stranger:
        with pytest.raises((NotFoundError, ForbiddenError)):
            stranger.mailboxes.get(mine)
        assert mine not in [m["name"] for m in stranger.mailboxes.list(auto_paginate=True)]


def test_account_and_health(pb: Postbox) -> None:
    assert pb.health.check()["status"] == "ok"
    assert pb.account.get()["id"]
    usage = pb.account.get_usage()
    assert usage["today"]["limit"] > 0 and "mailbox_count" in usage
    assert "sends_remaining" in pb.account.get_quota()
    before = pb.account.get_policy()
    assert pb.account.update_policy(custom_daily_send_limit=5000)["custom_daily_send_limit"] == 5000
    pb.account.update_policy(custom_daily_send_limit=before["custom_daily_send_limit"])


def test_policies_audit_and_rules(pb: Postbox, live: LiveServer) -> None:
    name = unique("governed")
    box = pb.mailboxes.create(name=name)
    policy = {
        "defaultAction": "bounce",
        "senders": [{"match": {"domain": "partner.example"}, "capabilities": ["read"]}],
        "auditLog": {"retentionDays": 30},
    }
    set_ = pb.policies.set_policy(name, policy)  # type: ignore[arg-type]
    assert pb.policies.get_policy(name)["mailbox_id"] == box["id"] and set_["mailbox_id"] == box["id"]
    accepted = pb.policies.test_policy(name, {"from": "alice@partner.example", "body": "hello"})
    refused = pb.policies.test_policy(name, {"from": "mallory@evil.example", "body": "hello"})
    assert accepted["outcome"] == "accepted" and refused["outcome"] == "rejected_at_policy"
    raw = b"From: alice@partner.example\r\nTo: " + box["address"].encode() + b"\r\nSubject: t\r\n\r\nhi\r\n"
    assert pb.policies.test_policy(name, raw=raw, mail_from="alice@partner.example")["outcome"]
    preview = pb.policies.preview(name, to="bob@example.com", subject="x", body="y")
    assert preview["result"]

    live.deliver(box["address"], "Audited", "hello", sender="alice@partner.example")
    entries = wait_until(lambda: pb.audit.list(name).data, "an audit entry")
    assert entries[0]["outcome"] == "accepted"  # type: ignore[index]
    assert [e["seq"] for e in pb.audit.list(name, auto_paginate=True)] == [e["seq"] for e in entries]  # type: ignore[union-attr]
    assert pb.audit.verify(name)["ok"] is True

    rules = {"rules": [{"when": {"from": "*@partner.example"}, "action": {"type": "label", "label": "partners"}}]}
    assert pb.rules.set(name, rules)["rules"][0]["action"]["type"] == "label"  # type: ignore[arg-type]
    assert pb.rules.get(name)["rules"][0]["when"]["from"] == "*@partner.example"
    with pytest.raises(ValidationError) as bad:
        pb.rules.set(name, {"rules": [{"action": {"type": "forward", "to": "nope"}}]})  # type: ignore[typeddict-item]
    assert bad.value.field_errors or bad.value.code


def test_reviews_and_moderation(pb: Postbox) -> None:
    name = unique("reviewed")
    pb.mailboxes.create(name=name)
    pb.mailboxes.update(name, hitl_mode="all_outbound")
    held = pb.messages.send(from_mailbox=name, to="bob@example.com", subject="Needs a human", body="x")
    denied = pb.messages.send(from_mailbox=name, to="bob@example.com", subject="Deny me", body="x")
    assert held["status"] == "pending_review"
    queue = [m["id"] for m in pb.reviews.list(mailbox=name, auto_paginate=True)]
    assert queue == [held["message_id"], denied["message_id"]]
    assert pb.reviews.approve(held["message_id"], note="fine")["message_id"] == held["message_id"]
    assert pb.reviews.deny(denied["message_id"], note="no")["status"]
    assert pb.reviews.list(mailbox=name).data == []

    quarantined = pb.simulator.inbound(mailbox_id=name, scenario="prompt_injection_quarantined")
    qid = quarantined["message_id"]
    wait_until(lambda: pb.messages.get(qid)["state"] == "quarantined", "the quarantine")
    assert pb.messages.release(qid, note="false positive")["status"] == "available"
    again = pb.simulator.inbound(mailbox_id=name, scenario="prompt_injection_quarantined")
    wait_until(lambda: pb.messages.get(again["message_id"])["state"] == "quarantined", "the quarantine")
    assert pb.messages.block(again["message_id"])["status"] == "blocked"
    third = pb.simulator.inbound(mailbox_id=name, scenario="prompt_injection_quarantined")
    wait_until(lambda: pb.messages.get(third["message_id"])["state"] == "quarantined", "the quarantine")
    assert pb.messages.report(third["message_id"])["status"] == "blocked"


def test_events_replay_and_stream(pb: Postbox) -> None:
    name = unique("events")
    pb.mailboxes.create(name=name)
    start = pb.events.list(mailbox_id=name, limit=1)
    cursor = start.cursor
    while True:  # to the end of the log
        page = pb.events.list(mailbox_id=name, after=cursor, limit=100)
        cursor = page.cursor or cursor
        if not page.has_more:
            break
    sent = pb.messages.send(from_mailbox=name, to="bob@example.com", subject="Evented", body="x")
    for event in pb.events.stream(mailbox_id=name, after=cursor):
        if event["data"].get("message_id") == sent["message_id"]:
            break
    replay = [e for e in pb.events.list(mailbox_id=name, after=cursor, auto_paginate=True)]
    assert any(e["data"].get("message_id") == sent["message_id"] for e in replay)


def test_webhooks_all_nine(pb: Postbox) -> None:
    rx = Receiver()
    try:
        hook = pb.webhooks.create(url=rx.url, enabled_events=["message.received", "webhook.test"], description="t")
        secret = hook["signing_secret"]
        assert secret.startswith("whsec_")
        assert hook["id"] in [w["id"] for w in pb.webhooks.list().data]
        assert pb.webhooks.get(hook["id"])["description"] == "t"
        delivery = pb.webhooks.test(hook["id"])
        assert delivery["status"] == "delivered"
        headers, body = rx.got[-1]
        assert verify_webhook_signature(body, headers["x-postbox-signature"], secret)["event"] == "webhook.test"
        assert verify_webhook_signature(body, headers["x-replylayer-signature"], secret)

        rotated = pb.webhooks.rotate_secret(hook["id"], grace_seconds=0)
        pb.webhooks.test(hook["id"])
        headers, body = rx.got[-1]
        assert verify_webhook_signature(body, headers["x-postbox-signature"], rotated["signing_secret"])

        rx.status = 410  # abandoned at once: a failed delivery
        failed = pb.webhooks.test(hook["id"])
        assert failed["status"] == "failed"
        page = pb.webhooks.list_deliveries(hook["id"], limit=2)
        assert page["has_more"] is True and len(page["deliveries"]) == 2
        older = pb.webhooks.list_deliveries(
            hook["id"], limit=2, before_at=page["next_before_at"], before_id=page["next_before_id"]
        )
        assert len(older["deliveries"]) == 1
        rx.status = 204
        retried = pb.webhooks.retry_delivery(hook["id"], failed["id"])
        assert retried["id"] == failed["id"]
        with pytest.raises(ConflictError) as not_failed:
            pb.webhooks.retry_delivery(hook["id"], delivery["id"])
        assert not_failed.value.code == "DELIVERY_NOT_FAILED"
        assert pb.webhooks.update(hook["id"], enabled=False)["enabled"] is False
        assert pb.webhooks.delete(hook["id"])["deleted"] is True
        with pytest.raises(NotFoundError):
            pb.webhooks.get(hook["id"])
    finally:
        rx.httpd.shutdown()


async def test_async_client_end_to_end(live: LiveServer) -> None:
    async with AsyncPostbox(api_key=live.admin_key, base_url=live.url) as pb:
        name = unique("async")
        box = await pb.mailboxes.create(name=name)
        live.deliver(box["address"], "Async hello", "hi")
        result = await pb.messages.wait(name, timeout=30)
        assert result["message"] is not None and result["message"]["subject"] == "Async hello"
        await pb.messages.reply(result["message"]["id"], body="Hi back")
        subjects = [m["subject"] async for m in pb.messages.list(name, auto_paginate=True, limit=1)]
        assert sorted(subjects) == ["Async hello", "Re: Async hello"]
        page = await pb.threads.list(name)
        assert page.data[0]["message_count"] == 2
        start = await pb.events.list(mailbox_id=name, limit=100)
        after = start.cursor
        while start.has_more:
            start = await pb.events.list(mailbox_id=name, after=after, limit=100)
            after = start.cursor or after
        sent = await pb.messages.send(from_mailbox=name, to="bob@example.com", subject="Streamed", body="x")
        stream = pb.events.stream(mailbox_id=name, after=after)
        async for event in stream:
            if event["data"].get("message_id") == sent["message_id"]:
                break
        await stream.aclose()  # type: ignore[attr-defined]
        with pytest.raises(NotFoundError):
            await pb.messages.get("nonexistent")
