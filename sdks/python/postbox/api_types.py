"""Every object of the Postbox API as a TypedDict. Generated from docs/openapi.json by
sdks/python/scripts/generate_types.py: do not edit by hand."""

from __future__ import annotations

from typing import Any, Dict, List, Literal, TypedDict, Union

__all__ = [
    "Account",
    "AccountDeletion",
    "AccountPolicy",
    "AddAllowlistEntriesBulkBody",
    "AddAllowlistEntryBody",
    "AddAllowlistEntryResponse",
    "AddInboundAllowlistEntriesBulkBody",
    "AddInboundAllowlistEntryBody",
    "AddInboundAllowlistEntryResponse",
    "AddInboundBlocklistEntriesBulkBody",
    "AddInboundBlocklistEntryBody",
    "AddInboundBlocklistEntryResponse",
    "AddSuppressionBody",
    "AddSuppressionResponse",
    "AddSuppressionsBulkBody",
    "AddVerifiedRecipientBody",
    "AddVerifiedRecipientResponse",
    "AllowlistEntry",
    "ApiKey",
    "ApplyLegalHoldBody",
    "ApproveMessageBody",
    "AttachmentDownloadUrl",
    "AttachmentExposureMode",
    "AttachmentPreview",
    "AttachmentUpload",
    "AuditEntry",
    "AuthVerdict",
    "BlockMessageBody",
    "BlockedAttempt",
    "BlockedAttemptGroup",
    "BlocklistEntry",
    "BulkResult",
    "ConfirmRecipientResponse",
    "CreateAccountBody",
    "CreateAccountResponse",
    "CreateApiKeyBody",
    "CreateApiKeyResponse",
    "CreateDashboardSessionBody",
    "CreateDomainBody",
    "CreateDraftBody",
    "CreateMailboxBody",
    "CreateWebhookBody",
    "CreateWebhookResponse",
    "DashboardSession",
    "DeleteAccountBody",
    "DeleteAllowlistEntryResponse",
    "DeleteAttachmentUploadResponse",
    "DeleteDraftResponse",
    "DeleteInboundAllowlistEntryResponse",
    "DeleteInboundBlocklistEntryResponse",
    "DeleteMailboxResponse",
    "DeleteMessageResponse",
    "DeleteSuppressionResponse",
    "DeleteVerifiedRecipientResponse",
    "DeleteWebhookResponse",
    "DeliveryStatus",
    "DenyMessageBody",
    "DnsRecordCheck",
    "Domain",
    "DomainCreated",
    "DomainDeleted",
    "DomainVerification",
    "Draft",
    "DraftState",
    "EffectStatus",
    "EmailEffect",
    "ErrorBody",
    "Event",
    "EventType",
    "ExportAccountResponse",
    "FirewallReleaseMessageBody",
    "GetAccountResponse",
    "GetAccountUsageResponse",
    "GetAllowlistResponse",
    "GetCurrentKeyResponse",
    "GetDkimRecordResponse",
    "GetInboundAllowlistResponse",
    "GetMessageResponse",
    "GetQuotaResponse",
    "Health",
    "HitlMode",
    "InboundBlockedAttempt",
    "InboundBlockedAttemptGroup",
    "InboundMessage",
    "InboundMessageSummary",
    "InboundRule",
    "IngestResult",
    "KeyRole",
    "LegalHold",
    "ListAccountsResponse",
    "ListApiKeysResponse",
    "ListAuditEntriesResponse",
    "ListBlockedAttemptsResponse",
    "ListDomainsResponse",
    "ListDraftsResponse",
    "ListEventsResponse",
    "ListInboundBlockedAttemptsResponse",
    "ListInboundBlocklistResponse",
    "ListLegalHoldsResponse",
    "ListMailboxesResponse",
    "ListMessagesResponse",
    "ListMode",
    "ListReviewsResponse",
    "ListSuppressionsResponse",
    "ListThreadsResponse",
    "ListVerifiedRecipientsResponse",
    "ListWebhookDeliveriesResponse",
    "ListWebhooksResponse",
    "MailPolicy",
    "Mailbox",
    "MarkMessageReadResponse",
    "MarkThreadReadResponse",
    "McpBody",
    "McpResponse",
    "Message",
    "MessageAction",
    "MessageAttachment",
    "MessageState",
    "MessageSummary",
    "OutboundMessage",
    "OutboundMessageSummary",
    "PatternType",
    "PiiMode",
    "PolicyMode",
    "PolicyPreview",
    "PolicyReadModel",
    "PreviewMailboxSendBody",
    "RebindApiKeyBody",
    "ReceiveProviderBounceBody",
    "ReceiveProviderBounceResponse",
    "ReleaseLegalHoldBody",
    "ReleaseMessageBody",
    "ReplaceRulesBody",
    "ReplyToMessageBody",
    "ReportMessageBody",
    "ReportTokenUsageBody",
    "ReportTokenUsageResponse",
    "ResendRecipientConfirmationResponse",
    "ReviseMessageBody",
    "RotateApiKeyResponse",
    "RotateWebhookSecretBody",
    "RotateWebhookSecretResponse",
    "RuleSet",
    "ScanSummary",
    "ScanVerdict",
    "SendDraftResponse202",
    "SendMessageBody",
    "SendResult",
    "SendStatus",
    "SenderAuthentication",
    "SetAttachmentAccessBody",
    "SetAttachmentAccessResponse",
    "SetMailPolicyBody",
    "SetRecipientPolicyBody",
    "SetRecipientPolicyResponse",
    "SetSenderPolicyBody",
    "SetSenderPolicyResponse",
    "ShowRecipientConfirmationResponse",
    "SimulateInboundBody",
    "SimulatorResult",
    "StarMessageBody",
    "StarMessageResponse",
    "StarThreadBody",
    "StarThreadResponse",
    "Suppression",
    "SuppressionReason",
    "TestMailPolicyBody",
    "TestMailPolicyResponse",
    "TestWebhookBody",
    "Thread",
    "ThreadSummary",
    "UpdateAccountPolicyBody",
    "UpdateDraftBody",
    "UpdateMailboxBody",
    "UpdateWebhookBody",
    "ValidationErrorBody",
    "Verification",
    "VerifiedRecipient",
    "VerifyAuditChainResponse",
    "WaitForMessageResponse",
    "Webhook",
    "WebhookDelivery",
]

EventType = Literal["message.received", "message.quarantined", "message.blocked", "message.dispatch_failed", "message.deleted", "message.failed", "message.firewall_released", "message.released", "message.reported", "message.sent", "message.pending_review", "message.approved", "message.denied", "message.revised", "message.review_expired", "message.delivered", "message.delivery_deferred", "message.bounced", "recipient_allowlist.added", "recipient_allowlist.removed", "recipient_allowlist.blocked_attempt", "mailbox.recipient_policy_changed", "mailbox.sender_policy_changed", "legal_hold.applied", "legal_hold.released", "recipient_blocklist.added", "webhook.disabled", "webhook.test"]
MessageState = Literal["received", "available", "quarantined", "pending_review", "blocked", "dispatching", "delivered", "bounced", "failed", "cancelled", "deleted"]
DraftState = Literal["draft", "sending", "scheduled", "sent", "cancelled"]
KeyRole = Literal["admin", "agent", "ingest"]
SuppressionReason = Literal["hard_bounce", "complaint", "manual", "unsubscribe"]
PatternType = Literal["email", "domain"]
ScanVerdict = Literal["clean", "warning", "review_required", "quarantined", "blocked"]
EffectStatus = Literal["sent", "held_for_review", "held_infrastructure", "blocked"]
SendStatus = Literal["sent", "pending_review", "quarantined", "blocked"]
PiiMode = Literal["passthrough", "redacted"]
HitlMode = Literal["disabled", "all_outbound", "risky_only"]
ListMode = Literal["blocklist", "allowlist"]
AttachmentExposureMode = Literal["metadata_only", "derived_content", "raw_download_selected_types"]
PolicyMode = Literal["read_only", "draft_only", "supervised", "trusted", "custom"]
AuthVerdict = Literal["verified_aligned", "authenticated_unaligned", "failed", "none", "error"]
DeliveryStatus = Literal["pending", "delivered", "failed"]


class Account(TypedDict):
    """An account (tenant)."""
    id: str
    name: str
    # The operator's account, created at first start.
    is_default: bool
    created_at: str


class AccountDeletion(TypedDict):
    """An account deleted: every key revoked, its data being purged."""
    status: Literal["deleted"]
    # What happened, in a sentence (the seed's CLI prints it).
    message: str
    account_id: str
    deleted_at: str
    # Keys revoked, the calling key among them.
    keys_revoked: int
    mailboxes_deleted: int
    # Custom domains removed from the account: another account may add them now.
    domains_released: List[str]
    webhooks_deleted: int
    verified_recipients_deleted: int
    # Stored mail, threads, events, audit chains and lists are deleted by the worker shortly after (a minute); raw message bytes by the next blob sweep.
    purge: Literal["pending"]


class ApiKey(TypedDict):
    """An API key (never its secret)."""
    id: str
    # `pbx_live_<key id>`: enough to recognise a key, not to use it.
    prefix: str
    status: Literal["active", "revoked"]
    role: KeyRole
    label: str | None
    mailbox_ids: List[str]
    created_at: str
    last_used_at: str | None
    revoked_at: str | None


class ScanSummaryCategoriesItem(TypedDict):
    category: str
    # allow, allow_with_warning, require_human_approval, quarantine, block
    decision: Literal["allow", "allow_with_warning", "require_human_approval", "quarantine", "block"]


class _ScanSummaryFindingsItemRequired(TypedDict):
    # pii, secret_detected or (inbound) prompt_injection.
    category: str
    # allow, allow_with_warning, require_human_approval, quarantine, block
    decision: Literal["allow", "allow_with_warning", "require_human_approval", "quarantine", "block"]
    reason: str


class ScanSummaryFindingsItem(_ScanSummaryFindingsItemRequired, total=False):
    pii_type: Literal["ssn", "credit_card", "phone_number"]
    secret_type: str
    # Inbound: the injection score (0–1).
    score: float


class ScanSummary(TypedDict):
    """What a scan found: outbound, the PII and secrets scan of a send or draft; inbound, the prompt-injection verdict."""
    verdict: ScanVerdict
    # Each category that fired once, with its worst decision.
    categories: List[ScanSummaryCategoriesItem]
    findings: List[ScanSummaryFindingsItem]


class EmailEffect(TypedDict):
    """What a send did, in governed email-effect terms. A held send is not a failure to retry."""
    effect_status: EffectStatus
    # A human can still release it (held sends).
    releasable: bool
    # Final: it will never be sent (blocked).
    terminal: bool
    # Whether sending again could help: never for a hold or a block.
    retryable: bool


class SendResultHoldContext(TypedDict):
    """Why a send was held (or stopped)."""
    # reviewer: a reviewer revised it and only their approval holds it now.
    trigger_source: Literal["mailbox_policy", "scanner", "both", "reviewer"]
    summary_reasons: List[str]


