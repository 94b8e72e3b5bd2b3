import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from "smtp-server";
import { clientNetwork } from "../domain/client-address.ts";
import { isStorageFull } from "../domain/storage-full.ts";
import { parseVerp } from "../domain/verp.ts";
import type { Config } from "../platform/config.ts";
import type { Logger } from "../platform/logger.ts";
import type { Db } from "../store/db.ts";
import type { MailboxRow } from "../store/mailboxes.ts";
import { mailboxesWithPolicy } from "../store/policies.ts";
import type { Accept } from "./accept.ts";
import type { BounceHandler } from "./bounces.ts";
import { headerBlockLength } from "./parse.ts";
import { cachedRecipientResolver } from "./recipients.ts";
import type { SessionPolicy } from "./session-policy.ts";
import { replyText, type SmtpReply, smtpReplies } from "./smtp/replies.ts";

const MAX_RECIPIENTS = 100;

/** An SMTP reply for an error: smtp-server prints `${responseCode} ${message}`. */
function smtpError(reply: SmtpReply): Error {
  return Object.assign(new Error(replyText(reply)), { responseCode: reply.code });
}

/** A failed commit: 452 4.3.1 when storage is full (RFC 3463), else `otherwise`. */
function storageFailure(err: unknown, otherwise: SmtpReply): Error {
  return smtpError(isStorageFull(err) ? smtpReplies.storage_full : otherwise);
}

export interface SmtpListener {
  port: number;
  close(): Promise<void>;
}

/**
 * Which mailboxes have a policy, remembered for a second: a flood costs one lookup per interval. A policy set
 * within that second is still applied — after acceptance, by the pipeline — only not before the reply.
 */
function cachedPolicyPresence(db: Db, cacheMs = 1000) {
  const known = new Map<string, { has: boolean; until: number }>();
  return async (mailboxIds: string[]): Promise<boolean> => {
    const now = Date.now();
    const unknown = mailboxIds.filter((id) => (known.get(id)?.until ?? 0) <= now);
    if (unknown.length > 0) {
      const found = await mailboxesWithPolicy(db, unknown);
      if (known.size > 10_000) known.clear();
      for (const id of unknown) known.set(id, { has: found.has(id), until: now + cacheMs });
    }
    return mailboxIds.some((id) => known.get(id)?.has);
  };
}

/**
 * The MX role. Recipients are checked at RCPT; the message is committed (rows + raw bytes) before any reply;
 * for mailboxes with a MailPolicy, authentication and the policy run before the final reply (within a budget);
 * everything else runs afterwards from the stored row.
 */
