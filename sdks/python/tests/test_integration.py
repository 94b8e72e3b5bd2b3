"""Every resource against a real Postbox (`npx postbox serve`, embedded PGlite) started by the test session."""

from __future__ import annotations

import base64
import io
import re
import zipfile
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
    RateLimitError,
    ValidationError,
    verify_webhook_signature,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def pb(live: LiveServer) -> Iterator[Postbox]:
    with Postbox(api_key=live.admin_key, base_url=live.url) as client:
        yield client


@pytest.fixture
def tenant(live: LiveServer) -> Iterator[Postbox]:
    """A fresh account of its own (made by the operator): account-wide settings changed here touch no other test."""
    made = httpx.post(
        f"{live.url}/v1/operator/accounts",
        headers={"authorization": f"Bearer {live.admin_key}"},
        json={"name": unique("tenant")},
    )
    made.raise_for_status()
    with Postbox(api_key=made.json()["admin_key"], base_url=live.url) as client:
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


def test_wait_filters_and_verification(pb: Postbox, live: LiveServer) -> None:
    name = unique("codes")
    box = pb.mailboxes.create(name=name)
    start = pb.messages.wait(name, timeout=1)["cursor"]
    live.deliver(box["address"], "Weekly digest", "Prices from $49.", sender="news@shop.example")
    live.deliver(box["address"], "Your sign-in code", "Your verification code is 604117.", sender="codes@shop.example")
    got = pb.messages.wait(name, timeout=30, since=start, from_="CODES@shop.example", subject_contains="SIGN-IN")
    msg = got["message"]
    assert msg is not None and msg["sender"] == "codes@shop.example"
    assert [c["value"] for c in msg["verification"]["codes"]] == ["604117"]
    assert pb.messages.get(msg["id"])["verification"]["codes"][0]["value"] == "604117"
    # The digest was passed over, not consumed: unfiltered waits from the same start return both.
    first = pb.messages.wait(name, timeout=1, since=start)
    second = pb.messages.wait(name, timeout=1, since=first["cursor"])
    assert {first["message"]["subject"], second["message"]["subject"]} == {"Weekly digest", "Your sign-in code"}
    assert pb.messages.wait(name, timeout=1, since=start, from_="@shop.example", thread_id=msg["thread_id"])[
        "message"
    ]["id"] == msg["id"]
    with pytest.raises(ValidationError):
        pb.messages.wait(name, timeout=1, from_="not-an-address")


async def test_async_wait_filters(pb: Postbox, live: LiveServer) -> None:
    async with AsyncPostbox(api_key=live.admin_key, base_url=live.url) as apb:
        name = unique("acodes")
        box = await apb.mailboxes.create(name=name)
        live.deliver(box["address"], "Other", "Nothing to see.", sender="other@partner.example")
        live.deliver(box["address"], "Confirm your email", "Your code: 2918", sender="id@partner.example")
        got = await apb.messages.wait(name, timeout=30, from_="id@partner.example")
        assert got["message"] is not None and got["message"]["subject"] == "Confirm your email"
        assert [c["value"] for c in got["message"]["verification"]["codes"]] == ["2918"]


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
    revised = pb.reviews.revise(held["message_id"], subject="Checked by a human", text="Hello Bob.", note="tone")
    assert (revised["state"], revised["subject"], revised["body"]["text"]) == ("pending_review", "Checked by a human", "Hello Bob.")
    with pytest.raises(ConflictError) as rejected:
        pb.reviews.revise(held["message_id"], text="My SSN is 123-45-6780")
    assert rejected.value.code == "REVISION_REJECTED_BY_RESCAN"
    assert rejected.value.details["scan"]["verdict"] == "quarantined"
    assert pb.messages.get(held["message_id"])["subject"] == "Checked by a human"
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


PLATFORM_DOMAIN_ID = "00000000-0000-0000-0000-000000000000"


