import { generateKeyPairSync } from "node:crypto";
import { createSenderAuthenticator } from "../packages/server/src/inbound/authenticate.ts";
import { dkimSignMessage } from "../packages/server/src/outbound/dkim/sign.ts";
import { createDnsResolver } from "../packages/server/src/platform/dns.ts";
import { startDnsServer } from "../packages/server/test/dns-server.ts";
import { percentile } from "./service.ts";

/**
 * What full sender authentication (SPF, DKIM, DMARC, ARC with mailauth) costs per message: a DKIM-signed 10 KB
 * message from a domain with SPF and DMARC records, answered by a DNS server on loopback. "warm" reuses one
 * resolver (answers cached, the steady state for a busy sender); "cold" makes a new resolver per message, so
 * every lookup (DKIM key, SPF, DMARC) is a real UDP round trip.
 */
export async function benchAuth(samples = 2000) {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const dns = await startDnsServer({
    "s1._domainkey.bench.test": {
      TXT: [`v=DKIM1; k=rsa; p=${publicKey.export({ type: "spki", format: "der" }).toString("base64")}`],
    },
    "bench.test": { TXT: ["v=spf1 ip4:192.0.2.0/24 -all"] },
    "_dmarc.bench.test": { TXT: ["v=DMARC1; p=reject"] },
  });
  try {
    const body = "Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n".repeat(176);
    const raw = await dkimSignMessage(
      Buffer.from(
        `From: a@bench.test\r\nTo: b@test.local\r\nSubject: bench\r\nMessage-ID: <1@bench.test>\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\n\r\n${body}`,
      ),
      {
        domain: "bench.test",
        selector: "s1",
        privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      },
    );
    const envelope = {
      transport: "smtp" as const,
      client_ip: "192.0.2.7",
      helo: "mx.bench.test",
      mail_from: "a@bench.test",
      rcpt_to: ["b@test.local"],
    };
    for (const mode of ["warm", "cold"] as const) {
      const shared = createSenderAuthenticator({
        dns: createDnsResolver([dns.address]),
        hostname: "test.local",
        timeoutMs: 5000,
      });
      const times: number[] = [];
      for (let i = 0; i < samples + 100; i++) {
        const auth =
          mode === "warm"
            ? shared
            : createSenderAuthenticator({
                dns: createDnsResolver([dns.address]),
                hostname: "test.local",
                timeoutMs: 5000,
              });
        const t = process.hrtime.bigint();
        const a = await auth(raw, envelope);
        const ms = Number(process.hrtime.bigint() - t) / 1e6;
        if (a.verdict !== "verified_aligned") throw new Error(`unexpected verdict ${a.verdict}`);
        if (i >= 100) times.push(ms);
      }
      times.sort((a, b) => a - b);
      // Throughput with 50 messages in flight (DKIM's RSA verify is CPU; lookups overlap).
      const started = process.hrtime.bigint();
      let next = 0;
      await Promise.all(
        Array.from({ length: 50 }, async () => {
          while (next++ < samples) await shared(raw, envelope);
        }),
      );
      const rate = samples / (Number(process.hrtime.bigint() - started) / 1e9);
      console.log(
        `sender authentication (${mode} DNS), 10 KB DKIM-signed, SPF + DMARC records: median ${percentile(times, 50).toFixed(2)} ms, p99 ${percentile(times, 99).toFixed(2)} ms; ${mode === "warm" ? `${rate.toFixed(0)} msg/s with 50 in flight` : ""}`.trim(),
      );
    }
  } finally {
    await dns.close();
  }
}
