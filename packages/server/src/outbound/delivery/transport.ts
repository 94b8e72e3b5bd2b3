import { isIP } from "node:net";
import nodemailer, { type Transporter } from "nodemailer";
import { classifyFailure, type RemoteResult } from "../../domain/delivery-outcome.ts";
import { replyLine, smtpReplies } from "../../domain/smtp-replies.ts";
import type { RelayConfig } from "../../platform/config.ts";
import type { DnsResolver } from "../../platform/dns.ts";

export interface DeliveryResult extends RemoteResult {
  remoteHost: string | null;
}

/** Hands one message to the next hop for one recipient. */
export interface Transport {
  deliver(raw: Buffer, envelope: { from: string; to: string }): Promise<DeliveryResult>;
  close(): void;
}

type SmtpError = Error & { responseCode?: number; response?: string; code?: string };

const TIMEOUTS = { connectionTimeout: 30_000, greetingTimeout: 30_000, socketTimeout: 120_000 };

async function sendVia(
  transport: Transporter,
  host: string,
  raw: Buffer,
  envelope: { from: string; to: string },
): Promise<DeliveryResult> {
  try {
    const info = await transport.sendMail({ envelope: { from: envelope.from, to: [envelope.to] }, raw });
    const response = String(info.response ?? replyLine(smtpReplies.remote_accepted));
    const code = Number.parseInt(response.slice(0, 3), 10);
    return {
      outcome: "delivered",
      code: Number.isNaN(code) ? smtpReplies.remote_accepted.code : code,
      response,
      remoteHost: host,
    };
  } catch (err) {
    return { ...classifyFailure(err as SmtpError), remoteHost: host };
  }
}

/** Everything goes to one smarthost over a small connection pool. */
export function createRelayTransport(relay: RelayConfig, heloName: string): Transport {
  const t = nodemailer.createTransport({
    host: relay.host,
    port: relay.port,
    secure: relay.secure,
    name: heloName,
    pool: true,
    maxConnections: 5,
    auth: relay.user ? { user: relay.user, pass: relay.pass ?? "" } : undefined,
    ...TIMEOUTS,
  });
  return {
    deliver: (raw, envelope) => sendVia(t, `${relay.host}:${relay.port}`, raw, envelope),
    close: () => t.close(),
  };
}

/**
 * Direct delivery: the recipient domain's MX hosts in preference order, or its A record when it has no MX
 * (RFC 5321 §5.1). A connection failure moves on to the next host; an SMTP reply is final for this attempt.
 */
export function createMxTransport(dns: DnsResolver, heloName: string, port = 25): Transport {
  async function hostsFor(domain: string): Promise<string[] | DeliveryResult> {
    try {
      const mx = await dns.resolveMx(domain);
      if (mx.length === 1 && mx[0]!.exchange === "") {
        const nullMx = smtpReplies.null_mx(domain);
        return {
          outcome: "bounced",
          code: nullMx.code,
          response: replyLine(nullMx),
          remoteHost: null,
        };
      }
      return mx.sort((a, b) => a.priority - b.priority).map((m) => m.exchange);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === "ENOTFOUND") {
        return {
          outcome: "bounced",
          code: null,
          response: `domain ${domain} does not exist`,
          remoteHost: null,
        };
      }
      if (code === "ENODATA") return [domain];
      return {
        outcome: "deferred",
        code: null,
        response: `DNS lookup for ${domain} failed: ${code ?? err}`,
        remoteHost: null,
      };
    }
  }
  /** Addresses of an MX host, looked up through our resolver (never the system's). */
  async function addressesOf(host: string): Promise<string[]> {
    if (isIP(host)) return [host];
    try {
      return await dns.resolve4(host);
    } catch {
      return [];
    }
  }

  return {
    async deliver(raw, envelope) {
      const domain = envelope.to.slice(envelope.to.lastIndexOf("@") + 1).toLowerCase();
      const hosts = await hostsFor(domain);
      if (!Array.isArray(hosts)) return hosts;
      let last: DeliveryResult = {
        outcome: "deferred",
        code: null,
        response: `no address found for the MX hosts of ${domain}`,
        remoteHost: null,
      };
      for (const host of hosts) {
        for (const address of await addressesOf(host)) {
          const t = nodemailer.createTransport({
            host: address,
            port,
            secure: false,
            name: heloName,
            // Opportunistic STARTTLS: MX certificates are commonly self-signed or mismatched.
            tls: { rejectUnauthorized: false, servername: isIP(host) ? undefined : host },
            ...TIMEOUTS,
          });
          last = await sendVia(t, host, raw, envelope);
          t.close();
          // An SMTP reply is the remote's decision; only a failure to talk moves on to the next address.
          if (last.code !== null || last.outcome !== "deferred") return last;
        }
      }
      return last;
    },
    close() {},
  };
}