def test_domains_add_verify_default_zone_file_delete(tenant: Postbox, pb: Postbox, live: LiveServer) -> None:
    name = f"{unique('mail')}.pysdk.example"
    live.dns.claim(name)  # the resolver answers for it: what is not published there does not exist
    added = tenant.domains.create(domain=name)
    assert (added["domain_name"], added["domain_id"], added["verification_status"]) == (name, added["id"], "pending")
    required = {r["purpose"] for r in added["dns_records_json"] if r["required"]}
    assert required == {"mx", "dkim"}
    listed = tenant.domains.list().data
    assert [d["domain_type"] for d in listed] == ["platform", "custom"] and listed[1]["id"] == added["id"]
    assert tenant.domains.get(name)["id"] == tenant.domains.get(added["id"])["id"] == added["id"]
    zone = tenant.domains.get_zone_file(added["id"])
    assert isinstance(zone, str)
    for record in added["dns_records_json"]:
        assert f"{record['name']}.\tIN\t{record['type']}" in zone

    nothing = tenant.domains.verify(added["id"])
    assert (nothing["verification_status"], nothing["failed_gate"]) == ("failed", "mx")
    assert nothing["failure_reason"] and "missing" in nothing["failure_reason"]
    with pytest.raises(ConflictError) as unverified:
        tenant.domains.set_default(added["id"])
    assert unverified.value.code == "DOMAIN_NOT_VERIFIED"

    for record in added["dns_records_json"]:
        live.dns.publish(record["name"], record["type"], record["value"], record["priority"])
    verified = tenant.domains.verify(name)
    assert (verified["verification_status"], verified["failed_gate"], verified["failure_reason"]) == (
        "verified", None, None)
    assert {r["status"] for r in verified["dns_records_json"]} == {"verified"}
    assert tenant.domains.get(added["id"])["verified_at"]

    assert tenant.domains.set_default(name)["is_default"] is True
    box = tenant.mailboxes.create(name=unique("custom"))
    assert box["address"].endswith("@" + name)
    with pytest.raises(ConflictError) as in_use:
        tenant.domains.delete(added["id"])
    assert in_use.value.code == "DOMAIN_IN_USE"
    tenant.mailboxes.delete(box["id"])
    assert tenant.domains.set_default(PLATFORM_DOMAIN_ID)["domain_type"] == "platform"
    assert tenant.mailboxes.create(name=unique("platform"))["address"].endswith("@" + live.domain)

    with pytest.raises(NotFoundError):  # another account's domain is not there for this one
        pb.domains.get(added["id"])
    deleted = tenant.domains.delete(added["id"])
    assert (deleted["id"], deleted["domain_name"], deleted["deleted"]) == (added["id"], name, True)
    with pytest.raises(NotFoundError):
        tenant.domains.get(added["id"])


def test_legal_holds_refuse_deletes_until_released(pb: Postbox, tenant: Postbox, live: LiveServer) -> None:
    name = unique("held")
    box = pb.mailboxes.create(name=name)
    sent = pb.messages.send(from_mailbox=name, to="bob@example.com", subject="Keep me", body="x")
    hold = pb.legal_holds.create(scope="mailbox", mailbox_id=name, reason="Litigation", case_reference="C-1")
    try:
        assert (hold["status"], hold["mailbox_id"], hold["case_reference"]) == ("active", box["id"], "C-1")
        assert hold["id"] in [h["id"] for h in pb.legal_holds.list(auto_paginate=True)]
        assert pb.legal_holds.get(hold["id"])["reason"] == "Litigation"
        with pytest.raises(ConflictError) as message_delete:
            pb.messages.delete(sent["message_id"])
        assert message_delete.value.code == "LEGAL_HOLD_ACTIVE"
        with pytest.raises(ConflictError) as mailbox_delete:
            pb.mailboxes.delete(name)
        assert mailbox_delete.value.code == "LEGAL_HOLD_ACTIVE"
        with pytest.raises(NotFoundError):
            tenant.legal_holds.get(hold["id"])
        agent_key = pb.api_keys.create(role="agent", mailbox_ids=[name])["api_key"]
        with Postbox(api_key=agent_key, base_url=live.url) as agent:
            with pytest.raises(ForbiddenError):
                agent.legal_holds.release(hold["id"], release_reason="not mine to release")
    finally:
        released = pb.legal_holds.release(hold["id"], release_reason="Matter closed")
    assert (released["status"], released["release_reason"]) == ("released", "Matter closed")
    assert released["released_at"] and released["released_by_type"] == "admin"
    assert hold["id"] not in [h["id"] for h in pb.legal_holds.list(auto_paginate=True)]
    assert hold["id"] in [h["id"] for h in pb.legal_holds.list(include_released=True, limit=200).data]
    with pytest.raises(ConflictError) as again:
        pb.legal_holds.release(hold["id"], release_reason="twice")
    assert again.value.code == "LEGAL_HOLD_ALREADY_RELEASED"
    assert pb.messages.delete(sent["message_id"])["deleted"] is True


def confirmation_link(live: LiveServer, address: str) -> str:
    """The link in the newest confirmation mail Postbox sent `address` (through the relay)."""
    def find() -> Any:
        for msg in reversed(live.relay.messages):
            if msg["To"] != address:
                continue
            for part in msg.walk():
                if part.get_content_type() == "text/plain":
                    text = part.get_payload(decode=True).decode()
                    found = re.search(r"https?://\S+/v1/recipients/confirm\?token=\S+", text)
                    if found:
                        return found.group(0)
        return None
    return wait_until(find, f"a confirmation mail to {address}")  # type: ignore[return-value]