export async function startSmtpListener(deps: {
  config: Config;
  db: Db;
  accept: Accept;
  sessionPolicy: SessionPolicy;
  logger: Logger;
  /** Reports arriving at VERP return paths (bounces+<delivery>@domain). */
  bounces?: BounceHandler;
}): Promise<SmtpListener> {
  const { config, db, logger } = deps;
  const hasPolicy = cachedPolicyPresence(db);
  // Processors stay away from held copies this long; past it an unfinished session's mail is theirs.
  const holdSeconds = Math.ceil(config.smtpPolicyTimeoutMs / 1000) + 2;
  // Recipients resolved at RCPT, kept per transaction (smtp-server makes a new envelope object per MAIL).
  const resolved = new WeakMap<object, Map<string, MailboxRow>>();
  // VERP return paths named at RCPT (address → delivery id), per transaction.
  const bounceRcpts = new WeakMap<object, Map<string, string>>();
  // RCPT commands answered 250 per transaction, repeats included: a repeated address still costs a command.
  const rcptCount = new WeakMap<object, number>();
  // Open sessions (session id → client network) and their count per network, for the connection caps.
  const sessions = new Map<string, string>();
  const perNetwork = new Map<string, number>();
  let closing = false;
  const resolveRecipient = cachedRecipientResolver(db, config.domain);
  const tls = config.tlsCertFile
    ? { cert: readFileSync(config.tlsCertFile), key: readFileSync(config.tlsKeyFile!) }
    : null;

  const server = new SMTPServer({
    name: config.domain,
    banner: "Postbox ESMTP",
    size: config.maxMessageBytes,
    authOptional: true,
    disabledCommands: tls ? ["AUTH"] : ["AUTH", "STARTTLS"],
    ...(tls ?? {}),
    disableReverseLookup: true,
    logger: false,
    // Idle while we wait for the client; a client waiting for our reply is never cut by it.
    socketTimeout: config.smtpIdleTimeoutMs,
    // At shutdown, messages being received get this long to finish before their connections are cut.
    closeTimeout: config.shutdownGraceMs,
    onConnect(session: SMTPServerSession, callback: (err?: Error | null) => void) {
      if (closing) return callback(smtpError(smtpReplies.shutting_down));
      const network = clientNetwork(session.remoteAddress ?? "");
      const fromNetwork = perNetwork.get(network) ?? 0;
      if (sessions.size >= config.smtpMaxConnections)
        return callback(smtpError(smtpReplies.too_many_connections));
      if (fromNetwork >= config.smtpMaxConnectionsPerIp)
        return callback(smtpError(smtpReplies.too_many_connections_from_network));
      sessions.set(session.id, network);
      perNetwork.set(network, fromNetwork + 1);
      callback();
    },
    onClose(session: SMTPServerSession) {
      const network = sessions.get(session.id);
      if (network === undefined) return;
      sessions.delete(session.id);
      const left = (perNetwork.get(network) ?? 1) - 1;
      if (left > 0) perNetwork.set(network, left);
      else perNetwork.delete(network);
    },
    onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, callback: (err?: Error | null) => void) {
      const envelope = session.envelope as object;
      const map = resolved.get(envelope) ?? new Map<string, MailboxRow>();
      resolved.set(envelope, map);
      const count = rcptCount.get(envelope) ?? 0;
      if (count >= MAX_RECIPIENTS) return callback(smtpError(smtpReplies.too_many_recipients));
      const accepted = () => {
        rcptCount.set(envelope, (rcptCount.get(envelope) ?? 0) + 1);
        callback();
      };
      const deliveryId = deps.bounces ? parseVerp(address.address, config.domain) : null;
      if (deliveryId) {
        const bounces = bounceRcpts.get(envelope) ?? new Map<string, string>();
        bounceRcpts.set(envelope, bounces);
        deps
          .bounces!.deliveryById(deliveryId)
          .then((d) => {
            if (!d) return callback(smtpError(smtpReplies.unknown_return_path(address.address)));
            bounces.set(address.address, deliveryId);
            accepted();
          })
          .catch((err) => {
            logger.error("return path lookup failed", { err: String(err) });
            callback(smtpError(smtpReplies.lookup_failed));
          });
        return;
      }
      resolveRecipient(address.address)
        .then((v) => {
          if (v.ok) {
            map.set(address.address, v.mailbox);
            return accepted();
          }
          if (v.reason === "foreign_domain") return callback(smtpError(smtpReplies.relaying_denied));
          if (v.reason === "malformed") return callback(smtpError(smtpReplies.malformed_recipient));
          return callback(smtpError(smtpReplies.unknown_mailbox(address.address)));
        })
        .catch((err) => {
          logger.error("recipient lookup failed", { err: String(err) });
          callback(smtpError(smtpReplies.lookup_failed));
        });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on("data", (chunk: Buffer) => {
        // Past the limit we keep draining the stream but stop buffering.
        if (!stream.sizeExceeded) {
          chunks.push(chunk);
          size += chunk.length;
        }
      });
      stream.on("error", (err) => callback(smtpError(smtpReplies.data_stream_failed(err.message))));
      stream.on("end", () => {
        if (stream.sizeExceeded || size > config.maxMessageBytes) {
          return callback(smtpError(smtpReplies.message_too_big));
        }
        const raw = Buffer.concat(chunks, size);
        if (headerBlockLength(raw, config.maxHeaderBytes) === null) {
          return callback(smtpError(smtpReplies.header_too_big(config.maxHeaderBytes)));
        }
        const map = resolved.get(session.envelope as object) ?? new Map();
        const recipients = session.envelope.rcptTo
          .map((r) => ({ address: r.address, mailbox: map.get(r.address) }))
          .filter((r): r is { address: string; mailbox: MailboxRow } => Boolean(r.mailbox));
        const envelope = {
          transport: "smtp" as const,
          client_ip: session.remoteAddress ?? null,
          helo: session.hostNameAppearsAs ?? null,
          mail_from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
          rcpt_to: session.envelope.rcptTo.map((r) => r.address),
          tls: session.secure,
        };
        const accountOf = new Map(recipients.map((r) => [r.mailbox.id, r.mailbox.account_id]));
        const returnPaths = [...(bounceRcpts.get(session.envelope as object)?.values() ?? [])];
        (async () => {
          // Bounce reports are handled (and committed) before the reply, like any accepted message.
          try {
            for (const deliveryId of returnPaths) await deps.bounces!.handleDsn(raw, deliveryId);
          } catch (err) {
            logger.error("could not record bounce report", { err: String(err) });
            return callback(storageFailure(err, smtpReplies.bounce_not_recorded));
          }
          if (recipients.length === 0) return callback(null, replyText(smtpReplies.bounce_report_recorded));
          const decideNow = await hasPolicy([...accountOf.keys()]).catch(() => false);
          let copies: Awaited<ReturnType<Accept>>;
          try {
            copies = await deps.accept(raw, envelope, recipients, decideNow ? { holdSeconds } : undefined);
          } catch (err) {
            logger.error("could not commit inbound message", { err: String(err) });
            return callback(storageFailure(err, smtpReplies.not_stored));
          }
          const ok = replyText(smtpReplies.queued(copies.map((c) => c.messageId)));
          if (!decideNow) return callback(null, ok);
          const reply = await deps.sessionPolicy(
            raw,
            envelope,
            copies.map((c) => ({ ...c, accountId: accountOf.get(c.mailboxId)! })),
          );
          if (reply.kind === "reject")
            return callback(smtpError(smtpReplies.refused_by_policy(reply.reason)));
          callback(null, ok);
        })();
      });
    },
  });
  server.on("error", (err) => logger.warn("smtp connection error", { err: err.message }));

  await new Promise<void>((resolve, reject) => {
    server.server.once("error", reject);
    server.listen(config.smtpPort, config.host, () => {
      server.server.off("error", reject);
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    /**
     * Stops listening and says goodbye (421) to every session not in the middle of receiving a message; those
     * finish (their reply included) within the shutdown grace, then they are cut too.
     */
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        server.close(() => resolve());
        for (const connection of server.connections)
          if (!connection._dataStream)
            connection.send(smtpReplies.shutting_down.code, replyText(smtpReplies.shutting_down));
      }),
  };
}
