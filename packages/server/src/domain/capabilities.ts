/**
 * What this server supports, as `GET /v1/health` lists it: clients probe it before they use a feature an older or
 * differently configured server may not have (the seed's CLI checks `messages.has_attachment_filter` before it
 * sends `has_attachment`). Features every Postbox has are always listed; the others follow the configuration.
 */
export function capabilitiesOf(c: {
  roles: ReadonlySet<string>;
  dkimSigning: boolean;
  smtpRelay: boolean;
  providerBounces: boolean;
  injectionClassifier: boolean;
}): string[] {
  const caps = [
    "messages.has_attachment_filter",
    "messages.search",
    "messages.search_operators",
    "messages.starred_filter",
    "messages.firewall_release",
    "messages.view",
    "messages.star",
    "messages.delete",
    "messages.raw",
    "messages.idempotency_probe",
    "send.strict_outcome",
    "send.thread_id",
    "wait",
    "wait.filters",
    "messages.verification",
    "events.stream",
    "threads",
    "threads.filters",
    "drafts",
    "drafts.thread_id",
    "drafts.respond_async",
    "drafts.scheduled",
    "review",
    "quarantine",
    "webhooks",
    "webhooks.replylayer_signature",
    "suppressions",
    "allowlist",
    "sender_policy",
    "inbound_allowlist",
    "inbound_blocklist",
    "mail_policy",
    "policy.read_model",
    "policy.preview",
    "account.policy",
    "mailbox.pause",
    "mailbox.send_window",
    "mailbox.language_mode",
    "mailbox.subaddress",
    "attachments.metadata",
    "pii_redaction",
    "prompt_injection_scan",
    "simulator",
    "ingest",
    "bridge",
  ];
  if (c.roles.has("smtp")) caps.push("smtp");
  if (c.dkimSigning) caps.push("dkim");
  if (c.smtpRelay) caps.push("smtp_relay");
  if (c.providerBounces) caps.push("provider_bounces");
  if (c.injectionClassifier) caps.push("injection_classifier");
  return caps;
}
