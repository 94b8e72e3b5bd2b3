"""The asynchronous client and its resources; postbox/resources.py (the blocking client) is generated from this
file by scripts/unasync.py — edit here, then run it."""

from __future__ import annotations

from typing import (
    Any,
    AsyncIterator,
    Awaitable,
    BinaryIO,
    Callable,
    Dict,
    List,
    Literal,
    Optional,
    Sequence,
    TypeVar,
    Union,
    overload,
)

import httpx

from . import types as t
from .pagination import Page
from .retry import RetryInfo
from .transport import NOT_GIVEN, AsyncTransport, NotGiven, body_of, path_of

# unasync: async-only-start
_T = TypeVar("_T")
AwaitablePage = Awaitable[Page[_T]]
"""What a list method returns without auto_paginate: await it for the Page."""
# unasync: async-only-end

ListMode = Literal["blocklist", "allowlist"]
MessageView = Literal["summary", "verbose"]


def _send_headers(idempotency_key: Optional[str], strict_outcome: bool) -> Dict[str, str]:
    """Idempotency-Key, and `Prefer: outcome=strict` (a send that did not go out raises instead)."""
    h: Dict[str, str] = {}
    if idempotency_key:
        h["idempotency-key"] = idempotency_key
    if strict_outcome:
        h["prefer"] = "outcome=strict"
    return h


class _Resource:
    def __init__(self, client: AsyncTransport) -> None:
        self._c = client


