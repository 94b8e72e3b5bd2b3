import type { AddressInfo } from "node:net";
import dns2 from "dns2";

export interface Zone {
  [name: string]: { MX?: { exchange: string; priority: number }[]; A?: string[]; TXT?: string[] };
}

/** A real DNS server on loopback UDP answering from a fixture zone; unknown names get NXDOMAIN. */
export async function startDnsServer(zone: Zone): Promise<{ address: string; close(): Promise<void> }> {
  const { Packet } = dns2;
  const server = dns2.createServer({
    udp: true,
    handle(request: any, send: (r: any) => void) {
      const response = Packet.createResponseFromRequest(request);
      const answers = response.answers as any[];
      response.header.aa = 1;
      for (const q of request.questions) {
        const name = String(q.name).toLowerCase().replace(/\.$/, "");
        const entry = zone[name];
        if (!entry) {
          response.header.rcode = Packet.RCODE.NXDOMAIN;
          continue;
        }
        if (q.type === Packet.TYPE.MX) {
          for (const mx of entry.MX ?? []) {
            answers.push({
              name: q.name,
              type: Packet.TYPE.MX,
              class: Packet.CLASS.IN,
              ttl: 60,
              exchange: mx.exchange,
              priority: mx.priority,
            });
          }
        }
        if (q.type === Packet.TYPE.A) {
          for (const address of entry.A ?? []) {
            answers.push({ name: q.name, type: Packet.TYPE.A, class: Packet.CLASS.IN, ttl: 60, address });
          }
        }
        if (q.type === Packet.TYPE.TXT) {
          for (const data of entry.TXT ?? []) {
            // A TXT record is a list of strings of at most 255 octets each (long DKIM keys are split).
            const parts = data.match(/[\s\S]{1,255}/g) ?? [""];
            answers.push({
              name: q.name,
              type: Packet.TYPE.TXT,
              class: Packet.CLASS.IN,
              ttl: 60,
              data: parts,
            });
          }
        }
      }
      send(response);
    },
  });
  const addrs = (await server.listen({ udp: { port: 0, address: "127.0.0.1" } })) as { udp: AddressInfo };
  return { address: `127.0.0.1:${addrs.udp.port}`, close: () => server.close() };
}

/** A UDP port that takes DNS queries and never answers: every lookup runs into the resolver's timeout. */
export async function startSilentDns(): Promise<{ address: string; close(): Promise<void> }> {
  const { createSocket } = await import("node:dgram");
  const socket = createSocket("udp4");
  socket.on("message", () => {});
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