def test_verified_recipients_and_a_sandboxed_mailbox(pb: Postbox, tenant: Postbox, live: LiveServer) -> None:
    name = unique("sandboxed")
    pb.mailboxes.create(name=name)
    assert pb.mailboxes.update(name, sandbox=True)["sandbox"] is True
    jane = unique("jane") + "@example.com"
    with pytest.raises(ForbiddenError) as refused:
        pb.messages.send(from_mailbox=name, to=jane, subject="x", body="y")
    assert refused.value.code == "RECIPIENT_NOT_VERIFIED"

    added = pb.recipients.create(email=jane)
    assert (added["email"], added["status"], added["already_existed"]) == (jane, "pending", False)
    assert added["links_sent"] == 1
    assert pb.recipients.create(email=jane)["already_existed"] is True
    listed = {r["id"]: r for r in pb.recipients.list(auto_paginate=True)}
    assert listed[added["id"]]["status"] == "pending"
    with pytest.raises(NotFoundError):  # another account's recipient
        tenant.recipients.delete(added["id"])
    with Postbox(api_key=pb.api_keys.create(role="agent", mailbox_ids=[name])["api_key"], base_url=live.url) as agent:
        assert added["id"] in [r["id"] for r in agent.recipients.list(auto_paginate=True)]  # whom it may mail
        with pytest.raises(ForbiddenError):
            agent.recipients.create(email=unique("agent") + "@example.com")
    with Postbox(api_key=live.admin_key, base_url=live.url, max_retries=0) as no_retry:
        with pytest.raises(RateLimitError) as soon:  # one confirmation mail a minute per address
            no_retry.recipients.resend(added["id"])
    assert soon.value.code == "RATE_LIMITED" and soon.value.retry_after and 0 < soon.value.retry_after <= 60
    with pytest.raises(ForbiddenError):  # pending is not confirmed
        pb.messages.send(from_mailbox=name, to=jane, subject="x", body="y")

    # Its owner follows the link in the mail and presses the button (the page's POST; no API key).
    link = confirmation_link(live, jane)
    assert httpx.get(link).json()["status"] == "pending"
    assert httpx.post(link).json()["status"] == "confirmed"
    assert pb.recipients.list(limit=1).data[0]["status"] == "confirmed"
    assert pb.messages.send(from_mailbox=name, to=jane, subject="Now", body="y")["status"] == "sent"
    again = pb.recipients.resend(added["id"])
    assert (again["status"], again["recipient"]["id"]) == ("already_confirmed", added["id"])

    deleted = pb.recipients.delete(added["id"])
    assert (deleted["deleted"], deleted["id"], deleted["email"]) == (True, added["id"], jane)
    with pytest.raises(ForbiddenError) as gone:
        pb.messages.send(from_mailbox=name, to=jane, subject="x", body="y")
    assert gone.value.code == "RECIPIENT_NOT_VERIFIED"
    assert added["id"] not in [r["id"] for r in pb.recipients.list(auto_paginate=True)]


def test_account_sandbox_retention_usage_and_export(tenant: Postbox, live: LiveServer) -> None:
    name = unique("exported")
    box = tenant.mailboxes.create(name=name)
    policy = tenant.account.update_policy(sandbox=True, retention_days=30)
    assert (policy["sandbox"], policy["retention_days"], policy["effective_retention_days"]) == (True, 30, 30)
    assert tenant.account.get_usage()["tier"] == "sandbox"
    with pytest.raises(ForbiddenError) as refused:
        tenant.messages.send(from_mailbox=name, to="bob@example.com", subject="x", body="y")
    assert refused.value.code == "RECIPIENT_NOT_VERIFIED"
    policy = tenant.account.update_policy(sandbox=False, retention_days=None)
    assert (policy["sandbox"], policy["retention_days"]) == (False, None)
    assert policy["effective_retention_days"] > 0
    assert tenant.mailboxes.update(name, retention_days=7)["retention_days"] == 7
    assert tenant.mailboxes.update(name, retention_days=None)["retention_days"] is None

    live.deliver(box["address"], "Exported", "Keep this for the archive.")
    msg = arrived(tenant, name, "Exported")
    usage = tenant.account.get_usage()
    breakdown = usage["storage"]["breakdown"]
    assert set(breakdown) >= {"raw_mime_bytes", "attachment_bytes", "derivative_bytes"}
    assert breakdown["raw_mime_bytes"] > 0 and usage["storage"]["used_bytes"] > 0
    hold = tenant.legal_holds.create(scope="account", reason="Audit")
    try:
        doc = tenant.account.export()
        assert doc["account"]["id"] == tenant.account.get()["id"] and doc["exported_at"]
        assert [h["id"] for h in doc["legal_holds"]] == [hold["id"]]
        assert [m["name"] for m in doc["mailboxes"]] == [name]
        (exported,) = doc["messages"]
        assert exported["id"] == msg["id"] and b"Subject: Exported" in base64.b64decode(exported["raw_base64"])
        assert isinstance(doc["audit_log"], list)
        archive = zipfile.ZipFile(io.BytesIO(tenant.account.export(format="zip")))
        eml = f"mailboxes/{name}/messages/{msg['id']}.eml"
        assert {"account.json", "legal-holds.json", "mailboxes.json", eml} <= set(archive.namelist())
        assert archive.read(eml) == tenant.messages.get_raw(msg["id"])
    finally:
        tenant.legal_holds.release(hold["id"], release_reason="done")


