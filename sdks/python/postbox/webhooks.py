"""Verifying that a webhook request came from Postbox."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any, Dict, Mapping, Optional, Union

from .errors import WebhookSignatureError


def verify_webhook_signature(
    payload: Union[bytes, bytearray, str],
    signature: Optional[str],
    secret: str,
    tolerance: float = 300,
    *,
    now: Optional[float] = None,
) -> Dict[str, Any]:
    """Checks `X-Postbox-Signature` (or `X-ReplyLayer-Signature`, the same value): `t=<unix>,v1=<hex>[,v1=…]`,
    where each v1 is HMAC-SHA256(secret, "<t>." + raw body). Compares in constant time, refuses a `t` more than
    `tolerance` seconds from now, and during a secret rotation accepts either secret's signature.

    Pass the body exactly as received, before any JSON parsing. Returns the parsed event; raises
    WebhookSignatureError otherwise (answer such a request 400 and do not act on it).
    """

    def fail(message: str) -> WebhookSignatureError:
        return WebhookSignatureError(message, code="WEBHOOK_SIGNATURE_INVALID")

    if not signature:
        raise fail("missing X-Postbox-Signature header")
    t: Optional[int] = None
    macs = []
    for part in signature.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            t = int(value)
        elif key == "v1" and len(value) == 64:
            try:
                macs.append(bytes.fromhex(value))
            except ValueError:
                continue
    if t is None or not macs:
        raise fail("X-Postbox-Signature must look like t=<unix>,v1=<hex>")
    current = time.time() if now is None else now
    if abs(current - t) > tolerance:
        raise fail("signature timestamp is outside the tolerance")
    body = payload.encode() if isinstance(payload, str) else bytes(payload)
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).digest()
    # Every candidate is compared, so the time taken does not tell which one matched.
    ok = False
    for mac in macs:
        ok = hmac.compare_digest(mac, expected) or ok
    if not ok:
        raise fail("signature does not match; check the signing secret and pass the raw body")
    event = json.loads(body)
    return event if isinstance(event, dict) else {"data": event}


def signature_header(headers: Mapping[str, str]) -> Optional[str]:
    """The signature from request headers, under either name, in any letter case."""
    lowered = {k.lower(): v for k, v in headers.items()}
    return lowered.get("x-postbox-signature") or lowered.get("x-replylayer-signature")


__all__ = ["verify_webhook_signature", "signature_header", "WebhookSignatureError"]
