"""A real DNS server on loopback UDP for the live server's resolver (POSTBOX_DNS_SERVERS): it answers MX and TXT
from records a test publishes. Names under a zone a test claimed get NXDOMAIN when absent; any other name gets
SERVFAIL, so lookups the tests do not stage fail as they would against no server at all."""

from __future__ import annotations

import socket
import struct
import threading
from typing import Dict, List, Set, Tuple

TYPES = {"MX": 15, "TXT": 16}
SERVFAIL, NXDOMAIN = 2, 3


def _name(labels: str) -> bytes:
    return b"".join(bytes([len(p)]) + p.encode("ascii") for p in labels.strip(".").split(".") if p) + b"\0"


def _txt(value: str) -> bytes:
    # A TXT record is a list of strings of at most 255 octets each (a DKIM key is longer).
    data = value.encode("utf-8")
    return b"".join(bytes([len(c)]) + c for c in (data[i : i + 255] for i in range(0, len(data), 255))) or b"\0"


class DnsAnswerer:
    def __init__(self) -> None:
        self.zones: Set[str] = set()
        self.records: Dict[Tuple[str, int], List[bytes]] = {}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def claim(self, zone: str) -> None:
        """Answers for names under `zone` from now on: what is not published there does not exist."""
        self.zones.add(zone.lower().strip("."))

    def publish(self, name: str, rtype: str, value: str, priority: int | None = None) -> None:
        """One record, as a `dns_records_json` entry has it (type MX or TXT)."""
        rdata = struct.pack("!H", priority or 0) + _name(value) if rtype == "MX" else _txt(value)
        self.records.setdefault((name.lower().strip("."), TYPES[rtype]), []).append(rdata)

    def _answer(self, query: bytes) -> bytes:
        (qid, flags) = struct.unpack("!HH", query[:4])
        i, labels = 12, []
        while query[i]:
            labels.append(query[i + 1 : i + 1 + query[i]].decode("ascii", "replace"))
            i += 1 + query[i]
        qtype, _ = struct.unpack("!HH", query[i + 1 : i + 5])
        question = query[12 : i + 5]
        name = ".".join(labels).lower()
        answers = self.records.get((name, qtype), [])
        known = any(n == name for n, _ in self.records)
        if any(name == z or name.endswith("." + z) for z in self.zones):
            rcode = 0 if answers or known else NXDOMAIN
        else:
            rcode = SERVFAIL
        header = struct.pack("!HHHHHH", qid, 0x8400 | (flags & 0x0100) | rcode, 1, len(answers), 0, 0)
        body = b"".join(struct.pack("!HHHIH", 0xC00C, qtype, 1, 60, len(r)) + r for r in answers)
        return header + question + body

    def _serve(self) -> None:
        while True:
            try:
                query, peer = self.sock.recvfrom(4096)
            except OSError:
                return  # closed
            try:
                self.sock.sendto(self._answer(query), peer)
            except Exception:
                pass  # a malformed query gets no answer, as from a real server that drops it

    def close(self) -> None:
        self.sock.close()
