/**
 * Reads what a bounce says: RFC 3464 delivery status notifications, RFC 5965 (ARF) complaint reports, and the
 * common non-standard bounces that only explain themselves in prose. Pure: the caller hands over the parts.
 */
export interface BounceRecipient {
  email: string | null;
  action: "failed" | "delayed" | "delivered" | "relayed" | "expanded" | null;
  /** RFC 3463 enhanced status, e.g. "5.1.1". */
  status: string | null;
  diagnostic: string | null;
}

export interface BounceReport {
  kind: "bounce" | "delay" | "complaint" | "delivered" | "unknown";
  /** The recipients the report is about (a VERP bounce is about its delivery's recipient whatever these say). */
  recipients: BounceRecipient[];
  /** A permanent failure of the address itself: worth suppressing. */
  hard: boolean;
  status: string | null;
  diagnostic: string | null;
}

/** RFC 822-style fields, with folded continuation lines joined; several groups separated by blank lines. */
function fieldGroups(text: string): Map<string, string>[] {
  const groups: Map<string, string>[] = [];
  for (const block of text.replace(/\r\n/g, "\n").split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last: string | null = null;
    for (const line of block.split("\n").slice(0, 200)) {
      if (/^[ \t]/.test(line) && last) {
        fields.set(last, `${fields.get(last)} ${line.trim()}`);
        continue;
      }
      const i = line.indexOf(":");
      if (i <= 0) continue;
      last = line.slice(0, i).trim().toLowerCase();
      fields.set(last, line.slice(i + 1).trim());
    }
    if (fields.size) groups.push(fields);
  }
  return groups;
}

/** "rfc822; ann@example.com" → "ann@example.com" */
function addressOf(value: string | undefined): string | null {
  if (!value) return null;
  const v = value.includes(";") ? value.slice(value.indexOf(";") + 1) : value;
  const m = /<?([^\s<>;]+@[^\s<>;]+)>?/.exec(v.trim());
  return m ? m[1]!.toLowerCase() : null;
}

const STATUS_RE = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/;
const ACTIONS = new Set(["failed", "delayed", "delivered", "relayed", "expanded"]);

// Phrases of non-standard bounces that mean the address does not exist (or no longer does).
const NO_SUCH_USER =
  /(user unknown|unknown user|no such (user|mailbox|recipient)|does not exist|doesn't exist|unknown recipient|invalid recipient|recipient rejected|mailbox unavailable|mailbox not found|address rejected|account (has been )?disabled|not a valid mailbox)/i;
const DELAYED = /(delayed|will (keep|continue) trying|retry|not yet been delivered)/i;

/** Whether a permanent failure is about the address (so it should not be mailed again) rather than this message. */
export function isHardFailure(status: string | null, diagnostic: string | null): boolean {
  if (!status) return diagnostic !== null && NO_SUCH_USER.test(diagnostic);
  if (!status.startsWith("5.")) return false;
  // 5.1.x: bad address; 5.2.1: mailbox disabled. Full mailboxes (5.2.2), size (5.3.4) and policy (5.7.x) are not.
  if (/^5\.1\.\d+$/.test(status) || status === "5.2.1") return true;
  if (status === "5.0.0") return diagnostic !== null && NO_SUCH_USER.test(diagnostic);
  return false;
}

export function readBounce(parts: {
  /** The message/delivery-status part, if any. */
  deliveryStatus: string | null;
  /** The message/feedback-report part (ARF), if any. */
  feedbackReport: string | null;
  /** The human-readable text. */
  text: string | null;
}): BounceReport {
  if (parts.feedbackReport) {
    const [f] = fieldGroups(parts.feedbackReport);
    const email = addressOf(f?.get("original-rcpt-to")) ?? addressOf(f?.get("removal-recipient"));
    const type = f?.get("feedback-type")?.toLowerCase() ?? "abuse";
    return {
      kind: "complaint",
      recipients: [{ email, action: null, status: null, diagnostic: `feedback-type: ${type}` }],
      hard: false,
      status: null,
      diagnostic: `feedback-type: ${type}`,
    };
  }
  if (parts.deliveryStatus) {
    const groups = fieldGroups(parts.deliveryStatus);
    // The first group is per-message; the rest are per-recipient (RFC 3464 §2.1). Tolerate reports that run them together.
    const perRecipient = groups.filter(
      (g) => g.has("final-recipient") || g.has("original-recipient") || g.has("action"),
    );
    const recipients: BounceRecipient[] = perRecipient.map((g) => {
      const action = g.get("action")?.toLowerCase().split(/\s/)[0] ?? null;
      return {
        email: addressOf(g.get("final-recipient")) ?? addressOf(g.get("original-recipient")),
        action: action && ACTIONS.has(action) ? (action as BounceRecipient["action"]) : null,
        status: STATUS_RE.exec(g.get("status") ?? "")?.[0] ?? null,
        diagnostic: g.get("diagnostic-code")?.replace(/^smtp;\s*/i, "") ?? null,
      };
    });
    const failed = recipients.find((r) => r.action === "failed" || r.status?.startsWith("5."));
    const delayed = recipients.find((r) => r.action === "delayed" || r.status?.startsWith("4."));
    const first = failed ?? delayed ?? recipients[0];
    const kind = failed
      ? "bounce"
      : delayed
        ? "delay"
        : recipients.some((r) => r.action === "delivered" || r.action === "relayed")
          ? "delivered"
          : "unknown";
    return {
      kind,
      recipients,
      hard: failed ? isHardFailure(failed.status, failed.diagnostic) : false,
      status: first?.status ?? null,
      diagnostic: first?.diagnostic ?? null,
    };
  }
  // Non-standard: read the prose for an SMTP reply and a status.
  const text = (parts.text ?? "").slice(0, 64 * 1024);
  const status = STATUS_RE.exec(text)?.[0] ?? null;
  const reply = /\b([45]\d\d)[ -]/.exec(text)?.[1] ?? null;
  const line = text
    .split("\n")
    .find((l) => STATUS_RE.test(l) || NO_SUCH_USER.test(l) || /\b[45]\d\d[ -]/.test(l));
  const diagnostic = line?.trim().slice(0, 500) ?? null;
  // Bounded repeats: a long run of letters without an "@" costs linear time, not quadratic.
  const emails = [
    ...new Set(
      [
        ...text.matchAll(/([a-z0-9._%+'-]{1,64}@[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){0,8}\.[a-z]{2,24})/gi),
      ].map((m) => m[1]!.toLowerCase()),
    ),
  ];
  const permanent = status?.startsWith("5.") || reply?.startsWith("5") || NO_SUCH_USER.test(text);
  const transient = !permanent && (status?.startsWith("4.") || reply?.startsWith("4") || DELAYED.test(text));
  return {
    kind: permanent ? "bounce" : transient ? "delay" : "unknown",
    recipients: emails.slice(0, 20).map((email) => ({ email, action: null, status, diagnostic })),
    hard: Boolean(permanent) && isHardFailure(status, text.slice(0, 4000)),
    status,
    diagnostic,
  };
}