class SendResult(TypedDict):
    """The outcome of a send, a reply or a draft send."""
    message_id: str
    # sent: queued for delivery; pending_review: waits for a human; quarantined or blocked: not sent.
    status: SendStatus
    thread_id: str
    internet_message_id: str
    scan: ScanSummary
    hold_context: SendResultHoldContext | None
    # Recipients left in the tightest quota window after this send (null: no window applies).
    sends_remaining: int | None
    # The account's daily cap in recipients (null: none).
    daily_limit: int | None
    email_effect: EmailEffect


class _MessageAttachmentRequired(TypedDict):
    # Its position in `attachments`: the `:index` of its download and preview.
    index: int
    # Sanitised: the last path segment, no control characters or bidi overrides.
    filename: str | None
    # The type the message declared for it.
    content_type: str
    size: int
    hash: str | None
    sniffed_mime_type: str | None
    declared_mime_type: str | None
    mime_mismatch: bool
    family: Literal["pdf", "text", "csv", "image"] | None
    # An executable, a script or a document that may carry macros.
    dangerous: bool
    dangerous_reason: str | None
    content_id: str | None
    content_disposition: str | None
    inline: bool
    # Its bytes are stored on their own (downloadable by policy).
    stored: bool
    # deliver: its bytes may be offered under the mailbox's policy; metadata_only: an unknown family, for admins; quarantine: its bytes are not what its type says; block: dangerous, nobody downloads it.
    policy_action: Literal["deliver", "metadata_only", "quarantine", "block"]
    # Postbox runs no antivirus engine.
    av_verdict: Literal["skipped"]
    preview_status: Literal["pending", "ready", "blocked", "failed"] | None
    preview_kind: Literal["text"] | None
    preview_reason_code: str | None
    preview_char_count: int | None
    preview_page_count: int | None
    preview_truncated: bool | None
    preview_generated_at: str | None


class MessageAttachment(_MessageAttachmentRequired, total=False):
    """An attachment of a message, described from its bytes."""
    upload_id: str


class SenderAuthenticationSpf(TypedDict):
    result: Literal["pass", "fail", "softfail", "neutral", "none", "temperror", "permerror", "policy", "skipped"]
    domain: str | None
    aligned: bool


class SenderAuthenticationDkimSignaturesItem(TypedDict):
    domain: str
    selector: str | None
    algorithm: str | None
    result: Literal["pass", "fail", "softfail", "neutral", "none", "temperror", "permerror", "policy", "skipped"]
    aligned: bool
    comment: str | None


class SenderAuthenticationDkim(TypedDict):
    result: Literal["pass", "fail", "softfail", "neutral", "none", "temperror", "permerror", "policy", "skipped"]
    aligned: bool
    signatures: List[SenderAuthenticationDkimSignaturesItem]


class SenderAuthenticationDmarc(TypedDict):
    result: Literal["pass", "fail", "softfail", "neutral", "none", "temperror", "permerror", "policy", "skipped"]
    policy: str | None
    domain: str | None


class SenderAuthenticationArc(TypedDict):
    result: Literal["pass", "fail", "softfail", "neutral", "none", "temperror", "permerror", "policy", "skipped"]
    instances: int


class SenderAuthentication(TypedDict):
    """SPF, DKIM, DMARC and ARC results of an inbound message, and one verdict over them."""
    spf: SenderAuthenticationSpf
    dkim: SenderAuthenticationDkim
    dmarc: SenderAuthenticationDmarc
    arc: SenderAuthenticationArc
    from_domain: str | None
    signing_domains: List[str]
    verdict: AuthVerdict


class VerificationCodesItem(TypedDict):
    # The code as the mail shows it (`482913`, `123 456`, `A7K-92Q`, `G-482913`).
    value: str
    source: Literal["subject", "body"]
    # The cue and the words around the code (at most 120 characters).
    context: str


class VerificationLinksItem(TypedDict):
    url: str
    # sign_in: a magic or sign-in link; verify: confirms an address, an account or a sign-in attempt; reset: sets a new password.
    kind: Literal["sign_in", "verify", "reset"]
    # Its anchor text in the HTML part (null: a bare URL).
    text: str | None


class Verification(TypedDict):
    """Verification codes and links found in the subject and body this caller is shown (under pii_mode redacted: the redacted text, no HTML); the same mail always gives the same answer. See docs/verification.md."""
    # One-time codes next to a cue word (code, OTP, Bestätigungscode, 验证码, код, …).
    codes: List[VerificationCodesItem]
    # Links that carry a token; unsubscribe links are never listed.
    links: List[VerificationLinksItem]


class InboundMessageBody(TypedDict):
    """The body: `content` in `format`, with both parts as shown."""
    format: Literal["text", "html"]
    # The text part, else the HTML part; null when withheld.
    content: str | None
    char_count: int
    returned_char_count: int
    truncated: bool
    text: str | None
    html: str | None


class InboundMessageFirewallBlock(TypedDict):
    """Which inbound firewall rule blocked the message."""
    envelope_sender: str | None
    from_address: str | None
    matched_field: Literal["envelope", "from"] | None
    matched_pattern: str | None
    reason_code: Literal["SENDER_BLOCKED", "SENDER_NOT_ON_ALLOWLIST"]
    matched_list: Literal["account_blocklist", "mailbox_allowlist"] | None
    mode: Literal["allowlist", "blocklist"]


class InboundMessageEnvelope(TypedDict):
    mail_from: str | None
    rcpt_to: List[str]
    client_ip: str | None
    helo: str | None
    transport: Literal["smtp", "http", "api", "local", "simulator"]
    # Whether the SMTP session was encrypted (STARTTLS).
    tls: bool


class InboundMessageInjectionReasonsItem(TypedDict):
    code: str
    description: str


class InboundMessageInjection(TypedDict):
    score: float
    reasons: List[InboundMessageInjectionReasonsItem]


class InboundMessagePolicy(TypedDict):
    outcome: Literal["accepted"]
    rule_index: int | None
    decided_in: Literal["smtp_session", "pipeline"]


class InboundMessageRulesAppliedItem(TypedDict):
    rule: int
    action: str
    outcome: str
    detail: str | None


class InboundMessageAgentSafetyContext(TypedDict):
    untrusted_content: bool
    guidance: str
    capabilities: List[str]


class InboundMessage(TypedDict):
    """A message that arrived (SMTP or ingest) in one of the account's mailboxes."""
    id: str
    mailbox_id: str
    mailbox_name: str | None
    state: MessageState
    internet_message_id: str | None
    sender: str | None
    sender_name: str | None
    recipient: str | None
    to: List[str]
    cc: List[str]
    reply_to: List[str]
    subject: str | None
    thread_id: str | None
    in_reply_to: str | None
    references: List[str]
    # The body: `content` in `format`, with both parts as shown.
    body: InboundMessageBody
    attachments: List[MessageAttachment]
    has_attachment: bool
    starred: bool
    firewall_block: InboundMessageFirewallBlock | None
    subaddress_instance_id: str | None
    # Always null: Postbox has no dashboard.
    dashboard_url: None
    # Bytes of the raw message.
    size: int
    sent_at: str | None
    read_at: str | None
    created_at: str
    updated_at: str
    scan: ScanSummary | None
    direction: Literal["inbound"]
    envelope: InboundMessageEnvelope
    parse_error: str | None
    process_error: str | None
    pii_redacted: bool
    injection: InboundMessageInjection | None
    # Null while still being processed.
    sender_authentication: SenderAuthentication | None
    # The MailPolicy decision that let it in (null: the mailbox has no policy).
    policy: InboundMessagePolicy | None
    capabilities: List[str]
    auto_submitted: str | None
    labels: List[str]
    rules_applied: List[InboundMessageRulesAppliedItem] | None
    agent_safety_context: InboundMessageAgentSafetyContext
    verification: Verification


class OutboundMessageBody(TypedDict):
    """The body: `content` in `format`, with both parts as shown."""
    format: Literal["text", "html"]
    # The text part, else the HTML part; null when withheld.
    content: str | None
    char_count: int
    returned_char_count: int
    truncated: bool
    text: str | None
    html: str | None


class OutboundMessageFirewallBlock(TypedDict):
    """Which inbound firewall rule blocked the message."""
    envelope_sender: str | None
    from_address: str | None
    matched_field: Literal["envelope", "from"] | None
    matched_pattern: str | None
    reason_code: Literal["SENDER_BLOCKED", "SENDER_NOT_ON_ALLOWLIST"]
    matched_list: Literal["account_blocklist", "mailbox_allowlist"] | None
    mode: Literal["allowlist", "blocklist"]


class OutboundMessageHoldContext(TypedDict):
    """Why a send was held (or stopped)."""
    # reviewer: a reviewer revised it and only their approval holds it now.
    trigger_source: Literal["mailbox_policy", "scanner", "both", "reviewer"]
    summary_reasons: List[str]


class OutboundMessageReview(TypedDict):
    decision: Literal["approved", "denied", "expired"]
    note: str | None
    decided_at: str


class OutboundMessageDeliveriesItem(TypedDict):
    recipient: str
    state: Literal["queued", "delivered", "bounced", "cancelled"]
    attempts: int
    last_code: int | None
    last_response: str | None
    next_attempt_at: str | None
    finished_at: str | None


class OutboundMessage(TypedDict):
    """A message a mailbox sent (or tried to): with its scan, hold and deliveries."""
    id: str
    mailbox_id: str
    mailbox_name: str | None
    state: MessageState
    internet_message_id: str | None
    sender: str | None
    sender_name: str | None
    recipient: str | None
    to: List[str]
    cc: List[str]
    reply_to: List[str]
    subject: str | None
    thread_id: str | None
    in_reply_to: str | None
    references: List[str]
    # The body: `content` in `format`, with both parts as shown.
    body: OutboundMessageBody
    attachments: List[MessageAttachment]
    has_attachment: bool
    starred: bool
    firewall_block: OutboundMessageFirewallBlock | None
    subaddress_instance_id: str | None
    # Always null: Postbox has no dashboard.
    dashboard_url: None
    # Bytes of the raw message.
    size: int
    sent_at: str | None
    read_at: str | None
    created_at: str
    updated_at: str
    scan: ScanSummary | None
    direction: Literal["outbound"]
    bcc: List[str]
    sender_authentication: None
    agent_safety_context: None
    hold_context: OutboundMessageHoldContext | None
    review: OutboundMessageReview | None
    deliveries: List[OutboundMessageDeliveriesItem]


class InboundMessageSummaryFirewallBlock(TypedDict):
    """Which inbound firewall rule blocked the message."""
    envelope_sender: str | None
    from_address: str | None
    matched_field: Literal["envelope", "from"] | None
    matched_pattern: str | None
    reason_code: Literal["SENDER_BLOCKED", "SENDER_NOT_ON_ALLOWLIST"]
    matched_list: Literal["account_blocklist", "mailbox_allowlist"] | None
    mode: Literal["allowlist", "blocklist"]


class InboundMessageSummaryEnvelope(TypedDict):
    mail_from: str | None
    rcpt_to: List[str]
    client_ip: str | None
    helo: str | None
    transport: Literal["smtp", "http", "api", "local", "simulator"]
    # Whether the SMTP session was encrypted (STARTTLS).
    tls: bool


class InboundMessageSummaryInjectionReasonsItem(TypedDict):
    code: str
    description: str


