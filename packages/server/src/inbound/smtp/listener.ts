import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import type { SMTPServerAddress, SMTPServerSession } from "smtp-server";
import { replyText, type SmtpReply, smtpReplies } from "../../domain/smtp-replies.ts";
import type { BounceHandler } from "../../outbound/feedback/bounces.ts";
import type { Config } from "../../platform/config.ts";
import type { Logger } from "../../platform/logger.ts";
import type { Db } from "../../store/db.ts";
import type { Accept } from "../accept.ts";
import { cachedRecipientResolver, receivingDomain } from "../recipients.ts";
import type { SessionPolicy } from "./in-session-policy.ts";
import { cachedPolicyPresence } from "./policy-presence.ts";
import { PostboxSmtpServer, type SmtpObserver } from "./postbox-smtp-server.ts";
import {
  createConnectionGate,
  type DataDeps,
  endOfData,
  newTransaction,
  type RcptDeps,
  rcptTo,
  type Transaction,
} from "./session.ts";

/** An SMTP reply for an error: smtp-server prints `${responseCode} ${message}`. */
function smtpError(reply: SmtpReply): Error {
  return Object.assign(new Error(replyText(reply)), { responseCode: reply.code });
}

export interface SmtpListener {
  port: number;
  close(): Promise<void>;
}

/**
 * The MX role: smtp-server's callbacks translated into the session's decisions (session.ts) and their replies.
 * Recipients are checked at RCPT; the message is committed (rows + raw bytes) before any reply; for mailboxes
 * with a MailPolicy, authentication and the policy run before the final reply (within a budget); everything
 * else runs afterwards from the stored row.
 */
export async function startSmtpListener(deps: {
  config: Config;
  db: Db;
  accept: Accept;
  sessionPolicy: SessionPolicy;
  logger: Logger;
  /** Reports arriving at VERP return paths (bounces+<delivery>@domain). */
  bounces?: BounceHandler;
  /** Connections and replies, for the metrics. */
  observer?: SmtpObserver;
}): Promise<SmtpListener> {
  const { config, db, logger } = deps;
  const gate = createConnectionGate({
    maxConnections: config.smtpMaxConnections,
    maxPerNetwork: config.smtpMaxConnectionsPerIp,
  });
  const rcptDeps: RcptDeps = {
    domain: config.domain,
    isOurDomain: async (domain) => (await receivingDomain(db, config.domain, domain)) !== null,
    resolveRecipient: cachedRecipientResolver(db, config.domain),
    deliveryById: deps.bounces?.deliveryById,
    logger,
  };
  const dataDeps: DataDeps = {
    maxMessageBytes: config.maxMessageBytes,
    maxHeaderBytes: config.maxHeaderBytes,
    accept: deps.accept,
    handleDsn: deps.bounces?.handleDsn,
    hasPolicy: cachedPolicyPresence(db),
    sessionPolicy: deps.sessionPolicy,
    // Processors stay away from held copies this long; past it an unfinished session's mail is theirs.
    holdSeconds: Math.ceil(config.smtpPolicyTimeoutMs / 1000) + 2,
    logger,
  };
  // Per transaction: smtp-server makes a new envelope object per MAIL.
  const transactions = new WeakMap<object, Transaction>();
  const transactionOf = (session: SMTPServerSession): Transaction => {
    const envelope = session.envelope as object;
    let tx = transactions.get(envelope);
    if (!tx) {
      tx = newTransaction();
      transactions.set(envelope, tx);
    }
    return tx;
  };
  const tls = config.tlsCertFile
    ? { cert: readFileSync(config.tlsCertFile), key: readFileSync(config.tlsKeyFile!) }
    : null;

  const server = new PostboxSmtpServer({
    // No fixed wait before the greeting unless the operator asks for an early-talker check (decision 0027).
    greetingDelayMs: config.smtpGreetingDelayMs,
    observer: deps.observer,
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
      const refusal = gate.admit(session.id, session.remoteAddress ?? "");
      callback(refusal ? smtpError(refusal) : undefined);
    },
    onClose(session: SMTPServerSession) {
      gate.release(session.id);
    },
    onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, callback: (err?: Error | null) => void) {
      void rcptTo(rcptDeps, transactionOf(session), address.address).then((reply) =>
        reply.code >= 400 ? callback(smtpError(reply)) : callback(),
      );
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
        if (stream.sizeExceeded) return callback(smtpError(smtpReplies.message_too_big));
        const envelope = {
          transport: "smtp" as const,
          client_ip: session.remoteAddress ?? null,
          helo: session.hostNameAppearsAs ?? null,
          mail_from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
          rcpt_to: session.envelope.rcptTo.map((r) => r.address),
          tls: session.secure,
        };
        void endOfData(dataDeps, transactionOf(session), Buffer.concat(chunks, size), envelope).then(
          (reply) => (reply.code >= 400 ? callback(smtpError(reply)) : callback(null, replyText(reply))),
        );
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
        gate.shutDown();
        server.close(() => resolve());
        const bye = smtpReplies.shutting_down;
        for (const connection of server.connections)
          if (!connection._dataStream) connection.send(bye.code, replyText(bye));
      }),
  };
}