async def test_async_domains_holds_recipients_and_export(live: LiveServer, tenant: Postbox) -> None:
    async with AsyncPostbox(api_key=tenant.api_key, base_url=live.url) as pb:
        name = f"{unique('async')}.pysdk.example"
        added = await pb.domains.create(domain=name)
        assert [d["id"] for d in (await pb.domains.list()).data][1] == added["id"]
        assert (await pb.domains.get(name))["verification_status"] == "pending"
        assert "IN\tMX" in await pb.domains.get_zone_file(name)
        assert (await pb.domains.verify(name))["verification_status"] == "pending"  # no zone claimed: lookups fail
        assert (await pb.domains.delete(name))["deleted"] is True

        box = await pb.mailboxes.create(name=unique("async-held"))
        hold = await pb.legal_holds.create(scope="mailbox", mailbox_id=box["id"], reason="Async")
        assert (await pb.legal_holds.get(hold["id"]))["status"] == "active"
        assert [h["id"] async for h in pb.legal_holds.list(auto_paginate=True)] == [hold["id"]]
        with pytest.raises(ConflictError) as held:
            await pb.mailboxes.delete(box["id"])
        assert held.value.code == "LEGAL_HOLD_ACTIVE"
        assert (await pb.legal_holds.release(hold["id"], release_reason="done"))["status"] == "released"

        addr = unique("async") + "@example.com"
        recipient = await pb.recipients.create(email=addr)
        assert [r["email"] for r in (await pb.recipients.list()).data] == [addr]
        assert (await pb.recipients.delete(recipient["id"]))["deleted"] is True

        doc = await pb.account.export()
        assert [m["name"] for m in doc["mailboxes"]] == [box["name"]]
        assert zipfile.ZipFile(io.BytesIO(await pb.account.export(format="zip"))).read("account.json")
        assert "breakdown" in (await pb.account.get_usage())["storage"]


def test_attachments_upload_send_download_preview(pb: Postbox, live: LiveServer) -> None:
    name = unique("files")
    pb.mailboxes.create(name=name)
    pb.mailboxes.set_attachment_access(
        name, mode="raw_download_selected_types", allowed_file_families=["csv"], outbound_enabled=True
    )
    csv = b"sku,qty\r\nA-1,3\r\n"
    handle = pb.attachments.upload(mailbox_id=name, file=csv, filename="order.csv", content_type="text/csv")
    assert handle["content_scan_status"] == "pending"
    def scanned() -> Any:
        u = pb.attachments.get_upload(handle["id"])
        return u if u["content_scan_status"] != "pending" else None

    assert wait_until(scanned, "the upload's scan")["content_scan_status"] == "clean"  # type: ignore[index]
    spare = pb.attachments.upload(mailbox_id=name, file=b"unused", filename="spare.txt")
    assert pb.attachments.delete_upload(spare["id"])["deleted"] is True
    with pytest.raises(NotFoundError):
        pb.attachments.get_upload(spare["id"])
    # Sent to the mailbox itself: it arrives as inbound mail carrying the file.
    pb.messages.send(
        from_mailbox=name, to=f"{name}@{live.domain}", subject="order", body="attached", attachment_ids=[handle["id"]]
    )
    msg = arrived(pb, name, "order")
    assert msg["has_attachment"] is True
    url = pb.attachments.get_download_url(msg["id"], 0)
    assert (url["filename"], url["size"]) == ("order.csv", len(csv))
    assert httpx.get(url["url"]).content == csv
    preview = pb.attachments.get_preview(msg["id"], 0)
    assert "A-1" in preview["preview"]["content"]
    with pytest.raises(NotFoundError):
        pb.attachments.get_download_url(msg["id"], 5)