class InboundMessageSummaryInjection(TypedDict):
    score: float
    reasons: List[InboundMessageSummaryInjectionReasonsItem]


class InboundMessageSummaryPolicy(TypedDict):
    outcome: Literal["accepted"]
    rule_index: int | None
    decided_in: Literal["smtp_session", "pipeline"]


class InboundMessageSummaryAgentSafetyContext(TypedDict):
    untrusted_content: bool
    guidance: str
    capabilities: List[str]


class _InboundMessageSummaryRequired(TypedDict):
    id: str
    mailbox_id: str
    mailbox_name: str | None
    state: MessageState
    internet_message_id: str | None
    sender: str | None
    sender_name: str | None
    recipient: str | None
    to: List[str]
    cc: List[str]
    reply_to: List[str]
    subject: str | None
    thread_id: str | None
    in_reply_to: str | None
    has_attachment: bool
    starred: bool
    firewall_block: InboundMessageSummaryFirewallBlock | None
    subaddress_instance_id: str | None
    # Always null: Postbox has no dashboard.
    dashboard_url: None
    # Bytes of the raw message.
    size: int
    sent_at: str | None
    read_at: str | None
    created_at: str
    updated_at: str
    scan: ScanSummary | None
    direction: Literal["inbound"]
    envelope: InboundMessageSummaryEnvelope
    pii_redacted: bool
    injection: InboundMessageSummaryInjection | None
    # Null while still being processed.
    sender_authentication: SenderAuthentication | None
    # The MailPolicy decision that let it in (null: the mailbox has no policy).
    policy: InboundMessageSummaryPolicy | None
    capabilities: List[str]
    auto_submitted: str | None
    labels: List[str]
    agent_safety_context: InboundMessageSummaryAgentSafetyContext
    # The first 200 characters of the text, flattened.
    body_preview: str | None


class InboundMessageSummary(_InboundMessageSummaryRequired, total=False):
    """An inbound message without its body (a preview instead)."""
    verification: Verification


class OutboundMessageSummaryFirewallBlock(TypedDict):
    """Which inbound firewall rule blocked the message."""
    envelope_sender: str | None
    from_address: str | None
    matched_field: Literal["envelope", "from"] | None
    matched_pattern: str | None
    reason_code: Literal["SENDER_BLOCKED", "SENDER_NOT_ON_ALLOWLIST"]
    matched_list: Literal["account_blocklist", "mailbox_allowlist"] | None
    mode: Literal["allowlist", "blocklist"]


class OutboundMessageSummaryHoldContext(TypedDict):
    """Why a send was held (or stopped)."""
    # reviewer: a reviewer revised it and only their approval holds it now.
    trigger_source: Literal["mailbox_policy", "scanner", "both", "reviewer"]
    summary_reasons: List[str]


class OutboundMessageSummary(TypedDict):
    """An outbound message without its body and deliveries."""
    id: str
    mailbox_id: str
    mailbox_name: str | None
    state: MessageState
    internet_message_id: str | None
    sender: str | None
    sender_name: str | None
    recipient: str | None
    to: List[str]
    cc: List[str]
    reply_to: List[str]
    subject: str | None
    thread_id: str | None
    in_reply_to: str | None
    has_attachment: bool
    starred: bool
    firewall_block: OutboundMessageSummaryFirewallBlock | None
    subaddress_instance_id: str | None
    # Always null: Postbox has no dashboard.
    dashboard_url: None
    # Bytes of the raw message.
    size: int
    sent_at: str | None
    read_at: str | None
    created_at: str
    updated_at: str
    scan: ScanSummary | None
    direction: Literal["outbound"]
    bcc: List[str]
    sender_authentication: None
    agent_safety_context: None
    hold_context: OutboundMessageSummaryHoldContext | None
    # The first 200 characters of the text, flattened.
    body_preview: str | None


class InboundMessageAction(InboundMessage):
    message_id: str
    # The message's state after the action.
    status: str


class OutboundMessageAction(OutboundMessage):
    message_id: str
    # The message's state after the action.
    status: str


class AttachmentDownloadUrl(TypedDict):
    """A signed download URL for one attachment (5 minutes)."""
    # Served by this Postbox; no key needed; works until expires_at.
    url: str
    expires_at: str
    filename: str | None
    content_type: str
    size: int
    # SHA-256 of the bytes the URL downloads.
    hash: str
    av_verdict: Literal["skipped"]


class AttachmentPreviewAttachment(TypedDict):
    index: int
    filename: str | None
    content_type: str
    size: int
    hash: str | None


class AttachmentPreviewPreview(TypedDict):
    kind: Literal["text"]
    content: str
    truncated: bool
    char_count: int | None
    returned_char_count: int
    page_count: int | None
    # text | csv | html | pdf
    extractor: str
    generated_at: str | None


class AttachmentPreview(TypedDict):
    """The extracted text of an attachment: text only, never its bytes."""
    attachment: AttachmentPreviewAttachment
    preview: AttachmentPreviewPreview


class AttachmentUpload(TypedDict):
    """A staged outbound attachment (an upload handle)."""
    id: str
    mailbox_id: str
    filename: str
    # The type declared at upload.
    content_type: str
    sniffed_mime_type: str
    family: str | None
    size: int
    hash: str
    content_scan_status: Literal["pending", "clean", "flagged", "error"]
    scan: ScanSummary | None
    status: Literal["active", "consumed"]
    consumed_at: str | None
    consumed_message_id: str | None
    created_at: str
    expires_at: str


class DashboardSession(TypedDict):
    """A dashboard session: the browser holds its secret in the httpOnly `postbox_session` cookie, the page holds the CSRF token."""
    account_id: str
    # The admin key the session acts as (the key itself is never returned).
    api_key_id: str
    # Send it in the `x-csrf-token` header with every change made with the session cookie.
    csrf_token: str
    # When the session ends; sign in again after it.
    expires_at: str


class DnsRecordCheck(TypedDict):
    """A record to publish and what the last check found: pending (not checked yet), verified, missing, mismatch (something else is published there), error (the lookup failed; try again)."""
    purpose: Literal["mx", "spf", "dkim", "dmarc"]
    type: Literal["MX", "TXT"]
    # The owner name to publish at, fully qualified (no trailing dot).
    name: str
    # MX: the host mail goes to; TXT: the text.
    value: str
    # MX preference; null for TXT.
    priority: int | None
    # Required records (MX, DKIM) decide verification; SPF and DMARC are advised.
    required: bool
    status: Literal["pending", "verified", "missing", "mismatch", "error"]
    # What the last lookup found at the name that bears on the record (MX hosts, SPF, DKIM or DMARC texts).
    found: List[str]


class Domain(TypedDict):
    """A domain mailboxes live on: the installation's own (`platform`, shared by every account, always verified, id 00000000-0000-0000-0000-000000000000) or a custom one of the account."""
    id: str
    domain_name: str
    domain_type: Literal["platform", "custom"]
    # Postbox receives and delivers the domain's mail itself.
    transport_mode: Literal["postbox"]
    # Whether new mailboxes of the account go here when they name no domain.
    is_default: bool
    verification_status: Literal["pending", "verified", "failed"]
    dkim_selector: str
    # Who made the custom domain's DKIM key; null for the installation's domain.
    dkim_key_source: Literal["generated", "operator"] | None
    # The records to publish, each with its last check (empty for the installation's domain).
    dns_records_json: List[DnsRecordCheck]
    admin_review_status: None
    last_checked_at: str | None
    verified_at: str | None
    created_at: str | None


class DomainCreated(TypedDict):
    """The new domain, with the records to publish before verifying it."""
    id: str
    domain_name: str
    domain_type: Literal["platform", "custom"]
    # Postbox receives and delivers the domain's mail itself.
    transport_mode: Literal["postbox"]
    # Whether new mailboxes of the account go here when they name no domain.
    is_default: bool
    verification_status: Literal["pending", "verified", "failed"]
    dkim_selector: str
    # Who made the custom domain's DKIM key; null for the installation's domain.
    dkim_key_source: Literal["generated", "operator"] | None
    # The records to publish, each with its last check (empty for the installation's domain).
    dns_records_json: List[DnsRecordCheck]
    admin_review_status: None
    last_checked_at: str | None
    verified_at: str | None
    created_at: str | None
    domain_id: str
    claim_token: None
    message: str


class DomainVerification(TypedDict):
    """The domain after a check of its records through the configured resolver."""
    id: str
    domain_name: str
    domain_type: Literal["platform", "custom"]
    # Postbox receives and delivers the domain's mail itself.
    transport_mode: Literal["postbox"]
    # Whether new mailboxes of the account go here when they name no domain.
    is_default: bool
    verification_status: Literal["pending", "verified", "failed"]
    dkim_selector: str
    # Who made the custom domain's DKIM key; null for the installation's domain.
    dkim_key_source: Literal["generated", "operator"] | None
    # The records to publish, each with its last check (empty for the installation's domain).
    dns_records_json: List[DnsRecordCheck]
    admin_review_status: None
    last_checked_at: str | None
    verified_at: str | None
    created_at: str | None
    # The first required record that is not verified.
    failed_gate: str | None
    failure_reason: str | None
    message: str


class DomainDeleted(TypedDict):
    id: str
    domain_name: str
    deleted: Literal[True]


class DraftBody(TypedDict):
    format: Literal["text", "html"]
    content: str | None
    char_count: int
    returned_char_count: int
    truncated: bool
    text: str | None
    html: str | None


class DraftAttachmentsItem(TypedDict):
    upload_id: str
    filename: str
    content_type: str
    size: int
    # pending | clean | flagged | error
    content_scan_status: str


class Draft(TypedDict):
    """A draft, scanned at every write; sending rescans it."""
    id: str
    mailbox_id: str
    # The mailbox's name.
    mailbox_name: str | None
    sender: str | None
    # cancelled: its mailbox was deleted before it was sent.
    state: DraftState
    to: List[str]
    cc: List[str]
    bcc: List[str]
    # The To addresses, comma-separated.
    recipient: str
    subject: str
    body: DraftBody
    # The thread it continues, if any.
    thread_id: str | None
    in_reply_to: str | None
    # The id of the message it answers, if any.
    in_reply_to_message_id: str | None
    subaddress_instance_id: str | None
    subaddress_mode: Literal["reply_to", "from", "none"] | None
    send_at: str | None
    scan: ScanSummary
    worst_decision: Literal["allow", "allow_with_warning", "require_human_approval", "quarantine", "block", "review"]
    # The sent message, once sent.
    message_id: str | None
    # Upload handles its send will carry.
    attachment_ids: List[str]
    attachments: List[DraftAttachmentsItem]
    created_at: str
    updated_at: str


class ThreadSummary(TypedDict):
    """A thread as lists show it; counts cover what the caller sees."""
    id: str
    mailbox_id: str
    subject: str
    participants: List[str]
    message_count: int
    # Inbound messages the caller sees that nobody marked read.
    unread_count: int
    # Whether any message of the thread the caller sees is starred.
    starred: bool
    first_message_at: str
    last_message_at: str
    created_at: str


