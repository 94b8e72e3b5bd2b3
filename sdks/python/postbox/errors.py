"""The exceptions the SDK raises. Every one is a PostboxError carrying the server's stable `code`."""

from __future__ import annotations

from typing import Any, Mapping


class PostboxError(Exception):
    """An error from Postbox or on the way to it.

    `code` is the server's stable error code (`HTTP_<status>` when the answer carried none), `status` the HTTP
    status (None when no answer came), `details` the structured extras of the error body.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str,
        status: int | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.details: dict[str, Any] = dict(details or {})

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code!r}, status={self.status!r})"


class AuthenticationError(PostboxError):
    """401: the key is missing, unknown or revoked."""


class ForbiddenError(PostboxError):
    """403: the key may not do this (role, mailbox binding, policy)."""


class NotFoundError(PostboxError):
    """404: no such object in this account."""


class ConflictError(PostboxError):
    """409: the object is not in a state that allows this (already sent, last entry, name taken…)."""


class ValidationError(PostboxError):
    """400 or 422: the request is malformed or refused as invalid; `field_errors` names each problem."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        status: int | None = None,
        details: Mapping[str, Any] | None = None,
        field_errors: list[str] | None = None,
    ) -> None:
        super().__init__(message, code=code, status=status, details=details)
        self.field_errors: list[str] = list(field_errors or [])


class RateLimitError(PostboxError):
    """429: too many requests. `retry_after` is the seconds the server asked to wait, when it said."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        status: int | None = 429,
        details: Mapping[str, Any] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, code=code, status=status, details=details)
        self.retry_after = retry_after


class PostboxConnectionError(PostboxError):
    """No HTTP answer: connection refused or reset, DNS failure (code CONNECTION_ERROR), or the timeout (TIMEOUT)."""


class WebhookSignatureError(PostboxError):
    """A webhook request that is not from Postbox, or too old: answer it 400 and do not act on it."""


def error_from_response(
    status: int, body: Any, retry_after: float | None = None
) -> PostboxError:
    """The exception for an error answer; `body` is the parsed JSON (or None when it was not JSON)."""
    b: Mapping[str, Any] = body if isinstance(body, Mapping) else {}
    message = next((b[k] for k in ("error", "message") if isinstance(b.get(k), str) and b[k]), f"HTTP {status}")
    raw_code, raw_details = b.get("code"), b.get("details")
    code = raw_code if isinstance(raw_code, str) else f"HTTP_{status}"
    details = raw_details if isinstance(raw_details, Mapping) else None
    if status in (400, 422):
        errs = b.get("errors")
        field_errors = [str(e) for e in errs] if isinstance(errs, list) else []
        return ValidationError(message, code=code, status=status, details=details, field_errors=field_errors)
    if status == 429:
        return RateLimitError(message, code=code, status=status, details=details, retry_after=retry_after)
    cls = {401: AuthenticationError, 403: ForbiddenError, 404: NotFoundError, 409: ConflictError}.get(
        status, PostboxError
    )
    return cls(message, code=code, status=status, details=details)


__all__ = [
    "PostboxError",
    "AuthenticationError",
    "ForbiddenError",
    "NotFoundError",
    "ConflictError",
    "ValidationError",
    "RateLimitError",
    "PostboxConnectionError",
    "WebhookSignatureError",
    "error_from_response",
]
