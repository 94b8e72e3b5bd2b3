"""HTTP for both clients: configuration, the retry loop, lists and the event stream.

SyncTransport and AsyncTransport hold the same logic, once blocking and once awaited; the retry decisions
themselves are in postbox.retry and shared.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import time
from typing import Any, AsyncIterator, Callable, Dict, Iterator, List, Mapping, Optional, Tuple, Union
from urllib.parse import quote

import httpx

from ._version import __version__
from .errors import PostboxConnectionError, PostboxError, error_from_response
from .pagination import Page, page_of
from .retry import RetryInfo, parse_retry_after, retry_delay

DEFAULT_BASE_URL = "http://127.0.0.1:8025"


class NotGiven:
    """The default of optional arguments: the field is left out of the request (None sends JSON null)."""

    _instance: Optional["NotGiven"] = None

    def __new__(cls) -> "NotGiven":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = NotGiven()

Query = Mapping[str, Any]
Files = Dict[str, Tuple[str, bytes, str]]


def path_of(template: str, *segments: Union[str, int]) -> str:
    """`template` with each `{}` replaced by a segment, escaped (a mailbox name, an address)."""
    return template.format(*(quote(str(s), safe="") for s in segments))


def body_of(**fields: Any) -> Dict[str, Any]:
    """A JSON body of the fields that were given."""
    return {k: v for k, v in fields.items() if v is not NOT_GIVEN}


def _query_value(v: Any) -> Optional[str]:
    if v is None or v is NOT_GIVEN:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return ",".join(str(x) for x in v)
    if hasattr(v, "isoformat"):
        return str(v.isoformat())
    return str(v)


def _params(query: Optional[Query]) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for k, v in (query or {}).items():
        s = _query_value(v)
        if s is not None:
            out[k] = s
    return out


class _Base:
    def __init__(
        self,
        api_key: Optional[str],
        base_url: Optional[str],
        max_retries: int,
        timeout: float,
        max_retry_after_seconds: float,
        on_retry: Optional[Callable[[RetryInfo], Any]],
    ) -> None:
        key = api_key if api_key is not None else os.environ.get("POSTBOX_API_KEY")
        if not key:
            raise PostboxError(
                "no API key: pass api_key= or set POSTBOX_API_KEY", code="API_KEY_REQUIRED", status=None
            )
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        self.api_key = key
        self.base_url = (base_url or os.environ.get("POSTBOX_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.max_retries = max_retries
        self.timeout = timeout
        self.max_retry_after_seconds = max_retry_after_seconds
        self.on_retry = on_retry

    def _headers(self, extra: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
        h = {
            "authorization": f"Bearer {self.api_key}",
            "accept": "application/json",
            "user-agent": f"postbox-python/{__version__}",
        }
        if extra:
            h.update(extra)
        return h

    @staticmethod
    def _answer(response: httpx.Response, raw: bool) -> Any:
        if raw:
            return response.content
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    @staticmethod
    def _error(response: httpx.Response) -> PostboxError:
        try:
            body = response.json()
        except ValueError:
            body = None
        return error_from_response(
            response.status_code, body, parse_retry_after(response.headers.get("retry-after"))
        )

    def _connection_error(self, exc: Exception, method: str, path: str) -> PostboxConnectionError:
        if isinstance(exc, httpx.TimeoutException):
            return PostboxConnectionError(f"request timed out: {method} {path}", code="TIMEOUT")
        return PostboxConnectionError(f"could not reach {self.base_url}: {exc}", code="CONNECTION_ERROR")

    def _delay(self, error: PostboxError, method: str, attempt: int, multipart: bool) -> Optional[float]:
        return retry_delay(
            error,
            method=method,
            attempt=attempt,
            max_retries=self.max_retries,
            max_retry_after_seconds=self.max_retry_after_seconds,
            multipart=multipart,
        )

    def _request_kwargs(
        self,
        method: str,
        path: str,
        query: Optional[Query],
        body: Any,
        headers: Optional[Mapping[str, str]],
        files: Optional[Files],
        data: Optional[Mapping[str, str]],
        content: Optional[bytes],
        content_type: Optional[str],
        timeout: Optional[float],
    ) -> Dict[str, Any]:
        h = self._headers(headers)
        kw: Dict[str, Any] = {"method": method, "url": self.base_url + path, "params": _params(query)}
        if files is not None:
            kw["files"] = files
            kw["data"] = dict(data or {})
        elif content is not None:
            h["content-type"] = content_type or "application/octet-stream"
            kw["content"] = content
        elif body is not NOT_GIVEN:
            # Content-Type only with a body: the server refuses an empty JSON body.
            h["content-type"] = "application/json"
            kw["content"] = json.dumps(body).encode()
        kw["headers"] = h
        kw["timeout"] = self.timeout if timeout is None else timeout
        return kw


class SyncTransport(_Base):
    def __init__(
        self,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        max_retries: int = 3,
        timeout: float = 30.0,
        max_retry_after_seconds: float = 4000.0,
        on_retry: Optional[Callable[[RetryInfo], Any]] = None,
        *,
        http_client: Optional[httpx.Client] = None,
    ) -> None:
        super().__init__(api_key, base_url, max_retries, timeout, max_retry_after_seconds, on_retry)
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client()

    def close(self) -> None:
        """Closes the connection pool (when the client made it)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def _notify(self, info: RetryInfo) -> None:
        if self.on_retry is None:
            return
        try:
            result = self.on_retry(info)
            if inspect.iscoroutine(result):
                result.close()  # a coroutine hook cannot run on the blocking client
        except Exception:
            pass  # a failing hook must not break the retry

    def _request(
        self,
        method: str,
        path: str,
        *,
        query: Optional[Query] = None,
        body: Any = NOT_GIVEN,
        headers: Optional[Mapping[str, str]] = None,
        files: Optional[Files] = None,
        data: Optional[Mapping[str, str]] = None,
        content: Optional[bytes] = None,
        content_type: Optional[str] = None,
        timeout: Optional[float] = None,
        raw: bool = False,
    ) -> Any:
        kw = self._request_kwargs(method, path, query, body, headers, files, data, content, content_type, timeout)
        for attempt in range(self.max_retries + 1):
            try:
                response = self._http.request(**kw)
            except httpx.TransportError as exc:
                error: PostboxError = self._connection_error(exc, method, path)
            else:
                if response.is_success:
                    return self._answer(response, raw)
                error = self._error(response)
            delay = self._delay(error, method, attempt, files is not None)
            if delay is None:
                raise error
            self._notify(RetryInfo(attempt + 1, error, delay, method, path))
            self._sleep(delay)
        raise AssertionError("unreachable")

    def _page(self, path: str, key: str, query: Query) -> Page[Any]:
        return page_of(self._request("GET", path, query=query), key)

    def _list(
        self, path: str, key: str, query: Query, auto_paginate: bool, cursor_param: str = "cursor"
    ) -> Any:
        if auto_paginate:
            return self._iterate(path, key, query, cursor_param)
        return self._page(path, key, query)

    def _iterate(self, path: str, key: str, query: Query, cursor_param: str) -> Iterator[Any]:
        q = dict(query)
        while True:
            page = self._page(path, key, q)
            yield from page.data
            if not page.has_more or not page.cursor:
                return
            q[cursor_param] = page.cursor

    def _stream_events(self, path: str, query: Query, after: Optional[str]) -> Iterator[Any]:
        last = after
        while True:
            headers = self._headers({"accept": "text/event-stream"})
            if last:
                headers["last-event-id"] = last
            try:
                with self._http.stream(
                    "GET",
                    self.base_url + path,
                    params=_params(query),
                    headers=headers,
                    timeout=httpx.Timeout(self.timeout, read=max(self.timeout, 60.0)),
                ) as response:
                    if not response.is_success:
                        response.read()
                        error = self._error(response)
                        if error.status is not None and error.status < 500:
                            raise error
                    else:
                        for event, event_id in _sse_events(response.iter_lines()):
                            last = event_id or event.get("cursor") or last
                            yield event
            except httpx.TransportError:
                pass  # a dropped stream: reconnect after the last event seen
            self._sleep(1.0)