class Thread(TypedDict):
    """A thread with its messages."""
    id: str
    mailbox_id: str
    subject: str
    participants: List[str]
    message_count: int
    # Inbound messages the caller sees that nobody marked read.
    unread_count: int
    # Whether any message of the thread the caller sees is starred.
    starred: bool
    first_message_at: str
    last_message_at: str
    created_at: str
    mailbox_name: str | None
    # Oldest first: Message objects, or MessageSummary objects with `view=summary`.
    messages: List[Union[Message, MessageSummary]]


class _ErrorBodyRequired(TypedDict):
    # What went wrong and what to fix, for a human or an agent.
    error: str
    # A stable UPPER_SNAKE code (the error-code catalogue in docs/api.md).
    code: str


class ErrorBody(_ErrorBodyRequired, total=False):
    """The error envelope: `{error, code, details?, errors?}`."""
    # Facts a client may act on; which ones depends on the code.
    details: Dict[str, Any]
    # Every validation problem, one per entry.
    errors: List[str]


class ValidationErrorBodyDetails(TypedDict):
    errors: List[str]


class ValidationErrorBody(TypedDict):
    """A request that does not match the route's schema (or a use-case's checks): every problem listed."""
    # The first problem.
    error: str
    # INVALID_ID when the first problem is a malformed UUID, INVALID_DATE a bad timestamp.
    code: Literal["VALIDATION_ERROR", "INVALID_ID", "INVALID_DATE"]
    # Every problem: `body.name is required`, …
    errors: List[str]
    details: ValidationErrorBodyDetails


class MailPolicySendersItemMatch(TypedDict, total=False):
    address: str
    domain: str
    requireDkim: bool
    requireSpf: bool


class MailPolicySendersItemRateLimit(TypedDict, total=False):
    perHour: int
    perDay: int


class MailPolicySendersItemTokenBudget(TypedDict, total=False):
    perThread: int
    perDay: int


class _MailPolicySendersItemRequired(TypedDict):
    match: MailPolicySendersItemMatch
    capabilities: List[str]


class MailPolicySendersItem(_MailPolicySendersItemRequired, total=False):
    rateLimit: MailPolicySendersItemRateLimit
    tokenBudget: MailPolicySendersItemTokenBudget


class MailPolicyContentGuardsItem(TypedDict):
    reject: str
    reason: str


class _MailPolicyAuditLogRequired(TypedDict):
    retentionDays: int


class MailPolicyAuditLog(_MailPolicyAuditLogRequired, total=False):
    includeBodyHash: bool


class _MailPolicyRequired(TypedDict):
    defaultAction: Literal["bounce", "drop"]
    senders: List[MailPolicySendersItem]
    auditLog: MailPolicyAuditLog


class MailPolicy(_MailPolicyRequired, total=False):
    """A mailbox's MailPolicy document (docs/policy.md)."""
    contentGuards: List[MailPolicyContentGuardsItem]


class AuditEntry(TypedDict):
    """One inbound policy evaluation, chained to the one before by its hash."""
    seq: int
    created_at: str
    mailbox_id: str
    # smtp, http, api or local.
    transport: str
    envelope_sender: str | None
    header_sender: str | None
    rule_index: int | None
    # accepted, rejected_at_policy, rejected_at_verification, rejected_at_content_guard, rate_limited or budget_exhausted.
    outcome: str
    # delivered, rejected_in_session, dropped, bounced or bounce_suppressed (and blocked by the firewall).
    action: str
    reason: str | None
    message_id: str | None
    body_sha256: str | None
    capabilities: List[str]
    prev_hash: str
    hash: str


class InboundRuleWhenHeader(TypedDict):
    name: str
    contains: str


_InboundRuleWhenOptional = TypedDict("_InboundRuleWhenOptional", {"from": "str", "subject_contains": "str", "header": "InboundRuleWhenHeader", "auth": "str"}, total=False)


class InboundRuleWhen(_InboundRuleWhenOptional):
    pass


class _InboundRuleActionRequired(TypedDict):
    type: Literal["label", "forward", "auto_reply"]


class InboundRuleAction(_InboundRuleActionRequired, total=False):
    label: str
    to: str
    subject: str
    body: str


class _InboundRuleRequired(TypedDict):
    action: InboundRuleAction


class InboundRule(_InboundRuleRequired, total=False):
    """One inbound rule: conditions (ANDed) and an action."""
    name: str
    when: InboundRuleWhen
    stop: bool


class RuleSet(TypedDict):
    """A mailbox's inbound rules, run in order on every message that becomes available."""
    rules: List[InboundRule]
    # At most one auto-reply per sender in this many hours.
    auto_reply_period_hours: int


class LegalHold(TypedDict):
    """A legal hold: while active, the mail it covers is kept from retention, message and mailbox deletion and account deletion."""
    id: str
    scope: Literal["account", "mailbox"]
    # The held mailbox (scope mailbox); null for an account hold.
    mailbox_id: str | None
    case_reference: str | None
    reason: str
    status: Literal["active", "released"]
    applied_at: str
    # Who: admin (an admin key of the account) or system.
    applied_by_type: str
    applied_by_id: str | None
    released_at: str | None
    released_by_type: str | None
    released_by_id: str | None
    release_reason: str | None


class _MailboxPiiRedactionConfigValueOperatorRequired(TypedDict):
    kind: Literal["replace_with_type", "partial_mask", "hash_replace"]


class MailboxPiiRedactionConfigValueOperator(_MailboxPiiRedactionConfigValueOperatorRequired, total=False):
    keep_last: int
    mask_char: str


class MailboxPiiRedactionConfigValue(TypedDict, total=False):
    redact: bool
    operator: MailboxPiiRedactionConfigValueOperator


class MailboxScannerPolicyOutboundPiiPolicy(TypedDict, total=False):
    ssn: Literal["allow", "allow_with_warning", "require_human_approval", "quarantine", "block", "review"]
    credit_card: Literal["allow", "allow_with_warning", "require_human_approval", "quarantine", "block", "review"]
    phone_number: Literal["allow", "allow_with_warning", "require_human_approval", "quarantine", "block", "review"]


class MailboxScannerPolicyOutboundReviewPolicy(TypedDict, total=False):
    approval_note: Literal["optional", "required_for_sensitive_pii"]


class MailboxScannerPolicy(TypedDict, total=False):
    language_mode: Literal["english_only", "allow_all_languages", "disabled"]
    disabled_scanners: List[str]
    disabled_proxy_criteria: List[str]
    outbound_pii_policy: MailboxScannerPolicyOutboundPiiPolicy
    outbound_review_policy: MailboxScannerPolicyOutboundReviewPolicy


class MailboxSendQuotasItem(TypedDict):
    window_seconds: int
    limit: int


class Mailbox(TypedDict):
    """A mailbox: an address agents read and send from, with its safety settings."""
    id: str
    # The local part of its address.
    name: str
    # `name@domain`.
    address: str
    # The domain the mailbox lives on: a custom domain of the account, or the installation's.
    domain: str
    display_name: str | None
    pii_mode: PiiMode
    # Per detector (EMAIL_ADDRESS, PHONE_NUMBER, CREDIT_CARD, US_SSN, CRYPTO, …; docs/safety.md lists all fourteen): whether and how it is redacted.
    pii_redaction_config: Dict[str, MailboxPiiRedactionConfigValue]
    # Inbound mail scoring at or above it is quarantined: the mailbox's own, or the model's default.
    injection_threshold: float
    injection_threshold_is_default: bool
    hitl_mode: HitlMode
    scanner_policy: MailboxScannerPolicy
    approval_expiry_hours: int | None
    retention_days: int | None
    recipient_policy: ListMode
    send_quotas: List[MailboxSendQuotasItem]
    status: Literal["active", "paused", "deleted"]
    # What recipients see in From: display name or name.
    effective_from_display: str
    approval_expiry: str | None
    recipient_policy_mode: ListMode
    sender_policy_mode: ListMode
    allow_thread_replies: bool
    # Sends reach confirmed verified recipients only (so do a sandboxed account's mailboxes').
    sandbox: bool
    agent_authoring_mode: Literal["send_and_draft", "draft_only", "read_only"]
    agent_send_policy: Literal["open", "restricted"]
    restricted_by: str | None
    # Always false: sends are restricted by the allowlist.
    agent_send_containment: bool
    policy_mode: PolicyMode
    send_window: Dict[str, Any] | None
    default_subaddress_mode: Literal["none", "reply_to", "from"]
    attachment_exposure_mode: AttachmentExposureMode
    attachment_allowed_file_families: List[str]
    # Agents may download images raw: `image` is allowed and the current image-risk text accepted.
    image_raw_download_confirmed: bool
    current_image_risk_version: str
    attachment_image_access_accepted_at: str | None
    attachment_image_access_accepted_version: str | None
    # Sends may carry attachments (attachment_ids).
    outbound_attachments_enabled: bool
    # Sends may carry images: the current outbound image disclaimer was accepted.
    outbound_image_disclaimer_accepted: bool
    current_outbound_image_disclaimer_version: str
    created_at: str
    updated_at: str


class PolicyReadModelEnforcement(TypedDict):
    """Whether each control binds (`enforce`): every stored control does on this server."""
    risky_only: str
    send_window: str


class PolicyReadModelBinding(TypedDict):
    scope: Literal["admin", "agent"]
    permitted_verbs: List[str]


class _PolicyReadModelRequired(TypedDict):
    mailbox_id: str
    policy_mode: PolicyMode
    # Whether each control binds (`enforce`): every stored control does on this server.
    enforcement: PolicyReadModelEnforcement
    last_applied_policy_mode: str | None
    agent_authoring_mode: Literal["send_and_draft", "draft_only", "read_only"]
    agent_send_policy: Literal["open", "restricted"]
    restricted_by: str | None
    hitl_mode: HitlMode
    approval_expiry: str | None
    approval_expiry_hours: int | None
    send_window: Dict[str, Any] | None
    allow_thread_replies: bool
    recipient_policy_mode: ListMode
    sender_policy_mode: ListMode
    latest_revision_id: str | None
    binding: PolicyReadModelBinding
    # The MailPolicy document; null: the mailbox accepts everything.
    policy: MailPolicy | None
    updated_at: str | None


class PolicyReadModel(_PolicyReadModelRequired, total=False):
    """A mailbox's policy: the agent policy read model and its MailPolicy document."""
    # After a PUT: accepted, but worth a look.
    warnings: List[str]


class PolicyPreviewTraceItem(TypedDict):
    # authoring, recipient_authority, send_window, content_scan, human_review, send_budget
    gate: str
    outcome: Literal["pass", "would_hold", "would_block", "not_run", "skipped"]
    reason: str
    details: Dict[str, Any]


class PolicyPreviewBudget(TypedDict):
    limit: int
    remaining: int
    warmup_applied: bool


class PolicyPreview(TypedDict):
    """What the send gates would do to an agent's send; nothing is recorded."""
    mailbox_id: str
    result: Literal["passes_all_checks_run", "would_hold", "would_block"]
    result_summary: str
    content_scan_run: bool
    email_effect: EmailEffect
    trace: List[PolicyPreviewTraceItem]
    budget: PolicyPreviewBudget


