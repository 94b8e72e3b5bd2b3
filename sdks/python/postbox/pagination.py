"""One page of a list, as every list method returns it (without auto_paginate)."""

from __future__ import annotations

from typing import Any, Dict, Generic, Iterator, List, Optional, TypeVar

T = TypeVar("T")


class Page(Generic[T]):
    """The items of one page, whether another follows, and the cursor to it.

    On the wire a list carries its items under the resource's own key (`{"messages": [...], "has_more": …,
    "next_cursor": …}`); `response` keeps that whole body for what else it carries (an allowlist's `mode`).
    """

    __slots__ = ("data", "has_more", "cursor", "response")

    def __init__(self, data: List[T], has_more: bool, cursor: Optional[str], response: Dict[str, Any]) -> None:
        self.data = data
        self.has_more = has_more
        self.cursor = cursor
        self.response = response

    def __iter__(self) -> Iterator[T]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        return f"Page(data=<{len(self.data)} items>, has_more={self.has_more!r}, cursor={self.cursor!r})"


def page_of(body: Dict[str, Any], key: str) -> Page[Any]:
    """A wire list body as a Page."""
    data = body.get(key)
    cursor = body.get("next_cursor")
    return Page(
        list(data) if isinstance(data, list) else [],
        bool(body.get("has_more", False)),
        cursor if isinstance(cursor, str) else None,
        body,
    )
