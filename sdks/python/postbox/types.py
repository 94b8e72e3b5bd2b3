"""The SDK's types: every API object (generated into postbox.api_types, re-exported here) and the ones the
OpenAPI document leaves open — PII redaction config, send windows and quotas, policy dry-run input —
plus the objects of the attachments routes, which are not in the OpenAPI document yet."""

from __future__ import annotations

from typing import Dict, List, Literal, TypedDict, Union

from .api_types import *  # noqa: F403
from .api_types import BlockedAttempt, BlockedAttemptGroup, InboundBlockedAttempt, InboundBlockedAttemptGroup
from .api_types import __all__ as _api_names
from .retry import RetryInfo

# PII redaction (PATCH /v1/mailboxes/:id pii_redaction_config).

PiiEntity = Literal[
    "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "IBAN_CODE", "IP_ADDRESS", "PERSON",
    "CRYPTO", "UK_NHS", "US_ITIN", "MEDICAL_LICENSE", "US_PASSPORT", "US_DRIVER_LICENSE", "US_BANK_NUMBER",
]


class PiiReplaceWithTypeOperator(TypedDict):
    """`<EMAIL_ADDRESS>`: the detector's tag in place of the value (the default)."""

    kind: Literal["replace_with_type"]


class _PiiPartialMaskRequired(TypedDict):
    kind: Literal["partial_mask"]


class PiiPartialMaskOperator(_PiiPartialMaskRequired, total=False):
    """`****-****-****-1111`: all but the last `keep_last` (1–6) characters masked, separators kept. Refused (422)
    for PERSON and EMAIL_ADDRESS."""

    keep_last: int
    mask_char: str


class PiiHashReplaceOperator(TypedDict):
    """`<EMAIL_ADDRESS:a3f1b9c2>`: a hash, the same for the same value within the account."""

    kind: Literal["hash_replace"]


PiiOperator = Union[PiiReplaceWithTypeOperator, PiiPartialMaskOperator, PiiHashReplaceOperator]
"""How a redacted value is rendered; a wrong combination (`{"kind": "hash_replace", "keep_last": 4}`) fails type
checking here rather than at the server's 422."""


class PiiDetectorConfig(TypedDict, total=False):
    redact: bool
    operator: PiiOperator


PiiRedactionConfig = Dict[PiiEntity, PiiDetectorConfig]
"""Per detector; `{}` resets to the default (redact everything with replace_with_type)."""

# The outbound PII send policy and the scanner policy of a mailbox.

OutboundPiiAction = Literal["allow", "allow_with_warning", "require_human_approval", "review", "quarantine", "block"]


class OutboundPiiPolicy(TypedDict, total=False):
    ssn: OutboundPiiAction
    credit_card: OutboundPiiAction
    phone_number: OutboundPiiAction


class OutboundReviewPolicy(TypedDict, total=False):
    approval_note: Literal["optional", "required_for_sensitive_pii"]


class ScannerPolicy(TypedDict, total=False):
    language_mode: Literal["english_only", "allow_all_languages", "disabled"]
    disabled_scanners: List[
        Literal["prompt-injection", "attachment-policy", "mime-mismatch", "pii", "secrets", "url-reputation"]
    ]
    disabled_proxy_criteria: List[
        Literal[
            "prompt_injection",
            "jailbreak",
            "function_call_risk",
            "profanity",
            "confidentiality_leak",
            "unauthorized_liability",
        ]
    ]
    outbound_pii_policy: OutboundPiiPolicy
    outbound_review_policy: OutboundReviewPolicy


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class SendWindow(TypedDict):
    """When agent keys may send; outside it sends are held for review or refused."""

    timezone: str
    days: List[Weekday]
    start: str
    end: str
    outside_action: Literal["require_approval", "block"]


class SendQuota(TypedDict):
    """At most `limit` recipients per fixed window of `window_seconds` (60 s to 31 days)."""

    window_seconds: int
    limit: int


# The facts of a message for a MailPolicy dry run (POST /v1/mailboxes/:id/policy/test).

PolicyTestInput = TypedDict(
    "PolicyTestInput",
    {"from": Union[str, None], "body": str, "dkim": bool, "spf": bool, "thread_id": Union[str, None]},
    total=False,
)
"""`dkim` and `spf`: whether they passed for the From domain."""


class ScheduledSend(TypedDict):
    """What sending a draft with a future `send_at` answers (202): it goes out then."""

    draft_id: str
    status: Literal["scheduled"]
    send_at: str


# Blocked attempts, by the `aggregate` flag of list_blocked_attempts.


class BlockedAttemptGroups(TypedDict):
    attempts: List[BlockedAttemptGroup]
    has_more: bool
    next_cursor: str | None


class BlockedAttemptLog(TypedDict):
    attempts: List[BlockedAttempt]
    has_more: bool
    next_cursor: str | None


class InboundBlockedAttemptGroups(TypedDict):
    attempts: List[InboundBlockedAttemptGroup]
    has_more: bool
    next_cursor: str | None


class InboundBlockedAttemptLog(TypedDict):
    attempts: List[InboundBlockedAttempt]
    has_more: bool
    next_cursor: str | None



__all__ = [
    *_api_names,
    "RetryInfo",
    "PiiEntity",
    "PiiReplaceWithTypeOperator",
    "PiiPartialMaskOperator",
    "PiiHashReplaceOperator",
    "PiiOperator",
    "PiiDetectorConfig",
    "PiiRedactionConfig",
    "OutboundPiiAction",
    "OutboundPiiPolicy",
    "OutboundReviewPolicy",
    "ScannerPolicy",
    "Weekday",
    "SendWindow",
    "SendQuota",
    "PolicyTestInput",
    "ScheduledSend",
    "BlockedAttemptGroups",
    "BlockedAttemptLog",
    "InboundBlockedAttemptGroups",
    "InboundBlockedAttemptLog",
]