class AccountPolicy(TypedDict):
    """The account's daily send cap, the mode new mailboxes start in, and its mail's retention."""
    # The account's own daily cap; null: the operator's default.
    custom_daily_send_limit: int | None
    # The daily cap in force.
    daily_send_limit: int
    default_policy_mode: str | None
    resolved_default_policy_mode: str | None
    # Sandbox mode: every mailbox of the account sends to confirmed verified recipients only.
    sandbox: bool
    # Days settled mail is kept in mailboxes that set none; null: the operator's default.
    retention_days: int | None
    # The account's retention in force (its own, or POSTBOX_RETENTION_DAYS).
    effective_retention_days: int


class SimulatorResult(TypedDict):
    """Where processing left the synthetic message (pending: still being processed)."""
    status: Literal["available", "quarantined", "blocked", "pending"]
    message_id: str
    state: str


class Suppression(TypedDict):
    """An address or domain sends are refused to."""
    # An address, or a bare domain "@corp.com".
    email: str
    # email: one address; domain: a bare domain (@corp.com).
    pattern_type: PatternType
    reason: SuppressionReason
    source: str | None
    detail: str | None
    # Null: permanent.
    expires_at: str | None
    added_by_actor_type: str | None
    added_by_actor_id: str | None
    created_at: str | None


class BulkResultAddedItem(TypedDict):
    email: str


class _BulkResultInvalidItemRequired(TypedDict):
    email: str
    # invalid_format
    reason: str


class BulkResultInvalidItem(_BulkResultInvalidItemRequired, total=False):
    detail: str | None


class BulkResultCounts(TypedDict):
    added: int
    already_existed: int
    invalid: int
    total: int


class BulkResult(TypedDict):
    """What a bulk add did, entry by entry."""
    # The new entries, as the list shows them.
    added: List[BulkResultAddedItem]
    already_existed: List[str]
    invalid: List[BulkResultInvalidItem]
    counts: BulkResultCounts


class AllowlistEntry(TypedDict):
    """An entry of a mailbox's allowlist: a recipient it may send to (recipient allowlist) or a sender whose mail gets through (inbound allowlist)."""
    # An address, or a bare domain @corp.com.
    email: str
    mailbox_id: str
    # email: one address; domain: a bare domain (@corp.com).
    pattern_type: PatternType
    source: str | None
    added_by_actor_type: str | None
    added_by_actor_id: str | None
    created_at: str | None


class BlockedAttemptGroup(TypedDict):
    """A recipient (and key) the recipient allowlist kept refusing."""
    recipient: str
    actor_type: Literal["api_key", "system"]
    actor_id: str | None
    count: int
    first_attempted_at: str | None
    last_attempted_at: str | None


class BlockedAttempt(TypedDict):
    """One send the recipient allowlist refused."""
    id: str
    recipient: str
    actor_type: Literal["api_key", "system"]
    actor_id: str | None
    origin: str | None
    attempted_at: str | None


class InboundBlockedAttemptGroup(TypedDict):
    """A sender (and rule) the inbound firewall kept stopping."""
    sender: str | None
    matched_field: str | None
    matched_list: str | None
    mode: str | None
    reason_code: str | None
    count: int
    first_attempted_at: str | None
    last_attempted_at: str | None


class InboundBlockedAttempt(TypedDict):
    """One message the inbound firewall stopped."""
    id: str
    message_id: str | None
    envelope_sender: str | None
    from_address: str | None
    matched_field: str | None
    matched_pattern: str | None
    matched_list: str | None
    mode: str | None
    reason_code: str | None
    attempted_at: str | None


class BlocklistEntry(TypedDict):
    """A sender the account's inbound firewall stops."""
    # An address, or a bare domain @corp.com.
    email: str
    # The same as email (its older name).
    address: str
    # email: one address; domain: a bare domain (@corp.com).
    pattern_type: PatternType
    reason: str | None
    source: str | None
    added_by_actor_type: str | None
    added_by_actor_id: str | None
    created_at: str | None


class VerifiedRecipient(TypedDict):
    """An address sandboxed mailboxes may send to once its owner confirmed it."""
    id: str
    # Lower-cased.
    email: str
    # pending: a confirmation link is out; confirmed: its owner confirmed, sandboxed mailboxes may mail it; expired: the latest link expired unconfirmed (resend mails a new one).
    status: Literal["pending", "confirmed", "expired"]
    created_at: str
    confirmed_at: str | None
    link_sent_at: str
    link_expires_at: str
    # Confirmation mails sent to the address in all.
    links_sent: int


class HealthQueue(TypedDict):
    deliveries_pending: int
    inbound_pending: int
    # Messages processing gave up on (state failed).
    inbound_failed: int


class _HealthProvidersPrimaryRequired(TypedDict):
    healthy: bool
    configured: bool


class HealthProvidersPrimary(_HealthProvidersPrimaryRequired, total=False):
    # relay or mx.
    kind: str


class _HealthProvidersFailoverRequired(TypedDict):
    healthy: bool
    configured: bool


class HealthProvidersFailover(_HealthProvidersFailoverRequired, total=False):
    # relay or mx.
    kind: str


class HealthProviders(TypedDict):
    """The outbound transport: the relay or direct MX; no failover."""
    primary: HealthProvidersPrimary
    failover: HealthProvidersFailover


class _HealthRequired(TypedDict):
    # down (503): the database does not answer.
    status: Literal["ok", "down"]
    # Whether the database answers.
    database: bool
    # pglite or postgres.
    database_kind: str
    queue_depth: int | None
    version: str
    timestamp: str
    # The outbound transport: the relay or direct MX; no failover.
    providers: HealthProviders
    # The injection and PII scanners (built in, always on).
    scanner: bool
    # Always false: Postbox has no spam filter.
    spam_filter: bool
    # What this server supports (`messages.search`, `send.thread_id` …); clients check before using a feature.
    capabilities: List[str]
    roles: List[str]


class Health(_HealthRequired, total=False):
    """Whether the service can serve: `ok` with its queues, or `down` (503) without a database."""
    queue: HealthQueue
    # Long-polls open in the process that answered.
    waits_open: int
    # Event streams open in the process that answered.
    streams_open: int


class IngestResultAcceptedItem(TypedDict):
    recipient: str
    message_id: str
    mailbox_id: str


class IngestResultRejectedItem(TypedDict):
    recipient: str
    # INVALID_ADDRESS, FOREIGN_DOMAIN or UNKNOWN_RECIPIENT.
    code: str
    reason: str


class IngestResult(TypedDict):
    """Stored for every accepted recipient (one copy per mailbox) before this answer."""
    accepted: List[IngestResultAcceptedItem]
    rejected: List[IngestResultRejectedItem]


class Webhook(TypedDict):
    """A signed webhook subscription."""
    id: str
    url: str
    description: str | None
    enabled_events: List[str]
    enabled: bool
    disabled_at: str | None
    disabled_reason: str | None
    # Deliveries abandoned in a row (disabled after 20).
    consecutive_abandoned: int
    # The seed's name for consecutive_abandoned.
    consecutive_failures: int
    # The last delivery it answered with 2xx.
    last_success_at: str | None
    # The last delivery attempt that failed.
    last_failure_at: str | None
    last_error: str | None
    # postbox, agentpack or replylayer: how deliveries are signed.
    signature_scheme: str
    # Until when deliveries are also signed with the previous secret (after a rotation).
    previous_secret_expires_at: str | None
    created_at: str
    updated_at: str


class WebhookDelivery(TypedDict):
    """One event's delivery to one webhook; `delivery_id`, `event_type`, `status`, `http_status`, `attempt_count`, `failed_at`, `next_retry_at` and `response_preview` are the seed's names for the same facts."""
    id: str
    webhook_id: str
    event_id: str | None
    event: str
    state: DeliveryStatus
    attempts: int
    last_status: int | None
    last_error: str | None
    last_attempt_at: str | None
    next_attempt_at: str | None
    delivered_at: str | None
    created_at: str
    delivery_id: str
    event_type: str
    status: DeliveryStatus
    http_status: int | None
    attempt_count: int
    failed_at: str | None
    next_retry_at: str | None
    response_preview: str | None


class Event(TypedDict):
    """One entry of the event log."""
    # `evt_<n>`: the same in webhook deliveries of this event.
    id: str
    # An event type of the catalogue (docs/events.md).
    event: EventType
    created_at: str
    mailbox_id: str | None
    # The event's data (docs/events.md).
    data: Dict[str, Any]
    # Where to resume after this event.
    cursor: str


class GetAccountResponse(TypedDict):
    """The calling key's account."""
    account_id: str
    id: str
    name: str
    # The operator's account, created at first start.
    is_default: bool
    created_at: str
    # A self-hosted account has no sign-up e-mail.
    email: None
    status: Literal["active"]
    # `self_hosted`.
    tier: str


class DeleteAccountBody(TypedDict, total=False):
    # The account's id or name.
    confirm: str
    # The seed's field: the `email` of `GET /v1/accounts` (null here), or the id or name.
    confirm_email: str | None


class GetCurrentKeyResponseUrlReputation(TypedDict):
    active: bool
    accepted_version: str | None
    current_version: str
    privacy_ok: bool


class GetCurrentKeyResponse(TypedDict):
    """Who the calling key is."""
    account_id: str
    api_key_id: str
    role: KeyRole
    label: str | None
    # The mailboxes an agent key is bound to ([] for other roles).
    mailbox_ids: List[str]
    url_reputation: GetCurrentKeyResponseUrlReputation


class GetAccountUsageResponseToday(TypedDict):
    count: int
    limit: int
    day: str


class GetAccountUsageResponseHistoryItem(TypedDict):
    day: str
    count: int


class GetAccountUsageResponseStorageBreakdown(TypedDict):
    # The stored raw messages, each copy counted.
    raw_mime_bytes: int
    # The decoded attachments, kept inside the raw messages (part of raw_mime_bytes).
    attachment_bytes: int
    # Text and HTML bodies parsed out of the raw messages, kept for reading and search.
    derivative_bytes: int


class GetAccountUsageResponseStorage(TypedDict):
    used_bytes: int
    limit_bytes: None
    percent_used: None
    state: Literal["normal", "warning", "near_full", "over_limit"]
    breakdown: GetAccountUsageResponseStorageBreakdown


class GetAccountUsageResponse(TypedDict):
    """Sends today (in recipients) and over 30 days, mailboxes, held sends, stored bytes."""
    today: GetAccountUsageResponseToday
    history: List[GetAccountUsageResponseHistoryItem]
    mailbox_count: int
    mailbox_limit: int | None
    pending_review_count: int
    storage: GetAccountUsageResponseStorage
    # sandbox (the account is in sandbox mode) | self_hosted
    tier: str


class UpdateAccountPolicyBody(TypedDict, total=False):
    custom_daily_send_limit: int | None
    default_policy_mode: Literal["read_only", "draft_only", "supervised", "trusted"] | None
    sandbox: bool
    retention_days: int | None


class CreateAccountBody(TypedDict):
    name: str


class CreateAccountResponse(TypedDict):
    """The new account and its first admin key."""
    id: str
    name: str
    # The operator's account, created at first start.
    is_default: bool
    created_at: str
    # The new account's first admin key. Shown once.
    admin_key: str
    admin_key_id: str


class ListAccountsResponse(TypedDict):
    """Every account."""
    accounts: List[Account]
    # Whether another page follows.
    has_more: bool
    # Pass back as `cursor` for the next page; null at the end.
    next_cursor: str | None


