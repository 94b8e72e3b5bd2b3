#!/usr/bin/env python3
"""Writes postbox/resources.py, the blocking client, from postbox/resources_async.py: the same resources with
`async`/`await` taken out. `--check` fails when the file is stale (tests/test_packaging.py runs it)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "postbox"
SOURCE = PKG / "resources_async.py"
TARGET = PKG / "resources.py"

HEADER = '''"""The blocking client and its resources. Generated from postbox/resources_async.py by scripts/unasync.py: do
not edit by hand."""
'''

RULES = [
    (r"\basync def\b", "def"),
    (r"\bawait ", ""),
    (r"\bAsyncIterator\b", "Iterator"),
    (r"\bAwaitablePage\b", "Page"),
    (r"\bAsyncTransport\b", "SyncTransport"),
    (r"\bhttpx\.AsyncClient\b", "httpx.Client"),
    (r"\b__aenter__\b", "__enter__"),
    (r"\bAsync([A-Z]\w*)", r"\1"),
    (r"^    Awaitable,\n", ""),
    (r"^    TypeVar,\n", ""),
]


def convert(text: str) -> str:
    text = re.sub(r"\A\"\"\".*?\"\"\"\n", HEADER, text, count=1, flags=re.S)
    text = re.sub(r"# unasync: async-only-start\n.*?# unasync: async-only-end\n", "", text, flags=re.S)
    for pattern, repl in RULES:
        text = re.sub(pattern, repl, text, flags=re.M)
    return text


def main() -> int:
    text = convert(SOURCE.read_text())
    if "--check" in sys.argv:
        if not TARGET.exists() or TARGET.read_text() != text:
            print(f"{TARGET} is stale: run python3 scripts/unasync.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
