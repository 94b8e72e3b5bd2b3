import { connect, type Socket } from "node:net";

/** A bare SMTP client over one socket: send a line, read the reply, nothing more (for protocol-level tests). */
export interface SmtpLines {
  socket: Socket;
  /** The next whole reply (every line of a multi-line one), or null when the server closed first. */
  reply(): Promise<string | null>;
  /** Sends a command line and reads its reply. */
  command(line: string): Promise<string | null>;
  /** Sends raw bytes (message content) without reading anything. */
  write(data: string): void;
  /** Resolves when the server (or we) closed the connection. */
  closed: Promise<void>;
  close(): void;
}

export async function smtpConnect(port: number, localAddress = "127.0.0.1"): Promise<SmtpLines> {
  const socket = connect({ port, host: "127.0.0.1", localAddress });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.on("error", () => {});
  const replies: (string | null)[] = [];
  const waiting: ((r: string | null) => void)[] = [];
  let buffer = "";
  let lines: string[] = [];
  const deliver = (r: string | null) => {
    const w = waiting.shift();
    if (w) w(r);
    else replies.push(r);
  };
  socket.on("data", (d: Buffer) => {
    buffer += d.toString("latin1");
    for (let end = buffer.indexOf("\r\n"); end >= 0; end = buffer.indexOf("\r\n")) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      lines.push(line);
      // "250-..." continues a reply, "250 ..." (or a bare code) ends it.
      if (line.length <= 3 || line[3] === " ") {
        deliver(lines.join("\n"));
        lines = [];
      }
    }
  });
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  void closed.then(() => {
    for (;;) {
      const w = waiting.shift();
      if (!w) break;
      w(null);
    }
    replies.push(null);
  });
  const reply = () =>
    replies.length > 0
      ? Promise.resolve(replies.shift()!)
      : socket.destroyed
        ? Promise.resolve(null)
        : new Promise<string | null>((resolve) => waiting.push(resolve));
  return {
    socket,
    reply,
    command(line) {
      socket.write(`${line}\r\n`);
      return reply();
    },
    write: (data) => socket.write(data),
    closed,
    close: () => socket.destroy(),
  };
}