class _CreateApiKeyBodyRequired(TypedDict):
    role: KeyRole


class CreateApiKeyBody(_CreateApiKeyBodyRequired, total=False):
    mailbox_ids: List[str]
    label: str


class CreateApiKeyResponse(TypedDict):
    """The new key, with its secret (shown once)."""
    id: str
    # `pbx_live_<key id>`: enough to recognise a key, not to use it.
    prefix: str
    status: Literal["active", "revoked"]
    role: KeyRole
    label: str | None
    mailbox_ids: List[str]
    created_at: str
    last_used_at: str | None
    revoked_at: str | None
    # The full key. Shown once: store it now.
    api_key: str


class ListApiKeysResponse(TypedDict):
    """The account's keys."""
    keys: List[ApiKey]
    # Whether another page follows.
    has_more: bool
    # Pass back as `cursor` for the next page; null at the end.
    next_cursor: str | None


class RebindApiKeyBody(TypedDict):
    mailbox_ids: List[str]


class RotateApiKeyResponse(TypedDict):
    """The new key; the calling key is revoked."""
    id: str
    # `pbx_live_<key id>`: enough to recognise a key, not to use it.
    prefix: str
    status: Literal["active", "revoked"]
    role: KeyRole
    label: str | None
    mailbox_ids: List[str]
    created_at: str
    last_used_at: str | None
    revoked_at: str | None
    # The new key. Shown once.
    api_key: str
    replaces: str


class _CreateMailboxBodyRequired(TypedDict):
    name: str


class CreateMailboxBody(_CreateMailboxBodyRequired, total=False):
    display_name: str | None
    # A verified domain of the account, by name or id (`GET /v1/domains`); default: the account's default domain.
    domain: str


class ListMailboxesResponse(TypedDict):
    """The mailboxes the key may use, oldest first."""
    mailboxes: List[Mailbox]
    # Whether another page follows.
    has_more: bool
    # Pass back as `cursor` for the next page; null at the end.
    next_cursor: str | None


class UpdateMailboxBodyScannerPolicyOutboundPiiPolicy(TypedDict, total=False):
    ssn: Literal["allow", "allow_with_warning", "require_human_approval", "quarantine", "block", "review"]
    credit_card: Literal["allow", "allow_with_warning", "require_human_approval", "quarantine", "block", "review"]
    phone_number: Literal["allow", "allow_with_warning", "require_human_approval", "quarantine", "block", "review"]


class UpdateMailboxBodyScannerPolicyOutboundReviewPolicy(TypedDict, total=False):
    approval_note: Literal["optional", "required_for_sensitive_pii"]


class UpdateMailboxBodyScannerPolicy(TypedDict, total=False):
    language_mode: Literal["english_only", "allow_all_languages", "disabled"]
    disabled_scanners: List[Literal["prompt-injection", "attachment-policy", "mime-mismatch", "pii", "secrets", "url-reputation"]]
    disabled_proxy_criteria: List[Literal["prompt_injection", "jailbreak", "function_call_risk", "profanity", "confidentiality_leak", "unauthorized_liability"]]
    outbound_pii_policy: UpdateMailboxBodyScannerPolicyOutboundPiiPolicy
    outbound_review_policy: UpdateMailboxBodyScannerPolicyOutboundReviewPolicy


class UpdateMailboxBody(TypedDict, total=False):
    display_name: str | None
    pii_mode: PiiMode
    injection_threshold: float | None
    hitl_mode: HitlMode
    scanner_policy: UpdateMailboxBodyScannerPolicy | None
    approval_expiry_hours: int | None
    approval_expiry: Literal["24h", "72h", "7d", "never"]
    retention_days: int | None
    status: Literal["active", "paused"]
    recipient_policy_mode: ListMode
    sender_policy_mode: ListMode
    agent_send_policy: Literal["restricted", "open"]
    force_empty: bool
    confirm_open_human_sends: bool
    allow_thread_replies: bool
    sandbox: bool
    default_subaddress_mode: Literal["reply_to", "from", "none"]
    attachment_exposure_mode: AttachmentExposureMode
    attachment_allowed_file_families: List[Literal["pdf", "text", "csv", "image", "*"]]
    agent_authoring_mode: Literal["send_and_draft", "draft_only", "read_only"]
    apply_policy_mode: Literal["read_only", "draft_only", "supervised", "trusted"]
    inbound_sender_allowlist: List[str] | None


class DeleteMailboxResponseCancelled(TypedDict):
    drafts_cancelled: int
    deliveries_cancelled: int
    rule_jobs_dropped: int


class DeleteMailboxResponse(Mailbox):
    """The deleted mailbox, and what of its pending work was cancelled."""
    deleted: Literal[True]
    cancelled: DeleteMailboxResponseCancelled


class _SetSenderPolicyBodyRequired(TypedDict):
    mode: ListMode


class SetSenderPolicyBody(_SetSenderPolicyBodyRequired, total=False):
    force_empty: bool


class SetSenderPolicyResponse(TypedDict):
    """The mailbox's inbound sender policy now, and before."""
    mailbox_id: str
    sender_policy_mode: ListMode
    previous_mode: str
    changed_at: str


class SetAttachmentAccessBody(TypedDict, total=False):
    mode: AttachmentExposureMode
    allowed_file_families: List[Literal["pdf", "text", "csv", "image", "*"]]
    accept_disclaimer_version: str
    accept_image_risk_version: str
    enable: bool
    outbound_enabled: bool
    accept_outbound_image_disclaimer_version: str


class SetAttachmentAccessResponse(TypedDict):
    """What agent keys may read of attachments now, and the mailbox's attachment consents."""
    mailbox_id: str
    mode: AttachmentExposureMode
    allowed_file_families: List[str]
    # Agents may download images raw: `image` is allowed and the current image-risk text accepted.
    image_raw_download_confirmed: bool
    current_image_risk_version: str
    attachment_image_access_accepted_at: str | None
    attachment_image_access_accepted_version: str | None
    # Sends may carry attachments (attachment_ids).
    outbound_attachments_enabled: bool
    # Sends may carry images: the current outbound image disclaimer was accepted.
    outbound_image_disclaimer_accepted: bool
    current_outbound_image_disclaimer_version: str


class ListMessagesResponse(TypedDict):
    """MessageSummary items, or full messages with `view=verbose`."""
    messages: List[Union[MessageSummary, Message]]
    # Whether another page follows.
    has_more: bool
    # Pass back as `cursor` for the next page; null at the end.
    next_cursor: str | None


class WaitForMessageResponse(TypedDict):
    """The next inbound message, or `{message: null, cursor}` at the timeout."""
    # The next inbound message, or null at the timeout.
    message: MessageSummary | None
    # Pass back as `since` to wait for the one after.
    cursor: str


class DeleteMessageResponse(TypedDict):
    """The message was deleted (or already was)."""
    id: str
    message_id: str
    status: Literal["deleted"]
    deleted: Literal[True]
    state: Literal["deleted"]
    # The raw bytes are kept for admins.
    raw_mime_deleted: Literal[False]
    deleted_at: str | None


class StarMessageBody(TypedDict):
    starred: bool


class StarMessageResponse(TypedDict):
    """The message's star now."""
    message_id: str
    starred: bool


class InboundMarkMessageReadResponse(InboundMessage):
    """The message, read (`read_at` set), with the seed's `message_id`."""
    message_id: str


class OutboundMarkMessageReadResponse(OutboundMessage):
    """The message, read (`read_at` set), with the seed's `message_id`."""
    message_id: str


class _SendMessageBodyRequired(TypedDict):
    body: str


class SendMessageBody(_SendMessageBodyRequired, total=False):
    # The sending mailbox (id or name); with thread_id, optional (the thread's must match).
    from_mailbox: str
    to: Union[str, List[str]]
    cc: Union[str, List[str]]
    bcc: Union[str, List[str]]
    subject: str
    html: str | None
    thread_id: str
    # An instance to name in the plus-address (`name+<instance>.<tag>@domain`, the tag an HMAC under the account's key): a reply to it arrives with this `subaddress_instance_id`.
    subaddress_instance_id: str
    # Where the plus-address goes for this send, overriding the mailbox's default_subaddress_mode.
    subaddress_mode: Literal["reply_to", "from", "none"]
    # Upload handles (POST /v1/attachments) of this mailbox, scanned, consumed by the send. At most 10 files and 15 MB together.
    attachment_ids: List[str]


class _ReplyToMessageBodyRequired(TypedDict):
    body: str


class ReplyToMessageBody(_ReplyToMessageBodyRequired, total=False):
    html: str | None
    reply_all: bool
    # An instance to name in the plus-address (`name+<instance>.<tag>@domain`, the tag an HMAC under the account's key): a reply to it arrives with this `subaddress_instance_id`.
    subaddress_instance_id: str
    # Where the plus-address goes for this send, overriding the mailbox's default_subaddress_mode.
    subaddress_mode: Literal["reply_to", "from", "none"]
    # Upload handles (POST /v1/attachments) of this mailbox, scanned, consumed by the send. At most 10 files and 15 MB together.
    attachment_ids: List[str]


class DeleteAttachmentUploadResponse(TypedDict):
    """The handle is gone."""
    id: str
    deleted: bool


class ListThreadsResponse(TypedDict):
    """Threads, most recent activity first."""
    threads: List[ThreadSummary]
    # Whether another page follows.
    has_more: bool
    # Pass back as `cursor` for the next page; null at the end.
    next_cursor: str | None


class MarkThreadReadResponse(TypedDict):
    """How many messages the caller sees were marked read."""
    thread_id: str
    marked_count: int


class StarThreadBody(TypedDict):
    starred: bool


class StarThreadResponse(TypedDict):
    """How many messages changed."""
    thread_id: str
    starred: bool
    updated_count: int


class _PreviewMailboxSendBodyRequired(TypedDict):
    to: str


class PreviewMailboxSendBody(_PreviewMailboxSendBodyRequired, total=False):
    subject: str
    body: str
    at_time: str
    run_content_scan: bool


class TestMailPolicyResponseTraceItem(TypedDict):
    step: str
    result: Literal["pass", "fail", "skipped"]
    detail: str


class TestMailPolicyResponseInput(TypedDict):
    sender: str | None
    dkim_pass: bool
    spf_pass: bool
    thread_id: str | None


class _TestMailPolicyResponseRequired(TypedDict):
    # accepted, rejected_at_policy, rejected_at_verification, rejected_at_content_guard, rate_limited or budget_exhausted.
    outcome: str
    disposition: Literal["deliver", "bounce", "drop"]
    rule_index: int | None
    capabilities: List[str]
    reason: str | None
    trace: List[TestMailPolicyResponseTraceItem]
    input: TestMailPolicyResponseInput


class TestMailPolicyResponse(_TestMailPolicyResponseRequired, total=False):
    """What the policy would do, step by step (nothing recorded)."""
    sender_authentication: SenderAuthentication


class ReportTokenUsageBody(TypedDict):
    tokens: int


class ReportTokenUsageResponse(TypedDict):
    """The tokens were recorded against the sender's budget."""
    message_id: str
    sender: str | None
    thread_id: str | None
    tokens: int


