"""The live server's outbound relay (POSTBOX_SMTP_RELAY): a plain SMTP server on loopback that accepts every
message and keeps it, so a test can read what Postbox mailed (a recipient's confirmation link)."""

from __future__ import annotations

import email
import socketserver
import threading
from email.message import Message
from typing import List


class SmtpSink:
    def __init__(self) -> None:
        self.messages: List[Message] = []
        sink = self

        class Session(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode("ascii") + b"\r\n")

            def handle(self) -> None:
                self.reply("220 sink ESMTP")
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    verb = line[:4].upper()
                    if verb in (b"EHLO", b"HELO"):
                        self.reply("250-sink\r\n250 8BITMIME")
                    elif verb == b"DATA":
                        self.reply("354 go on")
                        data = bytearray()
                        for chunk in iter(self.rfile.readline, b""):
                            if chunk == b".\r\n":
                                break
                            data += chunk[1:] if chunk.startswith(b"..") else chunk
                        sink.messages.append(email.message_from_bytes(bytes(data)))
                        self.reply("250 kept")
                    elif verb == b"QUIT":
                        self.reply("221 bye")
                        return
                    else:  # MAIL, RCPT, RSET, NOOP
                        self.reply("250 ok")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Session)
        self.server.daemon_threads = True
        self.url = f"smtp://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
