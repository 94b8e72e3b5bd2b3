import type { Command } from "../command.ts";
import { attachmentCommands } from "./attachments.ts";
import { domainCommands } from "./domains.ts";
import { draftCommands } from "./drafts.ts";
import { governanceCommands } from "./governance.ts";
import { keyCommands } from "./keys.ts";
import { legalHoldCommands } from "./legal-holds.ts";
import { localCommands } from "./local.ts";
import { mailboxCommands } from "./mailboxes.ts";
import { mcpCommand } from "./mcp.ts";
import { messageCommands } from "./messages.ts";
import { moderationCommands } from "./moderation.ts";
import { recipientCommands } from "./recipients.ts";
import { verifiedRecipientCommands } from "./verified-recipients.ts";
import { waitCommand } from "./wait.ts";
import { webhookCommands } from "./webhooks.ts";

/** Every command, in the order `postbox --help` lists them. */
export const COMMANDS: Command[] = [
  ...localCommands.slice(0, 1),
  ...mailboxCommands,
  ...domainCommands,
  ...messageCommands,
  waitCommand,
  ...attachmentCommands,
  ...draftCommands,
  ...moderationCommands,
  ...webhookCommands,
  ...recipientCommands,
  ...verifiedRecipientCommands,
  ...keyCommands,
  ...governanceCommands,
  ...legalHoldCommands,
  mcpCommand,
  ...localCommands.slice(1),
];