class ListAuditEntriesResponse(TypedDict):
    """Audit entries, newest first."""
    entries: List[AuditEntry]
    # Whether another page follows.
    has_more: bool
    # Pass back as `cursor` for the next page; null at the end.
    next_cursor: str | None


class VerifyAuditChainResponseAnchor(TypedDict):
    seq: int
    hash: str


class VerifyAuditChainResponseHead(TypedDict):
    seq: int
    hash: str


class VerifyAuditChainResponseFirstBroken(TypedDict):
    seq: int
    problem: Literal["entry_modified", "link_broken", "entry_missing", "head_mismatch"]
    detail: str


class VerifyAuditChainResponse(TypedDict):
    """Whether the mailbox's audit hash chain is intact, and where it first breaks."""
    mailbox_id: str
    ok: bool
    checked: int
    anchor: VerifyAuditChainResponseAnchor
    head: VerifyAuditChainResponseHead
    first_broken: VerifyAuditChainResponseFirstBroken | None


class ReleaseMessageBody(TypedDict, total=False):
    note: str
    reason: str


class FirewallReleaseMessageBody(TypedDict, total=False):
    note: str
    reason: str


class BlockMessageBody(TypedDict, total=False):
    note: str
    reason: str


class ReportMessageBody(TypedDict, total=False):
    note: str
    reason: str


class ListInboundBlocklistResponse(TypedDict):
    """The account's inbound blocklist."""
    blocklist: List[BlocklistEntry]
    # Whether another page follows.
    has_more: bool
    # Pass back as `cursor` for the next page; null at the end.
    next_cursor: str | None


class AddInboundBlocklistEntryBody(TypedDict, total=False):
    email: str
    address: str
    reason: str


class AddInboundBlocklistEntryResponse(TypedDict):
    """The sender was blocked already."""
    # An address, or a bare domain @corp.com.
    email: str
    # The same as email (its older name).
    address: str
    # email: one address; domain: a bare domain (@corp.com).
    pattern_type: PatternType
    reason: str | None
    source: str | None
    added_by_actor_type: str | None
    added_by_actor_id: str | None
    created_at: str | None
    # True (200) when the entry was there already; false (201) when new.
    already_existed: bool


class AddInboundBlocklistEntriesBulkBody(TypedDict):
    emails: List[str]


class DeleteInboundBlocklistEntryResponse(TypedDict):
    """The sender is unblocked."""
    status: Literal["deleted"]
    deleted: Literal[True]
    # An address, or a bare domain @corp.com.
    email: str
    # The same as email (its older name).
    address: str
    # email: one address; domain: a bare domain (@corp.com).
    pattern_type: PatternType
    reason: str | None
    source: str | None
    added_by_actor_type: str | None
    added_by_actor_id: str | None
    created_at: str | None


class GetInboundAllowlistResponse(TypedDict):
    """The mailbox's recipient policy and allowlist, sorted by address."""
    allowlist: List[AllowlistEntry]
    # Whether another page follows.
    has_more: bool
    # Pass back as `cursor` for the next page; null at the end.
    next_cursor: str | None
    mode: ListMode


class AddInboundAllowlistEntryBody(TypedDict):
    email: str


class AddInboundAllowlistEntryResponse(TypedDict):
    """The entry, added (201) or already there (200)."""
    # An address, or a bare domain @corp.com.
    email: str
    mailbox_id: str
    # email: one address; domain: a bare domain (@corp.com).
    pattern_type: PatternType
    source: str | None
    added_by_actor_type: str | None
    added_by_actor_id: str | None
    created_at: str | None
    # True (200) when the entry was there already; false (201) when new.
    already_existed: bool


class AddInboundAllowlistEntriesBulkBody(TypedDict):
    emails: List[str]


class DeleteInboundAllowlistEntryResponse(TypedDict):
    """The removed entry."""
    status: Literal["deleted"]
    deleted: Literal[True]
    # An address, or a bare domain @corp.com.
    email: str
    mailbox_id: str
    # email: one address; domain: a bare domain (@corp.com).
    pattern_type: PatternType
    source: str | None
    added_by_actor_type: str | None
    added_by_actor_id: str | None
    created_at: str | None


class ListInboundBlockedAttemptsResponse(TypedDict):
    """aggregate=true (default): groups by sender and rule, most frequent first; aggregate=false: every stopped message, newest first."""
    attempts: List[Union[InboundBlockedAttemptGroup, InboundBlockedAttempt]]
    # Whether another page follows.
    has_more: bool
    # Pass back as `cursor` for the next page; null at the end.
    next_cursor: str | None


class ListReviewsResponse(TypedDict):
    """Held outbound messages, oldest first."""
    messages: List[Message]
    # Whether another page follows.
    has_more: bool
    # Pass back as `cursor` for the next page; null at the end.
    next_cursor: str | None


class ApproveMessageBody(TypedDict, total=False):
    note: str
    reason: str


class ReviseMessageBody(TypedDict, total=False):
    subject: str
    text: str
    # null removes the HTML part.
    html: str | None
    # Why (kept on the message.revised event).
    note: str


class DenyMessageBody(TypedDict, total=False):
    note: str
    reason: str


class CreateDraftBody(TypedDict, total=False):
    from_mailbox: str
    mailbox_id: str
    to: Union[str, List[str]]
    cc: Union[str, List[str]]
    bcc: Union[str, List[str]]
    subject: str
    body: str
    html: str | None
    send_at: str | None
    subaddress_instance_id: str | None
    subaddress_mode: Literal["reply_to", "from", "none"] | None
    attachment_ids: List[str] | None
    thread_id: str
    # The id of the message the draft answers.
    in_reply_to_message_id: str


class UpdateDraftBody(TypedDict, total=False):
    to: Union[str, List[str]]
    cc: Union[str, List[str]]
    bcc: Union[str, List[str]]
    subject: str
    body: str
    html: str | None
    send_at: str | None
    subaddress_instance_id: str | None
    subaddress_mode: Literal["reply_to", "from", "none"] | None
    attachment_ids: List[str] | None


class DeleteDraftResponseBody(TypedDict):
    format: Literal["text", "html"]
    content: str | None
    char_count: int
    returned_char_count: int
    truncated: bool
    text: str | None
    html: str | None


class DeleteDraftResponseAttachmentsItem(TypedDict):
    upload_id: str
    filename: str
    content_type: str
    size: int
    # pending | clean | flagged | error
    content_scan_status: str


class DeleteDraftResponse(TypedDict):
    """The deleted draft (a scheduled one is unscheduled)."""
    id: str
    mailbox_id: str
    # The mailbox's name.
    mailbox_name: str | None
    sender: str | None
    # cancelled: its mailbox was deleted before it was sent.
    state: DraftState
    to: List[str]
    cc: List[str]
    bcc: List[str]
    # The To addresses, comma-separated.
    recipient: str
    subject: str
    body: DeleteDraftResponseBody
    # The thread it continues, if any.
    thread_id: str | None
    in_reply_to: str | None
    # The id of the message it answers, if any.
    in_reply_to_message_id: str | None
    subaddress_instance_id: str | None
    subaddress_mode: Literal["reply_to", "from", "none"] | None
    send_at: str | None
    scan: ScanSummary
    worst_decision: Literal["allow", "allow_with_warning", "require_human_approval", "quarantine", "block", "review"]
    # The sent message, once sent.
    message_id: str | None
    # Upload handles its send will carry.
    attachment_ids: List[str]
    attachments: List[DeleteDraftResponseAttachmentsItem]
    created_at: str
    updated_at: str
    status: Literal["deleted"]
    deleted: Literal[True]


class ListDraftsResponse(TypedDict):
    """The mailbox's unsent drafts, newest first."""
    drafts: List[Draft]
    # Whether another page follows.
    has_more: bool
    # Pass back as `cursor` for the next page; null at the end.
    next_cursor: str | None


class _SendDraftResponse202Required(TypedDict):
    draft_id: str
    status: Literal["queued_for_dispatch", "scheduled"]


class SendDraftResponse202(_SendDraftResponse202Required, total=False):
    """`Prefer: respond-async`: `{draft_id, status: queued_for_dispatch}`; a future `send_at`: `{draft_id, status: scheduled, send_at}`."""
    send_at: str


class ListEventsResponse(TypedDict):
    """Events in commit order; `next_cursor` is never null: it is where to continue, also after an empty page."""
    events: List[Event]
    # Whether another page follows.
    has_more: bool
    # Pass back as `cursor` for the next page; null at the end.
    next_cursor: str | None


class GetDkimRecordResponse(TypedDict):
    """The DKIM record to publish."""
    domain: str
    selector: str
    # Where to publish it: `<selector>._domainkey.<domain>`.
    name: str
    type: Literal["TXT"]
    # `v=DKIM1; k=rsa; p=…`
    value: str


class _CreateDomainBodyRequired(TypedDict):
    # The domain, e.g. `mail.example.com` (an IDN is stored as punycode).
    domain: str


class CreateDomainBody(_CreateDomainBodyRequired, total=False):
    # The seed's clients may send it; Postbox is the only transport.
    transport_mode: Literal["postbox"]
    # The DKIM selector (default: POSTBOX_DKIM_SELECTOR, `postbox`).
    dkim_selector: str
    # Your own DKIM key (unencrypted PEM, RSA ≥ 1024 bits or Ed25519); Postbox makes an RSA-2048 key otherwise.
    dkim_private_key: str


class ListDomainsResponse(TypedDict):
    """The domains."""
    domains: List[Domain]


class _ReceiveProviderBounceBodyRequired(TypedDict):
    # The address that bounced.
    Email: str


class ReceiveProviderBounceBody(_ReceiveProviderBounceBodyRequired, total=False):
    """A Postmark-style bounce or spam-complaint record, signed byte for byte."""
    # Bounce or SpamComplaint.
    RecordType: str
    # HardBounce, SoftBounce, SpamComplaint, …
    Type: str
    # Our message id, when the provider kept it.
    MessageID: str
    Description: str
    Details: str
    BouncedAt: str


class ReceiveProviderBounceResponse(TypedDict):
    """The record was taken."""
    received: Literal[True]
    kind: str
    effect: Literal["suppressed", "bounced", "recorded", "ignored"]
    recipient: str | None
    # How many accounts had sent to the address.
    accounts: int


class ListSuppressionsResponse(TypedDict):
    """Sorted by address; pass `next_cursor` back as `cursor` for the next page."""
    suppressions: List[Suppression]
    # Whether another page follows.
    has_more: bool
    # Pass back as `cursor` for the next page; null at the end.
    next_cursor: str | None


class _AddSuppressionBodyRequired(TypedDict):
    email: str


class AddSuppressionBody(_AddSuppressionBodyRequired, total=False):
    reason: SuppressionReason
    detail: str


class AddSuppressionResponse(TypedDict):
    """The entry, added (201) or already there (200)."""
    # An address, or a bare domain "@corp.com".
    email: str
    # email: one address; domain: a bare domain (@corp.com).
    pattern_type: PatternType
    reason: SuppressionReason
    source: str | None
    detail: str | None
    # Null: permanent.
    expires_at: str | None
    added_by_actor_type: str | None
    added_by_actor_id: str | None
    created_at: str | None
    # True (200) when the entry was there already; false (201) when new.
    already_existed: bool


