import { automatedReason } from "../../domain/auto-submitted.ts";
import type { ParsedFields } from "../../store/messages.ts";
import { storeAttachments } from "../attachments.ts";
import { parseMessage } from "../parse.ts";
import type { PipelineDeps, Preparing } from "./types.ts";

/**
 * From the spool into the blob store first (fsynced); the spool copy is dropped only when the lane commits.
 * Large messages were written to the blob store on acceptance.
 */
export async function storeRaw(deps: Pick<PipelineDeps, "blobs" | "logger">, m: Preparing) {
  try {
    if (m.spooled) await deps.blobs.put(m.spooled);
    m.raw = m.spooled ?? (await deps.blobs.get(m.p.raw_sha256));
  } catch (err) {
    // Storage trouble is never a reason to give up on a message.
    deps.logger.error("could not move inbound message to the blob store; will retry", {
      message_id: m.p.id,
      err: String(err),
    });
    return "later" as const;
  }
}

/** SPF, DKIM, DMARC and ARC, unless the SMTP session already checked them. */
export async function authenticateSender(deps: Pick<PipelineDeps, "authenticate">, m: Preparing) {
  m.auth = m.p.sender_auth ?? (await deps.authenticate(m.raw!, m.p.envelope));
  return undefined;
}

/** The MIME structure (reused when the SMTP session of this process parsed it already). */
export async function parse(deps: Pick<PipelineDeps, "parsed" | "logger" | "maxAttempts">, m: Preparing) {
  const { p } = m;
  try {
    m.parsed = deps.parsed?.get(p.raw_sha256) ?? (await parseMessage(m.raw!));
  } catch (err) {
    if (p.process_attempts < deps.maxAttempts) throw err;
    // Unparsable mail still reaches the agent, scored on its bytes as text; its raw bytes are never lost.
    const message = err instanceof Error ? err.message : String(err);
    deps.logger.error("inbound message could not be parsed; made available raw", {
      message_id: p.id,
      err: message,
    });
    m.parsed = null;
    m.fields = emptyFields(`could not parse message: ${message}`);
    return undefined;
  }
  const msg = m.parsed;
  m.fields = {
    internetMessageId: msg.messageId,
    sender: msg.from?.address ?? null,
    senderName: msg.from?.name || null,
    to: msg.to.map((a) => a.address),
    cc: msg.cc.map((a) => a.address),
    replyTo: msg.replyTo.map((a) => a.address),
    subject: msg.subject,
    sentAt: msg.date,
    inReplyTo: msg.inReplyTo,
    references: msg.references,
    text: msg.text,
    html: msg.html,
    // Described by the next step, once their bytes are stored.
    attachments: [],
    parseError: null,
    autoSubmitted: automatedReason({
      header: (name) => msg.automationHeaders[name] ?? null,
      envelopeFrom: p.envelope.mail_from,
      from: msg.from?.address ?? null,
      local: p.envelope.transport === "local",
    }),
  };
  return undefined;
}

/** Each attachment's bytes into the blob store, and its description (type, policy action, preview) onto the message. */
export async function storeAttachmentBlobs(
  deps: Pick<PipelineDeps, "blobs" | "logger" | "clock">,
  m: Preparing,
) {
  if (!m.parsed || m.parsed.attachments.length === 0) return undefined;
  try {
    m.fields!.attachments = await storeAttachments(deps.blobs, m.parsed.attachments, deps.clock.now());
  } catch (err) {
    deps.logger.error("could not store an inbound attachment; will retry", {
      message_id: m.p.id,
      err: String(err),
    });
    return "later" as const;
  }
  return undefined;
}

/** The prompt-injection score (the injection guard compares it with the mailbox's threshold). */
export async function scoreInjection(deps: Pick<PipelineDeps, "scoreInjection">, m: Preparing) {
  const msg = m.parsed;
  m.injection = msg
    ? // With both parts, the HTML is scored too: text hidden in it (display:none…) is not in the plain part.
      // Laid out as the training corpus writes an email ("Subject: …", blank line, body), so the model sees
      // what it learned from.
      await deps.scoreInjection(
        msg.subject ? `Subject: ${msg.subject}\n\n${msg.text ?? ""}` : (msg.text ?? ""),
        msg.html ?? undefined,
      )
    : await deps.scoreInjection(m.raw!.toString("latin1"));
  return undefined;
}

function emptyFields(parseError: string): ParsedFields {
  return {
    internetMessageId: null,
    sender: null,
    senderName: null,
    to: [],
    cc: [],
    replyTo: [],
    subject: null,
    sentAt: null,
    inReplyTo: null,
    references: [],
    text: null,
    html: null,
    attachments: [],
    parseError,
  };
}
