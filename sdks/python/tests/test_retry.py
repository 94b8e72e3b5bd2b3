"""The retry contract, against a stub server on a real socket (sync and async clients)."""

from __future__ import annotations

import asyncio
from typing import Any, List

import pytest

from postbox import (
    AsyncPostbox,
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    Postbox,
    PostboxConnectionError,
    PostboxError,
    RateLimitError,
    RetryInfo,
    ValidationError,
)
from postbox.retry import backoff, parse_retry_after
from stub_server import Answer, StubServer, error, ok


def client(stub: StubServer, **kw: Any) -> Postbox:
    pb = Postbox(api_key="pb_test", base_url=stub.url, **kw)
    return pb


def record_sleeps(pb: Any) -> List[float]:
    """Backoff sleeps are recorded instead of slept (the delays themselves are what is checked)."""
    slept: List[float] = []
    if isinstance(pb, AsyncPostbox):
        async def sleep(s: float) -> None:
            slept.append(s)
        pb._sleep = sleep  # type: ignore[method-assign]
    else:
        pb._sleep = slept.append  # type: ignore[method-assign]
    return slept


def test_429_is_retried_on_a_post_after_retry_after(stub: StubServer) -> None:
    stub.script(error(429, "RATE_LIMITED", headers={"retry-after": "0.2"}), ok({"message_id": "m1", "status": "sent"}))
    seen: List[RetryInfo] = []
    with client(stub, on_retry=seen.append) as pb:
        result = pb.messages.send(from_mailbox="support", to="a@example.com", subject="s", body="b")
    assert result["message_id"] == "m1"
    assert [r.method for r in stub.requests] == ["POST", "POST"]
    assert stub.requests[0].body == stub.requests[1].body
    assert len(seen) == 1
    info = seen[0]
    assert (info.attempt, info.delay_seconds, info.method, info.path) == (1, 0.2, "POST", "/v1/messages/send")
    assert isinstance(info.error, RateLimitError) and info.error.retry_after == 0.2


@pytest.mark.parametrize("method", ["PATCH", "DELETE", "GET"])
def test_429_is_retried_on_every_method(stub: StubServer, method: str) -> None:
    stub.script(error(429, "RATE_LIMITED", headers={"retry-after": "0"}), ok({"id": "x"}))
    with client(stub) as pb:
        if method == "PATCH":
            pb.mailboxes.update("support", display_name="S")
        elif method == "DELETE":
            pb.mailboxes.delete("support")
        else:
            pb.mailboxes.get("support")
    assert [r.method for r in stub.requests] == [method, method]


def test_retry_after_above_the_cap_raises_at_once(stub: StubServer) -> None:
    stub.script(error(429, "RATE_LIMITED", headers={"retry-after": "3600"}))
    with client(stub, max_retry_after_seconds=30) as pb, pytest.raises(RateLimitError) as exc:
        pb.mailboxes.get("support")
    assert exc.value.retry_after == 3600
    assert exc.value.status == 429 and exc.value.code == "RATE_LIMITED"
    assert len(stub.requests) == 1


def test_retry_after_as_an_http_date(stub: StubServer) -> None:
    stub.script(error(429, "RATE_LIMITED", headers={"retry-after": "Wed, 21 Oct 2037 07:28:00 GMT"}))
    with client(stub) as pb, pytest.raises(RateLimitError) as exc:
        pb.mailboxes.get("support")
    assert exc.value.retry_after is not None and exc.value.retry_after > 4000
    assert len(stub.requests) == 1


def test_429_without_retry_after_backs_off(stub: StubServer) -> None:
    stub.script(error(429, "RATE_LIMITED"), error(429, "RATE_LIMITED"), ok({"id": "x"}))
    with client(stub) as pb:
        slept = record_sleeps(pb)
        pb.mailboxes.create(name="support")
    assert slept == [backoff(0), backoff(1)] == [0.5, 1.0]
    assert len(stub.requests) == 3


