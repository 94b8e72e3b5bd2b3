"""The README's Python examples, and a stand-in for the person answering the quick start's mail."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import List, Optional, Tuple

from postbox import NotFoundError, Postbox

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks(text: Optional[str] = None) -> List[Tuple[str, Optional[str], int]]:
    """(code, the route it requires or None, line number) of every ```python block, in order."""
    text = README.read_text() if text is None else text
    blocks = []
    for m in re.finditer(r"(<!-- requires: ([^>]+?) -->\n)?```python\n(.*?)```", text, re.S):
        blocks.append((m.group(3), m.group(2), text[: m.start()].count("\n") + 1))
    return blocks


def forget_mailboxes(pb: Postbox, live, *names: str) -> None:  # type: ignore[no-untyped-def]
    """Deletes the README's mailboxes so its examples can create them again (the account keeps the names), and
    waits until SMTP refuses their addresses: the server remembers a found address for a moment, and mail in that
    moment would still go to the deleted mailbox rather than to the one the next example creates."""
    from conftest import wait_until

    for name in names:
        try:
            address = pb.mailboxes.delete(name)["address"]
        except NotFoundError:
            continue
        wait_until(lambda: live.refuses(address), f"{address} to be refused")


def answer_when_created(pb: Postbox, deliver, name: str = "support") -> threading.Thread:  # type: ignore[no-untyped-def]
    """Once mailbox `name` has sent its first message, answers it over SMTP (In-Reply-To, References), as the
    person the quick start writes to would."""
    from conftest import wait_until

    def run() -> None:
        def first_sent() -> object:
            # Through the threads: a list of messages shows sent mail only once it has settled.
            try:
                threads = pb.threads.list(name).data
            except NotFoundError:
                return None
            return pb.threads.get(threads[-1]["id"])["messages"][0] if threads else None

        original = wait_until(first_sent, f"a send from {name}", limit=300)
        address = pb.mailboxes.get(name)["address"]
        mid = original["internet_message_id"]  # type: ignore[index]
        deliver(
            address,
            "Re: " + original["subject"],  # type: ignore[index]
            "Thanks, got it.",
            sender="user@example.com",
            headers={"In-Reply-To": mid, "References": mid},
        )

    def guarded() -> None:
        try:
            run()
        except BaseException as exc:  # reported by the test through thread.error
            thread.error = exc  # type: ignore[attr-defined]

    thread = threading.Thread(target=guarded, daemon=True)
    thread.error = None  # type: ignore[attr-defined]
    thread.start()
    return thread
