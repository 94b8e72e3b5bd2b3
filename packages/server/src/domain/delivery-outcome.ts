/** What a remote SMTP answer or failure means for a delivery. */
export type DeliveryOutcome = "delivered" | "deferred" | "bounced";

export interface RemoteResult {
  outcome: DeliveryOutcome;
  code: number | null;
  response: string;
}

/** Network failures (no SMTP reply at all) are always temporary; a reply code decides otherwise. */
export function classifyFailure(err: {
  responseCode?: number;
  response?: string;
  code?: string;
  message: string;
}): RemoteResult {
  const code = typeof err.responseCode === "number" ? err.responseCode : null;
  const response = (err.response || err.message || "unknown error").slice(0, 2000);
  if (code !== null && code >= 500 && code < 600) return { outcome: "bounced", code, response };
  if (err.code === "ENODOMAIN") return { outcome: "bounced", code, response };
  return { outcome: "deferred", code, response };
}
