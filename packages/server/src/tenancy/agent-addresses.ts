import { mailboxNameProblem } from "../domain/address.ts";
import { AppError, validation } from "../domain/errors.ts";
import { type Principal, requireRole } from "../domain/principal.ts";
import { reservedNameProblem } from "../domain/reserved-names.ts";
import { defaultAccount } from "../store/accounts.ts";
import type { Db } from "../store/db.ts";
import { addAlias, aliasesOf } from "../store/mailbox-aliases.ts";
import { findMailbox, type MailboxRow } from "../store/mailboxes.ts";
import { mailboxFor } from "./access.ts";
import { openMailbox } from "./mailboxes.ts";

/** The most aliases one call may add; a mailbox's aliases are otherwise unbounded, like its mail. */
export const MAX_ALIASES_PER_CALL = 20;

export interface AgentAddress {
  mailbox: MailboxRow;
  /** Alias names of the mailbox, sorted. */
  aliases: string[];
  /** The mailbox was created by this call. */
  created: boolean;
}

/** An agent id is a mailbox name, compared without case (email local parts are, in practice). */
function nameOf(agentId: string, field: string): string {
  const name = agentId.trim().toLowerCase();
  const problem = mailboxNameProblem(name);
  if (problem) throw validation(`${field}: ${problem}`, [`body.${field}: ${problem}`]);
  return name;
}

/**
 * The mailbox of an agent id, created on first use, with the aliases asked for added to it (an alias delivers to
 * the same mailbox as its name). Admin keys allocate; an agent key may look up a mailbox it is bound to.
 */
export async function allocateAgentAddress(
  deps: { db: Db; domain: string; mailboxLimit?: number },
  p: Principal,
  input: { agentId: string; aliases?: string[]; displayName?: string | null },
): Promise<AgentAddress> {
  requireRole(p, "admin", "agent");
  const name = nameOf(input.agentId, "agent_id");
  const wanted = [...new Set((input.aliases ?? []).map((a, i) => nameOf(a, `aliases[${i}]`)))].filter(
    (a) => a !== name,
  );
  if (wanted.length > MAX_ALIASES_PER_CALL)
    throw validation(`at most ${MAX_ALIASES_PER_CALL} aliases per call`, [
      `body.aliases has more than ${MAX_ALIASES_PER_CALL} entries`,
    ]);

  let mailbox = await findMailbox(deps.db, p.accountId, name);
  let created = false;
  if (!mailbox) {
    requireRole(p, "admin");
    try {
      mailbox = await openMailbox(deps, p, { name, displayName: input.displayName ?? null });
      created = true;
    } catch (err) {
      // Two allocations of a new agent id at once: the second finds what the first created.
      const raced = err instanceof AppError && err.code === "MAILBOX_NAME_TAKEN";
      mailbox = raced ? await findMailbox(deps.db, p.accountId, name) : null;
      if (!mailbox) throw err;
    }
  } else mailbox = await mailboxFor(deps.db, p, mailbox.id);

  const existing = await aliasesOf(deps.db, mailbox.id);
  const missing = wanted.filter((a) => !existing.includes(a));
  if (missing.length > 0) {
    requireRole(p, "admin");
    const operator = (await defaultAccount(deps.db))?.id === p.accountId;
    for (const alias of missing) {
      const reserved = reservedNameProblem(alias, operator);
      if (reserved) throw new AppError("forbidden", "MAILBOX_NAME_RESERVED", `alias ${alias}: ${reserved}`);
    }
    const mb = mailbox;
    await deps.db.tx(async (sql) => {
      for (const alias of missing) {
        const r = await addAlias(sql, { accountId: p.accountId, mailboxId: mb.id, name: alias });
        if (!r.ok)
          throw new AppError(
            "conflict",
            r.reason === "taken" ? "ALIAS_TAKEN" : "MAILBOX_NAME_RETIRED",
            r.reason === "taken"
              ? `the address ${alias}@${deps.domain} is already a mailbox or another mailbox's alias`
              : `the address ${alias}@${deps.domain} belonged to another account; names are never handed to a new owner`,
            { alias },
          );
      }
    });
  }
  return { mailbox, aliases: await aliasesOf(deps.db, mailbox.id), created };
}
