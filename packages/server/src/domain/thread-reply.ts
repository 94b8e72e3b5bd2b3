import { AppError } from "./errors.ts";

/** An inbound message of a thread, as far as deciding a reply into the thread needs it. */
export interface ThreadInbound {
  sender: string | null;
  replyTo: string[];
  createdAt: Date;
}

/** Where a reply to one inbound message goes: its Reply-To, else its sender. */
const replyAddresses = (m: ThreadInbound) => (m.replyTo.length > 0 ? m.replyTo : m.sender ? [m.sender] : []);

/** Everyone who wrote into the thread, by the addresses a reply may use (sender and Reply-To), lower-cased. */
const writers = (m: ThreadInbound) =>
  [m.sender, ...m.replyTo].filter((a): a is string => Boolean(a)).map((a) => a.toLowerCase());

/**
 * A send into a thread (the seed's `thread_id` without a parent message): whom it goes to and which message it
 * answers. Recipients the caller names must each have written into the thread (RECIPIENT_NOT_IN_THREAD); none
 * named, it goes to the thread's one inbound counterpart (AMBIGUOUS_THREAD_RECIPIENT when there are several,
 * THREAD_HAS_NO_INBOUND_RECIPIENT when nobody wrote in). It answers the latest inbound message from its
 * recipients, so In-Reply-To and References continue that message's chain. `self` (the mailbox's own address)
 * is never a counterpart.
 */
export function threadReplyTarget<M extends ThreadInbound>(
  inbound: M[],
  requested: string[],
  self: string,
): { to: string[] | null; parent: M } {
  const own = self.toLowerCase();
  const theirs = inbound.filter((m) => writers(m).some((a) => a !== own));
  if (theirs.length === 0)
    throw new AppError(
      "unprocessable",
      "THREAD_HAS_NO_INBOUND_RECIPIENT",
      "nobody has written into this thread, so there is nobody to continue it with; start a new message with to",
    );
  const known = new Set(theirs.flatMap(writers));
  const participants = [...known].filter((a) => a !== own).sort();
  for (const r of requested)
    if (!known.has(r.toLowerCase()) || r.toLowerCase() === own)
      throw new AppError(
        "unprocessable",
        "RECIPIENT_NOT_IN_THREAD",
        `${r} has not written into this thread; a send into a thread goes only to someone who has`,
        { recipient: r, participants },
      );
  const latestFirst = [...theirs].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  if (requested.length > 0) {
    const wanted = new Set(requested.map((r) => r.toLowerCase()));
    const parent = latestFirst.find((m) => writers(m).some((a) => wanted.has(a)))!;
    return { to: null, parent };
  }
  const targets = [
    ...new Set(theirs.flatMap((m) => replyAddresses(m).map((a) => a.toLowerCase())).filter((a) => a !== own)),
  ];
  if (targets.length === 0)
    throw new AppError(
      "unprocessable",
      "THREAD_HAS_NO_INBOUND_RECIPIENT",
      "the thread's inbound mail names no address to reply to; name the recipient in to",
    );
  if (targets.length > 1)
    throw new AppError(
      "invalid",
      "AMBIGUOUS_THREAD_RECIPIENT",
      `${targets.length} people wrote into this thread; name the one to send to in to`,
      { participants: targets.sort() },
    );
  const target = targets[0]!;
  const parent = latestFirst.find((m) => replyAddresses(m).some((a) => a.toLowerCase() === target))!;
  return { to: [target], parent };
}