class _AddSuppressionsBulkBodyRequired(TypedDict):
    emails: List[str]


class AddSuppressionsBulkBody(_AddSuppressionsBulkBodyRequired, total=False):
    reason: SuppressionReason


class DeleteSuppressionResponse(TypedDict):
    """The removed suppression."""
    status: Literal["deleted"]
    deleted: Literal[True]
    # An address, or a bare domain "@corp.com".
    email: str
    # email: one address; domain: a bare domain (@corp.com).
    pattern_type: PatternType
    reason: SuppressionReason
    source: str | None
    detail: str | None
    # Null: permanent.
    expires_at: str | None
    added_by_actor_type: str | None
    added_by_actor_id: str | None
    created_at: str | None


class GetAllowlistResponse(TypedDict):
    """The mailbox's recipient policy and allowlist, sorted by address."""
    allowlist: List[AllowlistEntry]
    # Whether another page follows.
    has_more: bool
    # Pass back as `cursor` for the next page; null at the end.
    next_cursor: str | None
    mode: ListMode


class AddAllowlistEntryBody(TypedDict):
    email: str


class AddAllowlistEntryResponse(TypedDict):
    """The entry, added (201) or already there (200)."""
    # An address, or a bare domain @corp.com.
    email: str
    mailbox_id: str
    # email: one address; domain: a bare domain (@corp.com).
    pattern_type: PatternType
    source: str | None
    added_by_actor_type: str | None
    added_by_actor_id: str | None
    created_at: str | None
    # True (200) when the entry was there already; false (201) when new.
    already_existed: bool


class AddAllowlistEntriesBulkBody(TypedDict):
    emails: List[str]


class DeleteAllowlistEntryResponse(TypedDict):
    """The removed entry."""
    status: Literal["deleted"]
    deleted: Literal[True]
    # An address, or a bare domain @corp.com.
    email: str
    mailbox_id: str
    # email: one address; domain: a bare domain (@corp.com).
    pattern_type: PatternType
    source: str | None
    added_by_actor_type: str | None
    added_by_actor_id: str | None
    created_at: str | None


class _SetRecipientPolicyBodyRequired(TypedDict):
    mode: ListMode


class SetRecipientPolicyBody(_SetRecipientPolicyBodyRequired, total=False):
    force_empty: bool


class SetRecipientPolicyResponse(TypedDict):
    """The mailbox's recipient policy now."""
    mode: ListMode
    allowlist_size: int


class ListBlockedAttemptsResponse(TypedDict):
    """aggregate=true (default): groups by recipient and key, most frequent first; aggregate=false: every attempt, newest first."""
    attempts: List[Union[BlockedAttemptGroup, BlockedAttempt]]
    # Whether another page follows.
    has_more: bool
    # Pass back as `cursor` for the next page; null at the end.
    next_cursor: str | None


class GetQuotaResponseToday(TypedDict):
    count: int
    limit: int
    day: str


class GetQuotaResponseAccountDaily(TypedDict):
    window_seconds: int
    limit: int
    used: int
    remaining: int
    reset_at: str


class GetQuotaResponseAccount(TypedDict):
    daily: GetQuotaResponseAccountDaily


class GetQuotaResponseMailboxesItemWindowsItem(TypedDict):
    window_seconds: int
    limit: int
    used: int
    remaining: int
    reset_at: str


class GetQuotaResponseMailboxesItem(TypedDict):
    mailbox_id: str
    name: str
    windows: List[GetQuotaResponseMailboxesItemWindowsItem]


class GetQuotaResponse(TypedDict):
    """Send quotas, counted in recipients, and what is left of them."""
    today: GetQuotaResponseToday
    sends_remaining: int
    reset_at: str
    scope: Literal["admin", "agent"]
    bound_mailbox_ids: List[str]
    account: GetQuotaResponseAccount
    mailboxes: List[GetQuotaResponseMailboxesItem]


class AddVerifiedRecipientBody(TypedDict):
    email: str


class AddVerifiedRecipientResponse(TypedDict):
    """The recipient: added, its confirmation mail queued (201), or already there (200)."""
    id: str
    # Lower-cased.
    email: str
    # pending: a confirmation link is out; confirmed: its owner confirmed, sandboxed mailboxes may mail it; expired: the latest link expired unconfirmed (resend mails a new one).
    status: Literal["pending", "confirmed", "expired"]
    created_at: str
    confirmed_at: str | None
    link_sent_at: str
    link_expires_at: str
    # Confirmation mails sent to the address in all.
    links_sent: int
    # True (200) when the entry was there already; false (201) when new.
    already_existed: bool


class ListVerifiedRecipientsResponse(TypedDict):
    """Newest first; pass `next_cursor` back as `cursor` for the next page."""
    recipients: List[VerifiedRecipient]
    # Whether another page follows.
    has_more: bool
    # Pass back as `cursor` for the next page; null at the end.
    next_cursor: str | None


class DeleteVerifiedRecipientResponse(TypedDict):
    """The removed recipient."""
    status: Literal["deleted"]
    deleted: Literal[True]
    id: str
    email: str


class ResendRecipientConfirmationResponse(TypedDict):
    """What the resend did."""
    # sent: a new link was mailed (older ones stop working); already_confirmed: nothing was sent.
    status: Literal["sent", "already_confirmed"]
    recipient: VerifiedRecipient


class ShowRecipientConfirmationResponse(TypedDict):
    email: str
    status: Literal["pending", "confirmed"]
    account_name: str
    link_expires_at: str


class ConfirmRecipientResponse(TypedDict):
    email: str
    status: Literal["pending", "confirmed"]
    account_name: str
    link_expires_at: str


class _CreateWebhookBodyRequired(TypedDict):
    url: str
    enabled_events: List[str]


class CreateWebhookBody(_CreateWebhookBodyRequired, total=False):
    description: str
    enabled: bool


class CreateWebhookResponse(TypedDict):
    """The webhook and its signing secret (shown once)."""
    id: str
    url: str
    description: str | None
    enabled_events: List[str]
    enabled: bool
    disabled_at: str | None
    disabled_reason: str | None
    # Deliveries abandoned in a row (disabled after 20).
    consecutive_abandoned: int
    # The seed's name for consecutive_abandoned.
    consecutive_failures: int
    # The last delivery it answered with 2xx.
    last_success_at: str | None
    # The last delivery attempt that failed.
    last_failure_at: str | None
    last_error: str | None
    # postbox, agentpack or replylayer: how deliveries are signed.
    signature_scheme: str
    # Until when deliveries are also signed with the previous secret (after a rotation).
    previous_secret_expires_at: str | None
    created_at: str
    updated_at: str
    # `whsec_…`: verify X-Postbox-Signature with it. Shown once.
    signing_secret: str


class ListWebhooksResponse(TypedDict):
    """The account's webhooks."""
    webhooks: List[Webhook]
    # Whether another page follows.
    has_more: bool
    # Pass back as `cursor` for the next page; null at the end.
    next_cursor: str | None


class UpdateWebhookBody(TypedDict, total=False):
    url: str
    description: str | None
    enabled_events: List[str]
    enabled: bool


class DeleteWebhookResponse(TypedDict):
    """The webhook is gone."""
    status: Literal["deleted"]
    deleted: Literal[True]
    id: str


class RotateWebhookSecretBody(TypedDict, total=False):
    grace_seconds: int


class RotateWebhookSecretResponse(TypedDict):
    """The webhook and its signing secret (shown once)."""
    id: str
    url: str
    description: str | None
    enabled_events: List[str]
    enabled: bool
    disabled_at: str | None
    disabled_reason: str | None
    # Deliveries abandoned in a row (disabled after 20).
    consecutive_abandoned: int
    # The seed's name for consecutive_abandoned.
    consecutive_failures: int
    # The last delivery it answered with 2xx.
    last_success_at: str | None
    # The last delivery attempt that failed.
    last_failure_at: str | None
    last_error: str | None
    # postbox, agentpack or replylayer: how deliveries are signed.
    signature_scheme: str
    # Until when deliveries are also signed with the previous secret (after a rotation).
    previous_secret_expires_at: str | None
    created_at: str
    updated_at: str
    # `whsec_…`: verify X-Postbox-Signature with it. Shown once.
    signing_secret: str


class TestWebhookBody(TypedDict, total=False):
    event: str


class ListWebhookDeliveriesResponse(TypedDict):
    """Newest first; pass `next_before_at` and `next_before_id` back for the next page."""
    deliveries: List[WebhookDelivery]
    has_more: bool
    next_before_at: str | None
    next_before_id: str | None


class _SimulateInboundBodyRequired(TypedDict):
    mailbox_id: str
    scenario: Literal["clean", "prompt_injection_quarantined"]


class SimulateInboundBody(_SimulateInboundBodyRequired, total=False):
    label: str


class _ApplyLegalHoldBodyRequired(TypedDict):
    scope: Literal["account", "mailbox"]
    reason: str


class ApplyLegalHoldBody(_ApplyLegalHoldBodyRequired, total=False):
    mailbox_id: str | None
    case_reference: str | None


class ListLegalHoldsResponse(TypedDict):
    """Newest first; active holds only unless `include_released`."""
    legal_holds: List[LegalHold]
    # Whether another page follows.
    has_more: bool
    # Pass back as `cursor` for the next page; null at the end.
    next_cursor: str | None


class ReleaseLegalHoldBody(TypedDict):
    release_reason: str


class ExportAccountResponse(TypedDict, total=False):
    format: str
    exported_at: str
    account: Dict[str, Any]
    legal_holds: List[Dict[str, Any]]
    mailboxes: List[Dict[str, Any]]
    messages: List[Dict[str, Any]]
    audit_log: List[Dict[str, Any]]


class CreateDashboardSessionBody(TypedDict):
    # An admin API key.
    api_key: str


class _McpBodyItem1Required(TypedDict):
    jsonrpc: Literal["2.0"]


class McpBodyItem1(_McpBodyItem1Required, total=False):
    method: str


class _McpBodyItem2ItemRequired(TypedDict):
    jsonrpc: Literal["2.0"]


class McpBodyItem2Item(_McpBodyItem2ItemRequired, total=False):
    method: str


Message = Union[InboundMessage, OutboundMessage]
"""A full message, by `direction`."""


MessageSummary = Union[InboundMessageSummary, OutboundMessageSummary]
"""What lists and wait return: a message without body, attachments or deliveries."""


MessageAction = Union[InboundMessageAction, OutboundMessageAction]


GetMessageResponse = Union[Message, MessageSummary]
"""The message (its MessageSummary with `view=summary`)."""


MarkMessageReadResponse = Union[InboundMarkMessageReadResponse, OutboundMarkMessageReadResponse]
"""The message, read (`read_at` set), with the seed's `message_id`."""


SetMailPolicyBody = Any
"""A MailPolicy document (components.schemas.MailPolicy), checked in full."""


TestMailPolicyBody = Any
"""`{from, body, dkim?, spf?, thread_id?}`: dkim and spf say whether they passed."""


ReplaceRulesBody = Any
"""A rule set (components.schemas.RuleSet), checked in full."""


McpBody = Union[McpBodyItem1, List[McpBodyItem2Item]]


McpResponse = Any