class AsyncTransport(_Base):
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
        super().__init__(api_key, base_url, max_retries, timeout, max_retry_after_seconds, on_retry)
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient()

    async def close(self) -> None:
        """Closes the connection pool (when the client made it)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Any:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def _notify(self, info: RetryInfo) -> None:
        if self.on_retry is None:
            return
        try:
            result = self.on_retry(info)
            if inspect.isawaitable(result):
                await result
        except Exception:
            pass  # a failing hook must not break the retry

    async def _request(
        self,
        method: str,
        path: str,
        *,
        query: Optional[Query] = None,
        body: Any = NOT_GIVEN,
        headers: Optional[Mapping[str, str]] = None,
        files: Optional[Files] = None,
        data: Optional[Mapping[str, str]] = None,
        content: Optional[bytes] = None,
        content_type: Optional[str] = None,
        timeout: Optional[float] = None,
        raw: bool = False,
    ) -> Any:
        kw = self._request_kwargs(method, path, query, body, headers, files, data, content, content_type, timeout)
        for attempt in range(self.max_retries + 1):
            try:
                response = await self._http.request(**kw)
            except httpx.TransportError as exc:
                error: PostboxError = self._connection_error(exc, method, path)
            else:
                if response.is_success:
                    return self._answer(response, raw)
                error = self._error(response)
            delay = self._delay(error, method, attempt, files is not None)
            if delay is None:
                raise error
            await self._notify(RetryInfo(attempt + 1, error, delay, method, path))
            await self._sleep(delay)
        raise AssertionError("unreachable")

    async def _page(self, path: str, key: str, query: Query) -> Page[Any]:
        return page_of(await self._request("GET", path, query=query), key)

    def _list(
        self, path: str, key: str, query: Query, auto_paginate: bool, cursor_param: str = "cursor"
    ) -> Any:
        if auto_paginate:
            return self._iterate(path, key, query, cursor_param)
        return self._page(path, key, query)

    async def _iterate(self, path: str, key: str, query: Query, cursor_param: str) -> AsyncIterator[Any]:
        q = dict(query)
        while True:
            page = await self._page(path, key, q)
            for item in page.data:
                yield item
            if not page.has_more or not page.cursor:
                return
            q[cursor_param] = page.cursor

    async def _stream_events(self, path: str, query: Query, after: Optional[str]) -> AsyncIterator[Any]:
        last = after
        while True:
            headers = self._headers({"accept": "text/event-stream"})
            if last:
                headers["last-event-id"] = last
            try:
                async with self._http.stream(
                    "GET",
                    self.base_url + path,
                    params=_params(query),
                    headers=headers,
                    timeout=httpx.Timeout(self.timeout, read=max(self.timeout, 60.0)),
                ) as response:
                    if not response.is_success:
                        await response.aread()
                        error = self._error(response)
                        if error.status is not None and error.status < 500:
                            raise error
                    else:
                        parser = _SseParser()
                        async for line in response.aiter_lines():
                            got = parser.feed(line)
                            if got is not None:
                                event, event_id = got
                                last = event_id or event.get("cursor") or last
                                yield event
            except httpx.TransportError:
                pass  # a dropped stream: reconnect after the last event seen
            await self._sleep(1.0)


class _SseParser:
    """Server-Sent Events, line by line: an event ends at a blank line; `data:` lines join; comments skipped."""

    def __init__(self) -> None:
        self.data: List[str] = []
        self.id: Optional[str] = None

    def feed(self, line: str) -> Optional[Tuple[Dict[str, Any], Optional[str]]]:
        line = line.rstrip("\r\n")
        if line == "":
            if not self.data:
                return None
            text, event_id = "\n".join(self.data), self.id
            self.data, self.id = [], None
            return json.loads(text), event_id
        if line.startswith(":"):
            return None
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "data":
            self.data.append(value)
        elif field == "id":
            self.id = value
        return None


def _sse_events(lines: Iterator[str]) -> Iterator[Tuple[Dict[str, Any], Optional[str]]]:
    parser = _SseParser()
    for line in lines:
        got = parser.feed(line)
        if got is not None:
            yield got


__all__ = ["NOT_GIVEN", "NotGiven", "SyncTransport", "AsyncTransport", "DEFAULT_BASE_URL"]
