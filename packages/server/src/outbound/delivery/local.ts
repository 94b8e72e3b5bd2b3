import { replyLine, smtpReplies } from "../../domain/smtp-replies.ts";
import type { Accept } from "../../inbound/accept.ts";
import type { RecipientVerdict } from "../../inbound/recipients.ts";
import type { DeliveryResult } from "./transport.ts";

/**
 * Delivery between our own mailboxes: a recipient on our domain is accepted straight into its mailbox, without
 * a network hop. Null for any other domain: the transport takes those.
 */
export function createLocalDelivery(deps: {
  resolveRecipient: (address: string) => Promise<RecipientVerdict>;
  accept: Accept;
}) {
  return async (raw: Buffer, env: { from: string; to: string }): Promise<DeliveryResult | null> => {
    const v = await deps.resolveRecipient(env.to);
    if (!v.ok && v.reason === "foreign_domain") return null;
    // A paused mailbox takes mail again when resumed: retried along the schedule, like a remote 450.
    if (!v.ok && v.reason === "paused")
      return {
        outcome: "deferred",
        code: smtpReplies.local_mailbox_paused.code,
        response: replyLine(smtpReplies.local_mailbox_paused),
        remoteHost: "local",
      };
    if (!v.ok)
      return {
        outcome: "bounced",
        code: smtpReplies.no_local_mailbox.code,
        response: replyLine(smtpReplies.no_local_mailbox),
        remoteHost: "local",
      };
    // "local" is set only here: the mail was composed and stored by this installation, by a mailbox of it.
    const envelope = {
      transport: "local" as const,
      client_ip: null,
      helo: null,
      mail_from: env.from,
      rcpt_to: [env.to],
    };
    const [copy] = await deps.accept(raw, envelope, [{ mailbox: v.mailbox, address: env.to }]);
    const delivered = smtpReplies.delivered_locally(copy!.messageId);
    return {
      outcome: "delivered",
      code: delivered.code,
      response: replyLine(delivered),
      remoteHost: "local",
    };
  };
}