def test_5xx_is_retried_on_get(stub: StubServer) -> None:
    stub.script(error(503, "SHUTTING_DOWN"), error(500, "INTERNAL_ERROR"), ok({"status": "ok"}))
    with client(stub) as pb:
        slept = record_sleeps(pb)
        assert pb.health.check()["status"] == "ok"
    assert len(stub.requests) == 3 and slept == [0.5, 1.0]


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE"])
def test_5xx_is_not_retried_on_a_mutating_method(stub: StubServer, method: str) -> None:
    stub.script(error(503, "SHUTTING_DOWN"), ok({}))
    with client(stub) as pb, pytest.raises(PostboxError) as exc:
        if method == "POST":
            pb.messages.send(from_mailbox="support", to="a@example.com", subject="s", body="b")
        elif method == "PATCH":
            pb.mailboxes.update("support", display_name="S")
        else:
            pb.mailboxes.delete("support")
    assert exc.value.status == 503 and exc.value.code == "SHUTTING_DOWN"
    assert len(stub.requests) == 1


def test_a_lost_connection_is_retried_on_get_only(stub: StubServer) -> None:
    stub.script(Answer(action="reset"), ok({"status": "ok"}))
    with client(stub) as pb:
        record_sleeps(pb)
        assert pb.health.check()["status"] == "ok"
    assert len(stub.requests) == 2
    stub.reset()
    stub.script(Answer(action="reset"), ok({}))
    with client(stub) as pb, pytest.raises(PostboxConnectionError) as exc:
        pb.mailboxes.create(name="support")
    assert exc.value.code == "CONNECTION_ERROR" and exc.value.status is None
    assert len(stub.requests) == 1


def test_multipart_upload_is_never_retried(stub: StubServer) -> None:
    stub.script(error(429, "RATE_LIMITED", headers={"retry-after": "0"}), ok({"id": "u1"}))
    with client(stub) as pb, pytest.raises(RateLimitError):
        pb.attachments.upload(mailbox_id="support", file=b"%PDF-1.4", filename="a.pdf", content_type="application/pdf")
    assert len(stub.requests) == 1


def test_max_retries_zero_fails_fast(stub: StubServer) -> None:
    stub.script(error(429, "RATE_LIMITED", headers={"retry-after": "0"}), ok({}))
    with client(stub, max_retries=0) as pb, pytest.raises(RateLimitError) as exc:
        pb.mailboxes.get("support")
    assert exc.value.retry_after == 0
    stub.reset()
    stub.script(error(503, "SHUTTING_DOWN"), ok({}))
    with client(stub, max_retries=0) as pb, pytest.raises(PostboxError):
        pb.health.check()
    assert len(stub.requests) == 1


def test_retries_stop_after_max_retries(stub: StubServer) -> None:
    stub.default(error(503, "SHUTTING_DOWN"))
    seen: List[RetryInfo] = []
    with client(stub, max_retries=2, on_retry=seen.append) as pb, pytest.raises(PostboxError) as exc:
        record_sleeps(pb)
        pb.health.check()
    assert exc.value.status == 503
    assert len(stub.requests) == 3
    assert [i.attempt for i in seen] == [1, 2]


def test_retries_are_silent_by_default(stub: StubServer, capfd: pytest.CaptureFixture[str]) -> None:
    stub.script(error(429, "RATE_LIMITED", headers={"retry-after": "0"}), ok({"status": "ok"}))
    with client(stub) as pb:
        pb.health.check()
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_a_raising_on_retry_is_swallowed(stub: StubServer) -> None:
    def hook(info: RetryInfo) -> None:
        raise RuntimeError("metrics are down")

    stub.script(error(429, "RATE_LIMITED", headers={"retry-after": "0"}), ok({"status": "ok"}))
    with client(stub, on_retry=hook) as pb:
        assert pb.health.check()["status"] == "ok"
    assert len(stub.requests) == 2


async def test_async_retries_and_awaits_a_coroutine_hook(stub: StubServer) -> None:
    seen: List[RetryInfo] = []

    async def hook(info: RetryInfo) -> None:
        await asyncio.sleep(0)
        seen.append(info)

    stub.script(error(429, "RATE_LIMITED", headers={"retry-after": "0.1"}), ok({"message_id": "m1"}))
    async with AsyncPostbox(api_key="pb_test", base_url=stub.url, on_retry=hook) as pb:
        result = await pb.messages.send(from_mailbox="support", to="a@example.com", subject="s", body="b")
    assert result["message_id"] == "m1"
    assert [(i.attempt, i.delay_seconds, i.method) for i in seen] == [(1, 0.1, "POST")]