class AsyncAllowlist(_Resource):
    """A mailbox's recipient allowlist (`pb.mailboxes.allowlist`). Changes are admin-only; agents may read."""

    @overload
    def list(
        self, mailbox_id: str, *, limit: Optional[int] = None, cursor: Optional[str] = None,
        auto_paginate: Literal[False] = False,
    ) -> AwaitablePage[t.AllowlistEntry]: ...
    @overload
    def list(
        self, mailbox_id: str, *, limit: Optional[int] = None, cursor: Optional[str] = None,
        auto_paginate: Literal[True],
    ) -> AsyncIterator[t.AllowlistEntry]: ...
    def list(
        self, mailbox_id: str, *, limit: Optional[int] = None, cursor: Optional[str] = None,
        auto_paginate: bool = False,
    ) -> Any:
        """Entries sorted by address; `page.response["mode"]` is the mailbox's recipient policy."""
        path = path_of("/v1/mailboxes/{}/allowlist", mailbox_id)
        return self._c._list(path, "allowlist", {"limit": limit, "cursor": cursor}, auto_paginate)

    async def add(self, mailbox_id: str, email: str) -> t.AddAllowlistEntryResponse:
        """An address or a bare domain (`@partner.com`)."""
        return await self._c._request(
            "POST", path_of("/v1/mailboxes/{}/allowlist", mailbox_id), body={"email": email}
        )

    async def add_bulk(self, mailbox_id: str, emails: Sequence[str]) -> t.BulkResult:
        """Up to 1000; invalid entries are skipped and listed under `invalid`."""
        return await self._c._request(
            "POST", path_of("/v1/mailboxes/{}/allowlist/bulk", mailbox_id), body={"emails": list(emails)}
        )

    async def delete(
        self, mailbox_id: str, email: str, *, force_empty: Optional[bool] = None
    ) -> t.DeleteAllowlistEntryResponse:
        """ConflictError ALLOWLIST_LAST_ENTRY for the last entry in allowlist mode, unless force_empty."""
        return await self._c._request(
            "DELETE",
            path_of("/v1/mailboxes/{}/allowlist/{}", mailbox_id, email),
            query={"force_empty": force_empty},
        )

    @overload
    async def list_blocked_attempts(
        self, mailbox_id: str, *, aggregate: Literal[True] = True, within_days: Optional[int] = None,
        limit: Optional[int] = None, cursor: Optional[str] = None,
    ) -> t.BlockedAttemptGroups: ...
    @overload
    async def list_blocked_attempts(
        self, mailbox_id: str, *, aggregate: Literal[False], within_days: Optional[int] = None,
        limit: Optional[int] = None, cursor: Optional[str] = None,
    ) -> t.BlockedAttemptLog: ...
    async def list_blocked_attempts(
        self,
        mailbox_id: str,
        *,
        aggregate: bool = True,
        within_days: Optional[int] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Union[t.BlockedAttemptGroups, t.BlockedAttemptLog]:
        """Sends the allowlist refused: grouped by recipient and key (`attempts` with `count`), or one by one with
        `aggregate=False` (paged by `next_cursor`)."""
        return await self._c._request(
            "GET",
            path_of("/v1/mailboxes/{}/allowlist/blocked-attempts", mailbox_id),
            query={"aggregate": None if aggregate else False, "within_days": within_days, "limit": limit, "cursor": cursor},
        )


class AsyncInboundAllowlist(_Resource):
    """A mailbox's inbound sender allowlist (`pb.mailboxes.inbound_allowlist`): in sender-policy allowlist mode
    only these senders get through the inbound firewall."""

    @overload
    def list(
        self, mailbox_id: str, *, limit: Optional[int] = None, cursor: Optional[str] = None,
        auto_paginate: Literal[False] = False,
    ) -> AwaitablePage[t.AllowlistEntry]: ...
    @overload
    def list(
        self, mailbox_id: str, *, limit: Optional[int] = None, cursor: Optional[str] = None,
        auto_paginate: Literal[True],
    ) -> AsyncIterator[t.AllowlistEntry]: ...
    def list(
        self, mailbox_id: str, *, limit: Optional[int] = None, cursor: Optional[str] = None,
        auto_paginate: bool = False,
    ) -> Any:
        path = path_of("/v1/mailboxes/{}/inbound-allowlist", mailbox_id)
        return self._c._list(path, "allowlist", {"limit": limit, "cursor": cursor}, auto_paginate)

    async def add(self, mailbox_id: str, email: str) -> t.AddInboundAllowlistEntryResponse:
        return await self._c._request(
            "POST", path_of("/v1/mailboxes/{}/inbound-allowlist", mailbox_id), body={"email": email}
        )

    async def add_bulk(self, mailbox_id: str, emails: Sequence[str]) -> t.BulkResult:
        return await self._c._request(
            "POST",
            path_of("/v1/mailboxes/{}/inbound-allowlist/bulk", mailbox_id),
            body={"emails": list(emails)},
        )

    async def delete(
        self, mailbox_id: str, email: str, *, force_empty: Optional[bool] = None
    ) -> t.DeleteInboundAllowlistEntryResponse:
        return await self._c._request(
            "DELETE",
            path_of("/v1/mailboxes/{}/inbound-allowlist/{}", mailbox_id, email),
            query={"force_empty": force_empty},
        )

    @overload
    async def list_blocked_attempts(
        self, mailbox_id: str, *, aggregate: Literal[True] = True, within_days: Optional[int] = None,
        limit: Optional[int] = None, cursor: Optional[str] = None,
    ) -> t.InboundBlockedAttemptGroups: ...
    @overload
    async def list_blocked_attempts(
        self, mailbox_id: str, *, aggregate: Literal[False], within_days: Optional[int] = None,
        limit: Optional[int] = None, cursor: Optional[str] = None,
    ) -> t.InboundBlockedAttemptLog: ...
    async def list_blocked_attempts(
        self,
        mailbox_id: str,
        *,
        aggregate: bool = True,
        within_days: Optional[int] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Union[t.InboundBlockedAttemptGroups, t.InboundBlockedAttemptLog]:
        """Mail the inbound firewall stopped, grouped by sender and rule, or one by one with `aggregate=False`."""
        return await self._c._request(
            "GET",
            path_of("/v1/mailboxes/{}/inbound-allowlist/blocked-attempts", mailbox_id),
            query={"aggregate": None if aggregate else False, "within_days": within_days, "limit": limit, "cursor": cursor},
        )


class AsyncMailboxes(_Resource):
    """Mailboxes; every `mailbox_id` argument takes the UUID or the name."""

    def __init__(self, client: AsyncTransport) -> None:
        super().__init__(client)
        self.allowlist = AsyncAllowlist(client)
        self.inbound_allowlist = AsyncInboundAllowlist(client)

    async def create(
        self,
        *,
        name: str,
        display_name: Union[str, None, NotGiven] = NOT_GIVEN,
        domain: Union[str, NotGiven] = NOT_GIVEN,
    ) -> t.Mailbox:
        """`domain`: a verified domain of the account, by name or id (default: the account's default domain)."""
        return await self._c._request(
            "POST", "/v1/mailboxes", body=body_of(name=name, display_name=display_name, domain=domain)
        )

    @overload
    def list(
        self, *, limit: Optional[int] = None, cursor: Optional[str] = None, auto_paginate: Literal[False] = False
    ) -> AwaitablePage[t.Mailbox]: ...
    @overload
    def list(
        self, *, limit: Optional[int] = None, cursor: Optional[str] = None, auto_paginate: Literal[True]
    ) -> AsyncIterator[t.Mailbox]: ...
    def list(
        self, *, limit: Optional[int] = None, cursor: Optional[str] = None, auto_paginate: bool = False
    ) -> Any:
        return self._c._list("/v1/mailboxes", "mailboxes", {"limit": limit, "cursor": cursor}, auto_paginate)

    async def get(self, mailbox_id: str) -> t.Mailbox:
        return await self._c._request("GET", path_of("/v1/mailboxes/{}", mailbox_id))

    async def update(
        self,
        mailbox_id: str,
        *,
        display_name: Union[str, None, NotGiven] = NOT_GIVEN,
        status: Union[Literal["active", "paused"], NotGiven] = NOT_GIVEN,
        pii_mode: Union[t.PiiMode, NotGiven] = NOT_GIVEN,
        pii_redaction_config: Union[t.PiiRedactionConfig, NotGiven] = NOT_GIVEN,
        scanner_policy: Union[t.ScannerPolicy, None, NotGiven] = NOT_GIVEN,
        injection_threshold: Union[float, None, NotGiven] = NOT_GIVEN,
        hitl_mode: Union[t.HitlMode, NotGiven] = NOT_GIVEN,
        approval_expiry_hours: Union[int, None, NotGiven] = NOT_GIVEN,
        approval_expiry: Union[Literal["24h", "72h", "7d", "never"], NotGiven] = NOT_GIVEN,
        recipient_policy_mode: Union[ListMode, NotGiven] = NOT_GIVEN,
        sender_policy_mode: Union[ListMode, NotGiven] = NOT_GIVEN,
        agent_send_policy: Union[Literal["restricted", "open"], NotGiven] = NOT_GIVEN,
        force_empty: Union[bool, NotGiven] = NOT_GIVEN,
        allow_thread_replies: Union[bool, NotGiven] = NOT_GIVEN,
        default_subaddress_mode: Union[Literal["reply_to", "from", "none"], NotGiven] = NOT_GIVEN,
        attachment_exposure_mode: Union[t.AttachmentExposureMode, NotGiven] = NOT_GIVEN,
        attachment_allowed_file_families: Union[
            List[Literal["pdf", "text", "csv", "image", "*"]], NotGiven
        ] = NOT_GIVEN,
        agent_authoring_mode: Union[Literal["send_and_draft", "draft_only", "read_only"], NotGiven] = NOT_GIVEN,
        apply_policy_mode: Union[Literal["read_only", "draft_only", "supervised", "trusted"], NotGiven] = NOT_GIVEN,
        send_window: Union[t.SendWindow, None, NotGiven] = NOT_GIVEN,
        send_quotas: Union[List[t.SendQuota], NotGiven] = NOT_GIVEN,
        sandbox: Union[bool, NotGiven] = NOT_GIVEN,
        retention_days: Union[int, None, NotGiven] = NOT_GIVEN,
        **extra: Any,
    ) -> t.Mailbox:
        """Changes the given settings (admin keys); the others stay. `extra` passes settings newer than this SDK.

        `sandbox`: sends reach confirmed verified recipients only (`pb.recipients`). `retention_days`: days its
        settled mail is kept (None: the account's retention)."""
        body = body_of(
            display_name=display_name,
            status=status,
            pii_mode=pii_mode,
            pii_redaction_config=pii_redaction_config,
            scanner_policy=scanner_policy,
            injection_threshold=injection_threshold,
            hitl_mode=hitl_mode,
            approval_expiry_hours=approval_expiry_hours,
            approval_expiry=approval_expiry,
            recipient_policy_mode=recipient_policy_mode,
            sender_policy_mode=sender_policy_mode,
            agent_send_policy=agent_send_policy,
            force_empty=force_empty,
            allow_thread_replies=allow_thread_replies,
            default_subaddress_mode=default_subaddress_mode,
            attachment_exposure_mode=attachment_exposure_mode,
            attachment_allowed_file_families=attachment_allowed_file_families,
            agent_authoring_mode=agent_authoring_mode,
            apply_policy_mode=apply_policy_mode,
            send_window=send_window,
            send_quotas=send_quotas,
            sandbox=sandbox,
            retention_days=retention_days,
            **extra,
        )
        return await self._c._request("PATCH", path_of("/v1/mailboxes/{}", mailbox_id), body=body)

    async def delete(self, mailbox_id: str) -> t.DeleteMailboxResponse:
        """Its address stops receiving; unsent drafts and queued deliveries are cancelled and counted."""
        return await self._c._request("DELETE", path_of("/v1/mailboxes/{}", mailbox_id))

    async def set_recipient_policy(
        self, mailbox_id: str, mode: ListMode, *, force_empty: Optional[bool] = None
    ) -> t.SetRecipientPolicyResponse:
        """ValidationError ALLOWLIST_EMPTY when switching to allowlist with no entries, unless force_empty."""
        return await self._c._request(
            "PATCH",
            path_of("/v1/mailboxes/{}/recipient-policy", mailbox_id),
            body=body_of(mode=mode, force_empty=NOT_GIVEN if force_empty is None else force_empty),
        )

    async def set_sender_policy(
        self, mailbox_id: str, mode: ListMode, *, force_empty: Optional[bool] = None
    ) -> t.SetSenderPolicyResponse:
        """The inbound sender policy: allowlist lets only the inbound allowlist's senders through."""
        return await self._c._request(
            "PATCH",
            path_of("/v1/mailboxes/{}/sender-policy", mailbox_id),
            body=body_of(mode=mode, force_empty=NOT_GIVEN if force_empty is None else force_empty),
        )

    async def set_attachment_access(
        self,
        mailbox_id: str,
        *,
        mode: Union[t.AttachmentExposureMode, NotGiven] = NOT_GIVEN,
        allowed_file_families: Union[List[Literal["pdf", "text", "csv", "image", "*"]], NotGiven] = NOT_GIVEN,
        accept_disclaimer_version: Union[str, NotGiven] = NOT_GIVEN,
        accept_image_risk_version: Union[str, NotGiven] = NOT_GIVEN,
        enable: Union[bool, NotGiven] = NOT_GIVEN,
        outbound_enabled: Union[bool, NotGiven] = NOT_GIVEN,
        accept_outbound_image_disclaimer_version: Union[str, NotGiven] = NOT_GIVEN,
    ) -> t.SetAttachmentAccessResponse:
        """What agent keys may read of attachments, and whether sends may carry them (admin keys)."""
        return await self._c._request(
            "POST",
            path_of("/v1/mailboxes/{}/attachment-access", mailbox_id),
            body=body_of(
                mode=mode,
                allowed_file_families=allowed_file_families,
                accept_disclaimer_version=accept_disclaimer_version,
                accept_image_risk_version=accept_image_risk_version,
                enable=enable,
                outbound_enabled=outbound_enabled,
                accept_outbound_image_disclaimer_version=accept_outbound_image_disclaimer_version,
            ),
        )


class AsyncMessages(_Resource):
    async def send(
        self,
        *,
        from_mailbox: str,
        to: Union[str, Sequence[str]],
        subject: Union[str, NotGiven] = NOT_GIVEN,
        body: Union[str, NotGiven] = NOT_GIVEN,
        html: Union[str, None, NotGiven] = NOT_GIVEN,
        cc: Union[str, Sequence[str], NotGiven] = NOT_GIVEN,
        bcc: Union[str, Sequence[str], NotGiven] = NOT_GIVEN,
        thread_id: Union[str, None, NotGiven] = NOT_GIVEN,
        subaddress_instance_id: Union[str, None, NotGiven] = NOT_GIVEN,
        subaddress_mode: Union[Literal["reply_to", "from", "none"], None, NotGiven] = NOT_GIVEN,
        attachment_ids: Union[Sequence[str], NotGiven] = NOT_GIVEN,
        idempotency_key: Optional[str] = None,
        strict_outcome: bool = False,
    ) -> t.SendResult:
        """Sends once the scan has decided; `status` says whether it went out or is held. The same
        `idempotency_key` returns the first result and never sends twice; `strict_outcome=True` raises
        (409 EMAIL_EFFECT_HELD, 422 EMAIL_EFFECT_BLOCKED) when the mail did not go out."""
        payload = body_of(
            from_mailbox=from_mailbox,
            to=to if isinstance(to, str) else list(to),
            subject=subject,
            body=body,
            html=html,
            cc=cc if isinstance(cc, (str, NotGiven)) else list(cc),
            bcc=bcc if isinstance(bcc, (str, NotGiven)) else list(bcc),
            thread_id=thread_id,
            subaddress_instance_id=subaddress_instance_id,
            subaddress_mode=subaddress_mode,
            attachment_ids=attachment_ids if isinstance(attachment_ids, NotGiven) else list(attachment_ids),
        )
        return await self._c._request(
            "POST",
            "/v1/messages/send",
            body=payload,
            headers=_send_headers(idempotency_key, strict_outcome),
        )

    @overload
    def list(
        self,
        mailbox_id: str,
        *,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
        view: Optional[MessageView] = None,
        direction: Optional[Literal["inbound", "outbound"]] = None,
        status: Optional[str] = None,
        search: Optional[str] = None,
        sender: Optional[str] = None,
        since: Optional[str] = None,
        until: Optional[str] = None,
        before: Optional[str] = None,
        unread: Optional[bool] = None,
        starred: Optional[bool] = None,
        has_attachment: Optional[bool] = None,
        thread_id: Optional[str] = None,
        label: Optional[str] = None,
        auto_paginate: Literal[False] = False,
    ) -> AwaitablePage[t.MessageSummary]: ...
    @overload
    def list(
        self,
        mailbox_id: str,
        *,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
        view: Optional[MessageView] = None,
        direction: Optional[Literal["inbound", "outbound"]] = None,
        status: Optional[str] = None,
        search: Optional[str] = None,
        sender: Optional[str] = None,
        since: Optional[str] = None,
        until: Optional[str] = None,
        before: Optional[str] = None,
        unread: Optional[bool] = None,
        starred: Optional[bool] = None,
        has_attachment: Optional[bool] = None,
        thread_id: Optional[str] = None,
        label: Optional[str] = None,
        auto_paginate: Literal[True],
    ) -> AsyncIterator[t.MessageSummary]: ...
    def list(
        self,
        mailbox_id: str,
        *,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
        view: Optional[MessageView] = None,
        direction: Optional[Literal["inbound", "outbound"]] = None,
        status: Optional[str] = None,
        search: Optional[str] = None,
        sender: Optional[str] = None,
        since: Optional[str] = None,
        until: Optional[str] = None,
        before: Optional[str] = None,
        unread: Optional[bool] = None,
        starred: Optional[bool] = None,
        has_attachment: Optional[bool] = None,
        thread_id: Optional[str] = None,
        label: Optional[str] = None,
        auto_paginate: bool = False,
    ) -> Any:
        """Newest first; MessageSummary items (full messages with `view="verbose"`). Filters add up; `search`
        takes words, "phrases", -word, OR and from:/subject:/after:/before:/is:starred/has:attachment."""
        query = {
            "limit": limit, "cursor": cursor, "view": view, "direction": direction, "status": status,
            "search": search, "sender": sender, "since": since, "until": until, "before": before,
            "unread": unread, "starred": starred, "has_attachment": has_attachment, "thread_id": thread_id,
            "label": label,
        }
        return self._c._list(path_of("/v1/mailboxes/{}/messages", mailbox_id), "messages", query, auto_paginate)

    async def get(self, message_id: str, *, view: Optional[MessageView] = None) -> t.Message:
        """The message with its body (a MessageSummary with `view="summary"`). Reading does not mark it read."""
        return await self._c._request("GET", path_of("/v1/messages/{}", message_id), query={"view": view})

    async def get_raw(self, message_id: str) -> bytes:
        """The exact stored bytes of the message (RFC 5322)."""
        return await self._c._request("GET", path_of("/v1/messages/{}/raw", message_id), raw=True)

    async def reply(
        self,
        message_id: str,
        *,
        body: str,
        html: Union[str, None, NotGiven] = NOT_GIVEN,
        reply_all: Union[bool, NotGiven] = NOT_GIVEN,
        subaddress_instance_id: Union[str, None, NotGiven] = NOT_GIVEN,
        subaddress_mode: Union[Literal["reply_to", "from", "none"], None, NotGiven] = NOT_GIVEN,
        attachment_ids: Union[Sequence[str], NotGiven] = NOT_GIVEN,
        idempotency_key: Optional[str] = None,
        strict_outcome: bool = False,
    ) -> t.SendResult:
        """Replies in the thread (In-Reply-To, References, "Re:")."""
        payload = body_of(
            body=body,
            html=html,
            reply_all=reply_all,
            subaddress_instance_id=subaddress_instance_id,
            subaddress_mode=subaddress_mode,
            attachment_ids=attachment_ids if isinstance(attachment_ids, NotGiven) else list(attachment_ids),
        )
        return await self._c._request(
            "POST",
            path_of("/v1/messages/{}/reply", message_id),
            body=payload,
            headers=_send_headers(idempotency_key, strict_outcome),
        )

    async def wait(
        self,
        mailbox_id: str,
        *,
        timeout: float = 30.0,
        since: Optional[str] = None,
        from_: Optional[str] = None,
        subject_contains: Optional[str] = None,
        thread_id: Optional[str] = None,
    ) -> t.WaitForMessageResponse:
        """Long-polls for the next inbound message (at most 60 s). `result["message"]` is None at the timeout;
        pass `result["cursor"]` back as `since` to wait for the one after.

        `from_` (an address, or `@domain`), `subject_contains` and `thread_id` wait for the first message that
        matches them all. The cursor of a filtered wait is past the messages it passed over (they stay unread):
        resume the same filtered wait with it, and keep another cursor for reading everything. The message's
        `verification` holds the codes and links found in it."""
        return await self._c._request(
            "GET",
            path_of("/v1/mailboxes/{}/messages/wait", mailbox_id),
            query={
                "timeout": timeout,
                "since": since,
                "from": from_,
                "subject_contains": subject_contains,
                "thread_id": thread_id,
            },
            timeout=timeout + 15.0,
        )

    async def outcome_of(self, idempotency_key: str) -> t.SendResult:
        """What a send with this key answered, without sending again: NotFoundError when no send used it,
        ConflictError IDEMPOTENT_REQUEST_IN_FLIGHT while it runs."""
        return await self._c._request(
            "GET", "/v1/messages/idempotency", headers={"idempotency-key": idempotency_key}
        )

    async def mark_read(self, message_id: str) -> t.MarkMessageReadResponse:
        return await self._c._request("POST", path_of("/v1/messages/{}/read", message_id))

    async def star(self, message_id: str, starred: bool = True) -> t.StarMessageResponse:
        return await self._c._request(
            "PATCH", path_of("/v1/messages/{}/star", message_id), body={"starred": starred}
        )

    async def delete(self, message_id: str) -> t.DeleteMessageResponse:
        """Admin keys: the message leaves every list and the agents' view (403 MESSAGE_DELETE_NOT_PERMITTED for
        agent keys)."""
        return await self._c._request("DELETE", path_of("/v1/messages/{}", message_id))

    async def release(self, message_id: str, *, note: Union[str, NotGiven] = NOT_GIVEN) -> t.MessageAction:
        """A quarantined or blocked inbound message becomes available to the agent (admin keys)."""
        return await self._c._request(
            "POST", path_of("/v1/messages/{}/release", message_id), body=body_of(note=note)
        )

    async def block(self, message_id: str, *, note: Union[str, NotGiven] = NOT_GIVEN) -> t.MessageAction:
        """The agent never sees this inbound message (admin keys)."""
        return await self._c._request("POST", path_of("/v1/messages/{}/block", message_id), body=body_of(note=note))

    async def report(self, message_id: str, *, note: Union[str, NotGiven] = NOT_GIVEN) -> t.MessageAction:
        """Blocks the message and puts its sender on the account's inbound blocklist (admin keys)."""
        return await self._c._request(
            "POST", path_of("/v1/messages/{}/report", message_id), body=body_of(note=note)
        )

    async def firewall_release(
        self, message_id: str, *, note: Union[str, NotGiven] = NOT_GIVEN
    ) -> t.MessageAction:
        """A message the inbound firewall stopped goes back into processing (admin keys)."""
        return await self._c._request(
            "POST", path_of("/v1/messages/{}/firewall-release", message_id), body=body_of(note=note)
        )

    async def report_token_usage(self, message_id: str, tokens: int) -> t.ReportTokenUsageResponse:
        """LLM tokens spent on an inbound message, counted against its sender's MailPolicy token budget."""
        return await self._c._request(
            "POST", path_of("/v1/messages/{}/token-usage", message_id), body={"tokens": tokens}
        )


class AsyncDrafts(_Resource):
    """Drafts: scanned at every write, rescanned against the current policy when sent."""

    async def create(
        self,
        *,
        mailbox_id: Union[str, NotGiven] = NOT_GIVEN,
        from_mailbox: Union[str, NotGiven] = NOT_GIVEN,
        to: Union[str, Sequence[str], NotGiven] = NOT_GIVEN,
        subject: Union[str, NotGiven] = NOT_GIVEN,
        body: Union[str, NotGiven] = NOT_GIVEN,
        html: Union[str, None, NotGiven] = NOT_GIVEN,
        cc: Union[str, Sequence[str], NotGiven] = NOT_GIVEN,
        bcc: Union[str, Sequence[str], NotGiven] = NOT_GIVEN,
        thread_id: Union[str, None, NotGiven] = NOT_GIVEN,
        in_reply_to_message_id: Union[str, None, NotGiven] = NOT_GIVEN,
        send_at: Union[str, None, NotGiven] = NOT_GIVEN,
        subaddress_instance_id: Union[str, None, NotGiven] = NOT_GIVEN,
        subaddress_mode: Union[Literal["reply_to", "from", "none"], None, NotGiven] = NOT_GIVEN,
        attachment_ids: Union[Sequence[str], None, NotGiven] = NOT_GIVEN,
        idempotency_key: Optional[str] = None,
    ) -> t.Draft:
        """The draft with the scan's verdict (`worst_decision`); `send_at` schedules it."""
        payload = body_of(
            mailbox_id=mailbox_id,
            from_mailbox=from_mailbox,
            to=to if isinstance(to, (str, NotGiven)) else list(to),
            subject=subject,
            body=body,
            html=html,
            cc=cc if isinstance(cc, (str, NotGiven)) else list(cc),
            bcc=bcc if isinstance(bcc, (str, NotGiven)) else list(bcc),
            thread_id=thread_id,
            in_reply_to_message_id=in_reply_to_message_id,
            send_at=send_at,
            subaddress_instance_id=subaddress_instance_id,
            subaddress_mode=subaddress_mode,
            attachment_ids=attachment_ids if attachment_ids is None or isinstance(attachment_ids, NotGiven)
            else list(attachment_ids),
        )
        return await self._c._request(
            "POST", "/v1/drafts", body=payload, headers=_send_headers(idempotency_key, False)
        )

    async def get(self, draft_id: str) -> t.Draft:
        return await self._c._request("GET", path_of("/v1/drafts/{}", draft_id))

    @overload
    def list(
        self, mailbox_id: str, *, limit: Optional[int] = None, cursor: Optional[str] = None,
        auto_paginate: Literal[False] = False,
    ) -> AwaitablePage[t.Draft]: ...
    @overload
    def list(
        self, mailbox_id: str, *, limit: Optional[int] = None, cursor: Optional[str] = None,
        auto_paginate: Literal[True],
    ) -> AsyncIterator[t.Draft]: ...
    def list(
        self, mailbox_id: str, *, limit: Optional[int] = None, cursor: Optional[str] = None,
        auto_paginate: bool = False,
    ) -> Any:
        path = path_of("/v1/mailboxes/{}/drafts", mailbox_id)
        return self._c._list(path, "drafts", {"limit": limit, "cursor": cursor}, auto_paginate)

    async def update(
        self,
        draft_id: str,
        *,
        to: Union[str, Sequence[str], NotGiven] = NOT_GIVEN,
        subject: Union[str, NotGiven] = NOT_GIVEN,
        body: Union[str, NotGiven] = NOT_GIVEN,
        html: Union[str, None, NotGiven] = NOT_GIVEN,
        cc: Union[str, Sequence[str], NotGiven] = NOT_GIVEN,
        bcc: Union[str, Sequence[str], NotGiven] = NOT_GIVEN,
        send_at: Union[str, None, NotGiven] = NOT_GIVEN,
        subaddress_instance_id: Union[str, None, NotGiven] = NOT_GIVEN,
        subaddress_mode: Union[Literal["reply_to", "from", "none"], None, NotGiven] = NOT_GIVEN,
        attachment_ids: Union[Sequence[str], None, NotGiven] = NOT_GIVEN,
    ) -> t.Draft:
        """Changes the given fields and scans again; `attachment_ids=None` clears the attachments."""
        payload = body_of(
            to=to if isinstance(to, (str, NotGiven)) else list(to),
            subject=subject,
            body=body,
            html=html,
            cc=cc if isinstance(cc, (str, NotGiven)) else list(cc),
            bcc=bcc if isinstance(bcc, (str, NotGiven)) else list(bcc),
            send_at=send_at,
            subaddress_instance_id=subaddress_instance_id,
            subaddress_mode=subaddress_mode,
            attachment_ids=attachment_ids if attachment_ids is None or isinstance(attachment_ids, NotGiven)
            else list(attachment_ids),
        )
        return await self._c._request("PATCH", path_of("/v1/drafts/{}", draft_id), body=payload)

    async def send(self, draft_id: str) -> Union[t.SendResult, t.ScheduledSend]:
        """Rescans, then sends (a draft with a future `send_at` is scheduled instead); ConflictError
        DRAFT_REJECTED_BY_RESCAN (details.scan) or DRAFT_ALREADY_SENT."""
        return await self._c._request("POST", path_of("/v1/drafts/{}/send", draft_id))

    async def delete(self, draft_id: str) -> t.DeleteDraftResponse:
        return await self._c._request("DELETE", path_of("/v1/drafts/{}", draft_id))


class AsyncThreads(_Resource):
    @overload
    def list(
        self,
        mailbox_id: str,
        *,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
        before_ts: Optional[str] = None,
        since_ts: Optional[str] = None,
        starred: Optional[bool] = None,
        has_inbound: Optional[bool] = None,
        auto_paginate: Literal[False] = False,
    ) -> AwaitablePage[t.ThreadSummary]: ...
    @overload
    def list(
        self,
        mailbox_id: str,
        *,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
        before_ts: Optional[str] = None,
        since_ts: Optional[str] = None,
        starred: Optional[bool] = None,
        has_inbound: Optional[bool] = None,
        auto_paginate: Literal[True],
    ) -> AsyncIterator[t.ThreadSummary]: ...
    def list(
        self,
        mailbox_id: str,
        *,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
        before_ts: Optional[str] = None,
        since_ts: Optional[str] = None,
        starred: Optional[bool] = None,
        has_inbound: Optional[bool] = None,
        auto_paginate: bool = False,
    ) -> Any:
        """Most recent activity first."""
        query = {
            "limit": limit, "cursor": cursor, "before_ts": before_ts, "since_ts": since_ts,
            "starred": starred, "has_inbound": has_inbound,
        }
        return self._c._list(path_of("/v1/mailboxes/{}/threads", mailbox_id), "threads", query, auto_paginate)

    async def get(
        self, thread_id: str, *, mailbox: Optional[str] = None, view: Optional[MessageView] = None
    ) -> t.Thread:
        """A thread by its id or the id of a message in it, with its messages."""
        return await self._c._request(
            "GET", path_of("/v1/threads/{}", thread_id), query={"mailbox": mailbox, "view": view}
        )

    async def mark_read(self, mailbox_id: str, thread_id: str) -> t.MarkThreadReadResponse:
        return await self._c._request("POST", path_of("/v1/mailboxes/{}/threads/{}/read", mailbox_id, thread_id))

    async def star(self, mailbox_id: str, thread_id: str, starred: bool = True) -> t.StarThreadResponse:
        return await self._c._request(
            "PATCH",
            path_of("/v1/mailboxes/{}/threads/{}/star", mailbox_id, thread_id),
            body={"starred": starred},
        )


class AsyncAttachments(_Resource):
    """Inbound attachments (signed downloads, text previews) and outbound upload handles."""

    async def get_download_url(self, message_id: str, index: int) -> t.AttachmentDownloadUrl:
        """A short-lived URL that downloads the attachment at `index` (0-based) byte for byte."""
        return await self._c._request("GET", path_of("/v1/messages/{}/attachments/{}", message_id, index))

    async def get_preview(self, message_id: str, index: int) -> t.AttachmentPreview:
        """The attachment's extracted text, never its bytes."""
        return await self._c._request(
            "GET", path_of("/v1/messages/{}/attachments/{}/preview", message_id, index)
        )

    async def upload(
        self,
        *,
        mailbox_id: str,
        file: Union[bytes, BinaryIO],
        filename: str,
        content_type: Optional[str] = None,
    ) -> t.AttachmentUpload:
        """Stages a file for a send (multipart; never retried). Reference `handle["id"]` in `attachment_ids`."""
        content = file if isinstance(file, bytes) else file.read()
        files = {"file": (filename, content, content_type or "application/octet-stream")}
        return await self._c._request(
            "POST", "/v1/attachments", files=files, data={"mailbox_id": mailbox_id}
        )

    async def get_upload(self, upload_id: str) -> t.AttachmentUpload:
        return await self._c._request("GET", path_of("/v1/attachments/{}", upload_id))

    async def delete_upload(self, upload_id: str) -> Dict[str, Any]:
        return await self._c._request("DELETE", path_of("/v1/attachments/{}", upload_id))


class AsyncWebhooks(_Resource):
    """Signed webhooks (admin keys): subscriptions, the delivery log, manual retry, secret rotation."""

    async def create(
        self,
        *,
        url: str,
        enabled_events: Sequence[t.EventType],
        description: Union[str, None, NotGiven] = NOT_GIVEN,
        enabled: Union[bool, NotGiven] = NOT_GIVEN,
    ) -> t.CreateWebhookResponse:
        """The answer carries `signing_secret` this once: store it to verify deliveries."""
        return await self._c._request(
            "POST",
            "/v1/webhooks",
            body=body_of(url=url, enabled_events=list(enabled_events), description=description, enabled=enabled),
        )

    async def list(self) -> Page[t.Webhook]:
        return await self._c._page("/v1/webhooks", "webhooks", {})

    async def get(self, webhook_id: str) -> t.Webhook:
        return await self._c._request("GET", path_of("/v1/webhooks/{}", webhook_id))

    async def update(
        self,
        webhook_id: str,
        *,
        url: Union[str, NotGiven] = NOT_GIVEN,
        enabled_events: Union[Sequence[t.EventType], NotGiven] = NOT_GIVEN,
        description: Union[str, None, NotGiven] = NOT_GIVEN,
        enabled: Union[bool, NotGiven] = NOT_GIVEN,
    ) -> t.Webhook:
        """`enabled=True` also turns a webhook disabled after failures back on."""
        events = enabled_events if isinstance(enabled_events, NotGiven) else list(enabled_events)
        return await self._c._request(
            "PATCH",
            path_of("/v1/webhooks/{}", webhook_id),
            body=body_of(url=url, enabled_events=events, description=description, enabled=enabled),
        )

    async def delete(self, webhook_id: str) -> t.DeleteWebhookResponse:
        return await self._c._request("DELETE", path_of("/v1/webhooks/{}", webhook_id))

    async def rotate_secret(
        self, webhook_id: str, *, grace_seconds: Optional[int] = None
    ) -> t.RotateWebhookSecretResponse:
        """A new `signing_secret` (returned once); both sign deliveries for `grace_seconds` (default a day)."""
        return await self._c._request(
            "POST",
            path_of("/v1/webhooks/{}/rotate-secret", webhook_id),
            body=body_of(grace_seconds=NOT_GIVEN if grace_seconds is None else grace_seconds),
        )

    async def test(self, webhook_id: str, *, event: Optional[t.EventType] = None) -> t.WebhookDelivery:
        """Sends a real-shaped payload of `event` (default webhook.test) now; the delivery after one attempt."""
        return await self._c._request(
            "POST",
            path_of("/v1/webhooks/{}/test", webhook_id),
            body=body_of(event=NOT_GIVEN if event is None else event),
        )

    async def list_deliveries(
        self,
        webhook_id: str,
        *,
        limit: Optional[int] = None,
        before_at: Optional[str] = None,
        before_id: Optional[str] = None,
    ) -> t.ListWebhookDeliveriesResponse:
        """Newest first, paged by the previous page's `next_before_at` and `next_before_id` (the cursor is left
        out unless both are given)."""
        query: Dict[str, Any] = {"limit": limit}
        if before_at and before_id:
            query.update(before_at=before_at, before_id=before_id)
        return await self._c._request("GET", path_of("/v1/webhooks/{}/deliveries", webhook_id), query=query)

    async def retry_delivery(self, webhook_id: str, delivery_id: str) -> t.WebhookDelivery:
        """Queues a failed delivery again; ConflictError DELIVERY_NOT_FAILED or WEBHOOK_DISABLED otherwise."""
        return await self._c._request(
            "POST", path_of("/v1/webhooks/{}/deliveries/{}/retry", webhook_id, delivery_id)
        )


class AsyncRecipients(_Resource):
    """Verified recipients: the addresses sandboxed mailboxes may send to, once their owner confirmed the link
    Postbox mails them (admin keys; agent keys may list)."""

    async def create(self, *, email: str) -> t.AddVerifiedRecipientResponse:
        """Adds the address as `pending` and mails it a confirmation link; an address already there is answered as
        it is (`already_existed`), nothing mailed."""
        return await self._c._request("POST", "/v1/recipients", body={"email": email})

    @overload
    def list(
        self, *, limit: Optional[int] = None, cursor: Optional[str] = None, auto_paginate: Literal[False] = False
    ) -> AwaitablePage[t.VerifiedRecipient]: ...
    @overload
    def list(
        self, *, limit: Optional[int] = None, cursor: Optional[str] = None, auto_paginate: Literal[True]
    ) -> AsyncIterator[t.VerifiedRecipient]: ...
    def list(
        self, *, limit: Optional[int] = None, cursor: Optional[str] = None, auto_paginate: bool = False
    ) -> Any:
        """Newest first; `status` is pending, confirmed or expired (the latest link expired unconfirmed)."""
        return self._c._list("/v1/recipients", "recipients", {"limit": limit, "cursor": cursor}, auto_paginate)

    async def delete(self, recipient_id: str) -> t.DeleteVerifiedRecipientResponse:
        return await self._c._request("DELETE", path_of("/v1/recipients/{}", recipient_id))

    async def resend(self, recipient_id: str) -> t.ResendRecipientConfirmationResponse:
        """Mails a pending or expired recipient a new link (`status` sent) — at most one a minute per address
        (RateLimitError RATE_LIMITED, waited out up to `max_retry_after_seconds`); `already_confirmed`: nothing sent."""
        return await self._c._request("POST", path_of("/v1/recipients/{}/resend", recipient_id))


class AsyncSuppressions(_Resource):
    """Addresses and bare domains (`@corp.com`) the account never mails."""

    @overload
    def list(
        self, *, reason: Optional[t.SuppressionReason] = None, limit: Optional[int] = None,
        cursor: Optional[str] = None, auto_paginate: Literal[False] = False,
    ) -> AwaitablePage[t.Suppression]: ...
    @overload
    def list(
        self, *, reason: Optional[t.SuppressionReason] = None, limit: Optional[int] = None,
        cursor: Optional[str] = None, auto_paginate: Literal[True],
    ) -> AsyncIterator[t.Suppression]: ...
    def list(
        self, *, reason: Optional[t.SuppressionReason] = None, limit: Optional[int] = None,
        cursor: Optional[str] = None, auto_paginate: bool = False,
    ) -> Any:
        query = {"reason": reason, "limit": limit, "cursor": cursor}
        return self._c._list("/v1/suppressions", "suppressions", query, auto_paginate)

    async def add(
        self,
        *,
        email: str,
        reason: Union[t.SuppressionReason, NotGiven] = NOT_GIVEN,
        detail: Union[str, NotGiven] = NOT_GIVEN,
    ) -> t.AddSuppressionResponse:
        """Bare domains are admin-only (403 DOMAIN_SUPPRESSION_ADMIN_ONLY from agent keys)."""
        return await self._c._request(
            "POST", "/v1/suppressions", body=body_of(email=email, reason=reason, detail=detail)
        )

    async def add_bulk(
        self, *, emails: Sequence[str], reason: Union[t.SuppressionReason, NotGiven] = NOT_GIVEN
    ) -> t.BulkResult:
        return await self._c._request(
            "POST", "/v1/suppressions/bulk", body=body_of(emails=list(emails), reason=reason)
        )

    async def delete(self, email: str) -> t.DeleteSuppressionResponse:
        """Admin keys only."""
        return await self._c._request("DELETE", path_of("/v1/suppressions/{}", email))


class AsyncApiKeys(_Resource):
    async def create(
        self,
        *,
        role: Literal["admin", "agent"],
        label: Union[str, NotGiven] = NOT_GIVEN,
        mailbox_ids: Union[Sequence[str], NotGiven] = NOT_GIVEN,
    ) -> t.CreateApiKeyResponse:
        """The answer carries the key this once. Agent keys are bound to `mailbox_ids` (UUIDs or names)."""
        ids = mailbox_ids if isinstance(mailbox_ids, NotGiven) else list(mailbox_ids)
        return await self._c._request(
            "POST", "/v1/accounts/api-keys", body=body_of(role=role, label=label, mailbox_ids=ids)
        )

    async def list(self, *, include_revoked: Optional[bool] = None) -> Page[t.ApiKey]:
        return await self._c._page("/v1/accounts/api-keys", "keys", {"include_revoked": include_revoked})

    async def update(self, key_id: str, *, mailbox_ids: Sequence[str]) -> t.ApiKey:
        """Rebinds an agent key to other mailboxes; the agent keeps its key."""
        return await self._c._request(
            "PATCH", path_of("/v1/accounts/api-keys/{}", key_id), body={"mailbox_ids": list(mailbox_ids)}
        )

    async def revoke(self, key_id: str) -> t.ApiKey:
        return await self._c._request("DELETE", path_of("/v1/accounts/api-keys/{}", key_id))

    async def rotate(self) -> t.RotateApiKeyResponse:
        """Replaces the calling key: this client's key stops working — make a new client with the returned one."""
        return await self._c._request("POST", "/v1/accounts/api-keys/rotate")


class AsyncAccount(_Resource):
    async def get(self) -> t.GetAccountResponse:
        """The calling key's account."""
        return await self._c._request("GET", "/v1/accounts")

    async def whoami(self) -> t.GetCurrentKeyResponse:
        """The calling key: its account, role and mailboxes."""
        return await self._c._request("GET", "/v1/auth/me")

    async def get_usage(self) -> t.GetAccountUsageResponse:
        """Sends today and over 30 days, mailboxes, held sends, storage (admin keys)."""
        return await self._c._request("GET", "/v1/accounts/usage")

    async def get_quota(self) -> t.GetQuotaResponse:
        """The daily send cap and each mailbox's quota windows, with what is left."""
        return await self._c._request("GET", "/v1/accounts/quota")

    @overload
    async def export(self, *, format: Literal["json"] = "json") -> t.ExportAccountResponse: ...
    @overload
    async def export(self, *, format: Literal["zip"]) -> bytes: ...
    async def export(self, *, format: Literal["json", "zip"] = "json") -> Any:
        """The account's archive (admin keys): mailboxes, every message byte for byte, audit logs, legal holds.
        `json`: one document, each message's raw bytes in `raw_base64`; `zip`: the archive's bytes (`.eml` files
        and JSON, layout in docs/operations.md). Read into memory: mind the size of a large account."""
        return await self._c._request(
            "GET", "/v1/accounts/export", query={"format": format}, raw=format == "zip"
        )

    async def get_policy(self) -> t.AccountPolicy:
        return await self._c._request("GET", "/v1/account/policy")

    async def update_policy(
        self,
        *,
        custom_daily_send_limit: Union[int, None, NotGiven] = NOT_GIVEN,
        default_policy_mode: Union[Literal["read_only", "draft_only", "supervised", "trusted"], None, NotGiven]
        = NOT_GIVEN,
        sandbox: Union[bool, NotGiven] = NOT_GIVEN,
        retention_days: Union[int, None, NotGiven] = NOT_GIVEN,
    ) -> t.AccountPolicy:
        """The daily send cap (None: the operator's default), the policy mode new mailboxes start in, sandbox mode
        (every mailbox sends to confirmed verified recipients only) and the days settled mail is kept in mailboxes
        that set none (None: the operator's default)."""
        return await self._c._request(
            "PATCH",
            "/v1/account/policy",
            body=body_of(
                custom_daily_send_limit=custom_daily_send_limit,
                default_policy_mode=default_policy_mode,
                sandbox=sandbox,
                retention_days=retention_days,
            ),
        )


class AsyncHealth(_Resource):
    async def check(self) -> t.Health:
        """Whether the service can serve (needs no key); a server without its database answers 503."""
        return await self._c._request("GET", "/v1/health")


class AsyncPolicies(_Resource):
    """A mailbox's MailPolicy (who may write to the agent), its agent policy, and dry runs of both."""

    async def get_policy(self, mailbox_id: str) -> t.PolicyReadModel:
        """The agent policy and the MailPolicy (`policy` None when the mailbox has none and accepts all)."""
        return await self._c._request("GET", path_of("/v1/mailboxes/{}/policy", mailbox_id))

    async def set_policy(self, mailbox_id: str, policy: t.MailPolicy) -> t.PolicyReadModel:
        """Replaces the MailPolicy (admin keys); an invalid document raises ValidationError with `field_errors`."""
        return await self._c._request("PUT", path_of("/v1/mailboxes/{}/policy", mailbox_id), body=policy)

    async def test_policy(
        self,
        mailbox_id: str,
        message: Optional[t.PolicyTestInput] = None,
        *,
        raw: Union[bytes, str, None] = None,
        mail_from: Optional[str] = None,
        client_ip: Optional[str] = None,
        helo: Optional[str] = None,
    ) -> t.TestMailPolicyResponse:
        """Dry run, nothing recorded: pass the facts (`{"from", "body", "dkim", "spf", "thread_id"}`), or `raw`
        MIME with its envelope to run the real SPF/DKIM/DMARC checks."""
        path = path_of("/v1/mailboxes/{}/policy/test", mailbox_id)
        if raw is not None:
            content = raw.encode() if isinstance(raw, str) else raw
            query = {"mail_from": mail_from, "client_ip": client_ip, "helo": helo}
            return await self._c._request(
                "POST", path, query=query, content=content, content_type="message/rfc822"
            )
        if message is None:
            raise TypeError("test_policy needs a message (facts) or raw=")
        return await self._c._request("POST", path, body=message)

    async def preview(
        self,
        mailbox_id: str,
        *,
        to: Union[str, Sequence[str]],
        subject: Union[str, NotGiven] = NOT_GIVEN,
        body: Union[str, NotGiven] = NOT_GIVEN,
        at_time: Union[str, NotGiven] = NOT_GIVEN,
        run_content_scan: Union[bool, NotGiven] = NOT_GIVEN,
    ) -> t.PolicyPreview:
        """Dry run of the send gates for an agent's send from the mailbox (admin keys)."""
        return await self._c._request(
            "POST",
            path_of("/v1/mailboxes/{}/policy/preview", mailbox_id),
            body=body_of(
                to=to if isinstance(to, str) else list(to),
                subject=subject,
                body=body,
                at_time=at_time,
                run_content_scan=run_content_scan,
            ),
        )


class AsyncAudit(_Resource):
    """The MailPolicy audit log of a mailbox: one hash-chained entry per evaluation."""

    @overload
    def list(
        self, mailbox_id: str, *, limit: Optional[int] = None, cursor: Optional[str] = None,
        outcome: Optional[str] = None, sender: Optional[str] = None, since: Optional[str] = None,
        until: Optional[str] = None, auto_paginate: Literal[False] = False,
    ) -> AwaitablePage[t.AuditEntry]: ...
    @overload
    def list(
        self, mailbox_id: str, *, limit: Optional[int] = None, cursor: Optional[str] = None,
        outcome: Optional[str] = None, sender: Optional[str] = None, since: Optional[str] = None,
        until: Optional[str] = None, auto_paginate: Literal[True],
    ) -> AsyncIterator[t.AuditEntry]: ...
    def list(
        self, mailbox_id: str, *, limit: Optional[int] = None, cursor: Optional[str] = None,
        outcome: Optional[str] = None, sender: Optional[str] = None, since: Optional[str] = None,
        until: Optional[str] = None, auto_paginate: bool = False,
    ) -> Any:
        """Newest first."""
        query = {
            "limit": limit, "cursor": cursor, "outcome": outcome, "sender": sender, "since": since, "until": until,
        }
        return self._c._list(path_of("/v1/mailboxes/{}/audit", mailbox_id), "entries", query, auto_paginate)

    async def verify(self, mailbox_id: str) -> t.VerifyAuditChainResponse:
        """Recomputes the hash chain; `first_broken` names the first entry that does not match."""
        return await self._c._request("GET", path_of("/v1/mailboxes/{}/audit/verify", mailbox_id))


class AsyncEvents(_Resource):
    """The event log: replay it from a cursor, or follow it live."""

    @overload
    def list(
        self, *, after: Optional[str] = None, limit: Optional[int] = None,
        types: Optional[Sequence[t.EventType]] = None, mailbox_id: Optional[str] = None,
        auto_paginate: Literal[False] = False,
    ) -> AwaitablePage[t.Event]: ...
    @overload
    def list(
        self, *, after: Optional[str] = None, limit: Optional[int] = None,
        types: Optional[Sequence[t.EventType]] = None, mailbox_id: Optional[str] = None,
        auto_paginate: Literal[True],
    ) -> AsyncIterator[t.Event]: ...
    def list(
        self, *, after: Optional[str] = None, limit: Optional[int] = None,
        types: Optional[Sequence[t.EventType]] = None, mailbox_id: Optional[str] = None,
        auto_paginate: bool = False,
    ) -> Any:
        """Events in commit order after `after`; `page.cursor` is where to continue, also after an empty page."""
        query = {"after": after, "limit": limit, "types": types, "mailbox_id": mailbox_id}
        return self._c._list("/v1/events", "events", query, auto_paginate, cursor_param="after")

    def stream(
        self,
        *,
        after: Optional[str] = None,
        types: Optional[Sequence[t.EventType]] = None,
        mailbox_id: Optional[str] = None,
    ) -> AsyncIterator[t.Event]:
        """Follows the log live (Server-Sent Events) until you stop iterating. A dropped connection is reopened
        after the last event seen, so nothing is missed or repeated; starts after `after`, or with what happens
        from now on."""
        return self._c._stream_events("/v1/events/stream", {"types": types, "mailbox_id": mailbox_id}, after)


class AsyncDomains(_Resource):
    """Custom mail domains (admin keys): DNS records to publish, verification, the default domain. Every
    `domain_id` argument takes the domain's id or its name."""

    async def create(
        self,
        *,
        domain: str,
        dkim_selector: Union[str, NotGiven] = NOT_GIVEN,
        dkim_private_key: Union[str, NotGiven] = NOT_GIVEN,
    ) -> t.DomainCreated:
        """Claims the domain with its own DKIM key (yours as PEM, or one Postbox makes); publish the records in
        `dns_records_json` (or `get_zone_file`), then `verify`."""
        return await self._c._request(
            "POST",
            "/v1/domains",
            body=body_of(domain=domain, dkim_selector=dkim_selector, dkim_private_key=dkim_private_key),
        )

    async def list(self) -> Page[t.Domain]:
        """The installation's domain first (shared by every account), then the account's own, oldest first."""
        return await self._c._page("/v1/domains", "domains", {})

    async def get(self, domain_id: str) -> t.Domain:
        return await self._c._request("GET", path_of("/v1/domains/{}", domain_id))

    async def verify(self, domain_id: str) -> t.DomainVerification:
        """Looks the records up now: `verified` when MX and DKIM match, `failed` when one is missing or different
        (`failed_gate`, `failure_reason`); a lookup that fails leaves the status as it was."""
        return await self._c._request("POST", path_of("/v1/domains/{}/verify", domain_id))

    async def get_zone_file(self, domain_id: str) -> str:
        """The records to publish as a zone file (RFC 1035 master file), to import at a DNS provider."""
        raw: bytes = await self._c._request("GET", path_of("/v1/domains/{}/zone-file", domain_id), raw=True)
        return raw.decode("utf-8")

    async def set_default(self, domain_id: str) -> t.Domain:
        """New mailboxes that name no `domain` go here; a domain that is not verified raises ConflictError
        DOMAIN_NOT_VERIFIED. The installation's domain makes it the default again."""
        return await self._c._request("PATCH", path_of("/v1/domains/{}/set-default", domain_id))

    async def delete(self, domain_id: str) -> t.DomainDeleted:
        """Only a domain without live mailboxes (ConflictError DOMAIN_IN_USE)."""
        return await self._c._request("DELETE", path_of("/v1/domains/{}", domain_id))

    async def get_dkim_record(self) -> t.GetDkimRecordResponse:
        """The installation's DKIM record to publish (admin keys)."""
        return await self._c._request("GET", "/v1/dkim")


class AsyncLegalHolds(_Resource):
    """Legal holds (admin keys): while one covers a mailbox (or the account), none of its mail is deleted —
    message, mailbox and account deletes raise ConflictError LEGAL_HOLD_ACTIVE, retention skips it."""

    async def create(
        self,
        *,
        scope: Literal["account", "mailbox"],
        reason: str,
        mailbox_id: Union[str, None, NotGiven] = NOT_GIVEN,
        case_reference: Union[str, None, NotGiven] = NOT_GIVEN,
    ) -> t.LegalHold:
        """`scope="mailbox"` needs `mailbox_id` (UUID or name); `"account"` covers every mailbox, present and future."""
        return await self._c._request(
            "POST",
            "/v1/legal-holds",
            body=body_of(scope=scope, reason=reason, mailbox_id=mailbox_id, case_reference=case_reference),
        )

    @overload
    def list(
        self, *, include_released: Optional[bool] = None, limit: Optional[int] = None,
        cursor: Optional[str] = None, auto_paginate: Literal[False] = False,
    ) -> AwaitablePage[t.LegalHold]: ...
    @overload
    def list(
        self, *, include_released: Optional[bool] = None, limit: Optional[int] = None,
        cursor: Optional[str] = None, auto_paginate: Literal[True],
    ) -> AsyncIterator[t.LegalHold]: ...
    def list(
        self, *, include_released: Optional[bool] = None, limit: Optional[int] = None,
        cursor: Optional[str] = None, auto_paginate: bool = False,
    ) -> Any:
        """Newest first; active holds only unless `include_released`."""
        query = {"include_released": include_released, "limit": limit, "cursor": cursor}
        return self._c._list("/v1/legal-holds", "legal_holds", query, auto_paginate)

    async def get(self, hold_id: str) -> t.LegalHold:
        return await self._c._request("GET", path_of("/v1/legal-holds/{}", hold_id))

    async def release(self, hold_id: str, *, release_reason: str) -> t.LegalHold:
        """The hold stays on record, released; ConflictError LEGAL_HOLD_ALREADY_RELEASED the second time."""
        return await self._c._request(
            "POST", path_of("/v1/legal-holds/{}/release", hold_id), body={"release_reason": release_reason}
        )


class AsyncInboundBlocklist(_Resource):
    """The account's inbound blocklist: mail from these senders is kept from every agent (admin keys)."""

    @overload
    def list(
        self, *, limit: Optional[int] = None, cursor: Optional[str] = None, auto_paginate: Literal[False] = False
    ) -> AwaitablePage[t.BlocklistEntry]: ...
    @overload
    def list(
        self, *, limit: Optional[int] = None, cursor: Optional[str] = None, auto_paginate: Literal[True]
    ) -> AsyncIterator[t.BlocklistEntry]: ...
    def list(
        self, *, limit: Optional[int] = None, cursor: Optional[str] = None, auto_paginate: bool = False
    ) -> Any:
        query = {"limit": limit, "cursor": cursor}
        return self._c._list("/v1/inbound-blocklist", "blocklist", query, auto_paginate)

    async def add(
        self, *, email: str, reason: Union[str, NotGiven] = NOT_GIVEN
    ) -> t.AddInboundBlocklistEntryResponse:
        """An address or a bare domain (`@spam.example`)."""
        return await self._c._request("POST", "/v1/inbound-blocklist", body=body_of(email=email, reason=reason))

    async def add_bulk(self, *, emails: Sequence[str]) -> t.BulkResult:
        return await self._c._request("POST", "/v1/inbound-blocklist/bulk", body={"emails": list(emails)})

    async def delete(self, email: str) -> t.DeleteInboundBlocklistEntryResponse:
        return await self._c._request("DELETE", path_of("/v1/inbound-blocklist/{}", email))


class AsyncRules(_Resource):
    """A mailbox's inbound rules: label, forward, auto-reply."""

    async def get(self, mailbox_id: str) -> t.RuleSet:
        return await self._c._request("GET", path_of("/v1/mailboxes/{}/rules", mailbox_id))

    async def set(self, mailbox_id: str, rules: t.RuleSet) -> t.RuleSet:
        """Replaces the rules (admin keys); an invalid set raises ValidationError naming each problem."""
        return await self._c._request("PUT", path_of("/v1/mailboxes/{}/rules", mailbox_id), body=rules)


class AsyncReviews(_Resource):
    """Sends held for a human (admin keys; agents cannot approve their own mail)."""

    @overload
    def list(
        self, *, mailbox: Optional[str] = None, limit: Optional[int] = None, cursor: Optional[str] = None,
        auto_paginate: Literal[False] = False,
    ) -> AwaitablePage[t.Message]: ...
    @overload
    def list(
        self, *, mailbox: Optional[str] = None, limit: Optional[int] = None, cursor: Optional[str] = None,
        auto_paginate: Literal[True],
    ) -> AsyncIterator[t.Message]: ...
    def list(
        self, *, mailbox: Optional[str] = None, limit: Optional[int] = None, cursor: Optional[str] = None,
        auto_paginate: bool = False,
    ) -> Any:
        """Oldest first."""
        query = {"mailbox": mailbox, "limit": limit, "cursor": cursor}
        return self._c._list("/v1/reviews", "messages", query, auto_paginate)

    async def approve(self, message_id: str, *, note: Union[str, NotGiven] = NOT_GIVEN) -> t.MessageAction:
        """The held send goes to the delivery queue."""
        return await self._c._request(
            "POST", path_of("/v1/messages/{}/approve", message_id), body=body_of(note=note)
        )

    async def deny(self, message_id: str, *, note: Union[str, NotGiven] = NOT_GIVEN) -> t.MessageAction:
        """The held send is never delivered."""
        return await self._c._request("POST", path_of("/v1/messages/{}/deny", message_id), body=body_of(note=note))

    async def revise(
        self,
        message_id: str,
        *,
        subject: Union[str, NotGiven] = NOT_GIVEN,
        text: Union[str, NotGiven] = NOT_GIVEN,
        html: Union[str, None, NotGiven] = NOT_GIVEN,
        note: Union[str, NotGiven] = NOT_GIVEN,
    ) -> t.MessageAction:
        """Edits the held send and rescans it; it stays held for approval. `html=None` removes the HTML part.

        ConflictError REVISION_REJECTED_BY_RESCAN (`details["scan"]`) when the rescan would quarantine or block it:
        then nothing changed."""
        return await self._c._request(
            "POST",
            path_of("/v1/messages/{}/revise", message_id),
            body=body_of(subject=subject, text=text, html=html, note=note),
        )


class AsyncSimulator(_Resource):
    async def inbound(
        self,
        *,
        mailbox_id: str,
        scenario: Literal["clean", "prompt_injection_quarantined"],
        label: Union[str, NotGiven] = NOT_GIVEN,
    ) -> t.SimulatorResult:
        """A synthetic inbound message through the real pipeline; where it ended (or `pending`)."""
        return await self._c._request(
            "POST", "/v1/simulator/inbound", body=body_of(mailbox_id=mailbox_id, scenario=scenario, label=label)
        )


class AsyncPostbox(AsyncTransport):
    """The Postbox API client.

    `api_key` and `base_url` default to POSTBOX_API_KEY and POSTBOX_URL (else http://127.0.0.1:8025). 429 is
    retried on every method after Retry-After (up to `max_retry_after_seconds`, above it RateLimitError); 5xx and
    lost connections on GET only; uploads never; `max_retries=0` fails fast. `on_retry(RetryInfo)` is called
    before each retry. Use it as a context manager, or call `close()`, to release its connections.
    """

    def __init__(
        self,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        max_retries: int = 3,
        timeout: float = 30.0,
        max_retry_after_seconds: float = 4000.0,
        on_retry: Optional[Callable[[RetryInfo], Any]] = None,
        *,
        http_client: Optional[httpx.AsyncClient] = None,
    ) -> None:
        super().__init__(
            api_key,
            base_url,
            max_retries,
            timeout,
            max_retry_after_seconds,
            on_retry,
            http_client=http_client,
        )
        self.mailboxes = AsyncMailboxes(self)
        self.messages = AsyncMessages(self)
        self.drafts = AsyncDrafts(self)
        self.threads = AsyncThreads(self)
        self.attachments = AsyncAttachments(self)
        self.webhooks = AsyncWebhooks(self)
        self.recipients = AsyncRecipients(self)
        self.suppressions = AsyncSuppressions(self)
        self.api_keys = AsyncApiKeys(self)
        self.account = AsyncAccount(self)
        self.health = AsyncHealth(self)
        self.policies = AsyncPolicies(self)
        self.audit = AsyncAudit(self)
        self.events = AsyncEvents(self)
        self.domains = AsyncDomains(self)
        self.legal_holds = AsyncLegalHolds(self)
        self.inbound_blocklist = AsyncInboundBlocklist(self)
        self.rules = AsyncRules(self)
        self.reviews = AsyncReviews(self)
        self.simulator = AsyncSimulator(self)

    async def __aenter__(self) -> "AsyncPostbox":
        return self
