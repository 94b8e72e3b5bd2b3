"""The retry contract, shared by both clients.

- 429 is retried on every method (the request was refused before anything ran), after `Retry-After`; a
  `Retry-After` above `max_retry_after_seconds` raises the RateLimitError at once instead of sleeping.
- 5xx and lost connections are retried on GET only: a POST, PATCH or DELETE may have run.
- Multipart uploads are never retried (the body would be sent again).
- `max_retries=0` never retries.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass

from .errors import PostboxConnectionError, PostboxError, RateLimitError


@dataclass(frozen=True)
class RetryInfo:
    """What `on_retry` receives before each retry."""

    attempt: int
    """1 for the first retry."""
    error: PostboxError
    """Why the previous attempt failed."""
    delay_seconds: float
    """How long the client sleeps before the retry."""
    method: str
    path: str


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date; None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            at = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if at is None:
            return None
        return max(0.0, at.timestamp() - (time.time() if now is None else now))
    return seconds if seconds >= 0 else None


def backoff(attempt: int) -> float:
    """Exponential wait when the server gave no Retry-After: 0.5 s, 1 s, 2 s… at most 8 s."""
    return float(min(0.5 * 2**attempt, 8.0))


def retry_delay(
    error: PostboxError,
    *,
    method: str,
    attempt: int,
    max_retries: int,
    max_retry_after_seconds: float,
    multipart: bool = False,
) -> float | None:
    """Seconds to wait before retrying after `error` on attempt `attempt` (0-based), or None to raise it."""
    if multipart or attempt >= max_retries:
        return None
    if isinstance(error, RateLimitError):
        if error.retry_after is None:
            return backoff(attempt)
        if error.retry_after > max_retry_after_seconds:
            return None
        return error.retry_after
    if method.upper() != "GET":
        return None
    if isinstance(error, PostboxConnectionError):
        return backoff(attempt)
    if error.status is not None and error.status >= 500:
        return backoff(attempt)
    return None
