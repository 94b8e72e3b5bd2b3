"""verify_webhook_signature: the scheme of docs/webhooks.md, checked in constant time."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from postbox import WebhookSignatureError, verify_webhook_signature

SECRET = "whsec_test_secret"
BODY = json.dumps({"id": "evt_1", "event": "message.received", "data": {"message_id": "m1"}}).encode()


def sign(body: bytes, secret: str, t: int) -> str:
    return hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


def test_a_valid_signature_returns_the_event() -> None:
    t = int(time.time())
    event = verify_webhook_signature(BODY, f"t={t},v1={sign(BODY, SECRET, t)}", SECRET)
    assert event["id"] == "evt_1"
    assert verify_webhook_signature(BODY.decode(), f"t={t},v1={sign(BODY, SECRET, t)}", SECRET)["event"] == "message.received"


def test_either_signature_verifies_during_a_rotation() -> None:
    t = 1_800_000_000
    header = f"t={t},v1={sign(BODY, 'whsec_new', t)},v1={sign(BODY, SECRET, t)}"
    assert verify_webhook_signature(BODY, header, SECRET, now=t)["id"] == "evt_1"
    assert verify_webhook_signature(BODY, header, "whsec_new", now=t)["id"] == "evt_1"


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "v1=abc",
        "t=1800000000",
        "t=1800000000,v1=" + "0" * 64,
        "t=1800000000,v1=nothex" + "0" * 58,
    ],
)
def test_malformed_or_wrong_signatures_are_refused(header: str) -> None:
    with pytest.raises(WebhookSignatureError) as exc:
        verify_webhook_signature(BODY, header, SECRET, now=1_800_000_000)
    assert exc.value.code == "WEBHOOK_SIGNATURE_INVALID"


def test_an_altered_body_or_secret_is_refused() -> None:
    t = 1_800_000_000
    header = f"t={t},v1={sign(BODY, SECRET, t)}"
    with pytest.raises(WebhookSignatureError):
        verify_webhook_signature(BODY + b" ", header, SECRET, now=t)
    with pytest.raises(WebhookSignatureError):
        verify_webhook_signature(BODY, header, "whsec_other", now=t)


def test_the_timestamp_must_be_within_the_tolerance() -> None:
    t = 1_800_000_000
    header = f"t={t},v1={sign(BODY, SECRET, t)}"
    assert verify_webhook_signature(BODY, header, SECRET, now=t + 300)
    with pytest.raises(WebhookSignatureError):
        verify_webhook_signature(BODY, header, SECRET, now=t + 301)
    with pytest.raises(WebhookSignatureError):
        verify_webhook_signature(BODY, header, SECRET, now=t - 301)
    assert verify_webhook_signature(BODY, header, SECRET, tolerance=1000, now=t + 900)
