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


def forget_mailboxes(pb: Postbox, *names: str) -> None:
    """Deletes the README's mailboxes so its examples can create them again (the account keeps the names)."""
    for name in names:
        try:
            pb.mailboxes.delete(name)
        except NotFoundError:
            pass


def answer_when_created(pb: Postbox, deliver, name: str = "support") -> threading.Thread:  # type: ignore[no-untyped-def]
    """Once mailbox `name` has sent its first message, answers it over SMTP (In-Reply-To, References), as the
    person the quick start writes to would."""
    from conftest import wait_until

    def run() -> None:
        def first_sent() -> object:
            try:
                sent = pb.messages.list(name, direction="outbound").data
            except NotFoundError:
                return None
            return sent[-1] if sent else None

        sent = wait_until(first_sent, f"a send from {name}", limit=300)
        original = pb.messages.get(sent["id"])  # type: ignore[index]
        address = pb.mailboxes.get(name)["address"]
        mid = original["internet_message_id"]
        deliver(
            address,
            "Re: " + original["subject"],
            "Thanks, got it.",
            sender="user@example.com",
            headers={"In-Reply-To": mid, "References": mid},
        )

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread
