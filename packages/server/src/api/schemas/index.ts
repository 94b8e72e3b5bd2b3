// Every response schema module, imported once so each named component is registered before the server starts.
export * from "./accounts.ts";
export * from "./attachments.ts";
export * from "./common.ts";
export * from "./dashboard.ts";
export * from "./domains.ts";
export * from "./drafts-threads.ts";
export * from "./errors.ts";
export * from "./governance.ts";
export * from "./legal-holds.ts";
export * from "./mailboxes.ts";
export * from "./messages.ts";
export * from "./policy.ts";
export * from "./recipients.ts";
export * from "./service.ts";
export * from "./webhooks-events.ts";
