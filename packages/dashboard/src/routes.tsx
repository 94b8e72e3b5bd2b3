import type { FunctionComponent } from "preact";
import { Audit } from "./pages/audit.tsx";
import { Domains } from "./pages/domains.tsx";
import { Events } from "./pages/events.tsx";
import { Keys } from "./pages/keys.tsx";
import { MailboxSettings } from "./pages/mailbox-settings.tsx";
import { Mailboxes } from "./pages/mailboxes.tsx";
import { MessagePage } from "./pages/message.tsx";
import { Messages } from "./pages/messages.tsx";
import { PolicyPage } from "./pages/policy.tsx";
import { Quarantine } from "./pages/quarantine.tsx";
import { Reviews } from "./pages/reviews.tsx";
import { Suppressions } from "./pages/suppressions.tsx";
import { ThreadPage, Threads } from "./pages/threads.tsx";
import { WebhookPage, Webhooks } from "./pages/webhooks.tsx";

// biome-ignore lint/suspicious/noExplicitAny: each page takes its own route parameters
type AnyPage = FunctionComponent<any>;

/** Every page and the hash path it answers; the first match wins. Pages get the path's parameters, `path` and the `session`. */
export const ROUTES: { pattern: string; page: AnyPage }[] = [
  { pattern: "/reviews", page: Reviews },
  { pattern: "/quarantine", page: Quarantine },
  { pattern: "/mailboxes", page: Mailboxes },
  { pattern: "/mailboxes/:id", page: Messages },
  { pattern: "/mailboxes/:id/threads", page: Threads },
  { pattern: "/mailboxes/:id/settings", page: MailboxSettings },
  { pattern: "/mailboxes/:id/policy", page: PolicyPage },
  { pattern: "/mailboxes/:id/audit", page: Audit },
  { pattern: "/messages/:id", page: MessagePage },
  { pattern: "/threads/:id", page: ThreadPage },
  { pattern: "/events", page: Events },
  { pattern: "/webhooks", page: Webhooks },
  { pattern: "/webhooks/:id", page: WebhookPage },
  { pattern: "/suppressions", page: Suppressions },
  { pattern: "/domains", page: Domains },
  { pattern: "/keys", page: Keys },
];

/** The side navigation, in the order a human approver needs it. */
export const NAV: { href: string; label: string }[] = [
  { href: "/reviews", label: "Review queue" },
  { href: "/quarantine", label: "Quarantine" },
  { href: "/mailboxes", label: "Mailboxes" },
  { href: "/events", label: "Events" },
  { href: "/webhooks", label: "Webhooks" },
  { href: "/suppressions", label: "Suppressions" },
  { href: "/domains", label: "Domains" },
  { href: "/keys", label: "API keys" },
];