async def test_async_contract_matches_the_blocking_one(stub: StubServer) -> None:
    async def failing_hook(info: RetryInfo) -> None:
        raise RuntimeError("ignored")

    # 5xx: retried on GET, not on POST; a raising coroutine hook is swallowed.
    stub.script(error(502, "HTTP_502"), ok({"status": "ok"}), error(502, "HTTP_502"), ok({}))
    async with AsyncPostbox(api_key="pb_test", base_url=stub.url, on_retry=failing_hook) as pb:
        record_sleeps(pb)
        assert (await pb.health.check())["status"] == "ok"
        with pytest.raises(PostboxError):
            await pb.mailboxes.create(name="x")
    assert [r.method for r in stub.requests] == ["GET", "GET", "POST"]
    stub.reset()
    # Above the cap, and with max_retries=0, a 429 raises at once; uploads are never retried.
    stub.script(
        error(429, "RATE_LIMITED", headers={"retry-after": "120"}),
        error(429, "RATE_LIMITED", headers={"retry-after": "0"}),
        error(429, "RATE_LIMITED", headers={"retry-after": "0"}),
    )
    async with AsyncPostbox(api_key="pb_test", base_url=stub.url, max_retry_after_seconds=60) as pb:
        with pytest.raises(RateLimitError):
            await pb.mailboxes.get("support")
        with pytest.raises(RateLimitError):
            await pb.attachments.upload(mailbox_id="support", file=b"x", filename="a.txt")
    async with AsyncPostbox(api_key="pb_test", base_url=stub.url, max_retries=0) as pb:
        with pytest.raises(RateLimitError):
            await pb.mailboxes.get("support")
    assert len(stub.requests) == 3


@pytest.mark.parametrize(
    "status,cls",
    [
        (400, ValidationError),
        (422, ValidationError),
        (401, AuthenticationError),
        (403, ForbiddenError),
        (404, NotFoundError),
        (409, ConflictError),
        (418, PostboxError),
    ],
)
def test_error_answers_become_typed_errors(stub: StubServer, status: int, cls: type) -> None:
    stub.script(Answer(status, {"error": "what to fix", "code": "SOME_CODE", "details": {"k": 1}, "errors": ["body.to is required"]}))
    with client(stub) as pb, pytest.raises(cls) as exc:
        pb.mailboxes.get("support")
    err = exc.value
    assert isinstance(err, PostboxError)
    assert (err.status, err.code, err.details, str(err)) == (status, "SOME_CODE", {"k": 1}, "what to fix")
    if isinstance(err, ValidationError):
        assert err.field_errors == ["body.to is required"]


def test_an_error_without_a_json_body(stub: StubServer) -> None:
    stub.script(Answer(502, b"<html>bad gateway</html>"))
    with client(stub, max_retries=0) as pb, pytest.raises(PostboxError) as exc:
        pb.health.check()
    assert (exc.value.status, exc.value.code, exc.value.details) == (502, "HTTP_502", {})


def test_a_timeout_is_a_connection_error(stub: StubServer) -> None:
    import threading

    release = threading.Event()

    def slow(rec: Any) -> Answer:
        release.wait(10)
        return ok({})

    stub.script(slow)
    with client(stub, timeout=0.2, max_retries=0) as pb, pytest.raises(PostboxConnectionError) as exc:
        pb.mailboxes.create(name="support")
    release.set()
    assert exc.value.code == "TIMEOUT"


def test_parse_retry_after() -> None:
    assert parse_retry_after(None) is None
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-1") is None
    assert parse_retry_after("Thu, 01 Jan 1970 00:01:40 GMT", now=40.0) == 60.0
    assert parse_retry_after("Thu, 01 Jan 1970 00:01:40 GMT", now=500.0) == 0.0
