import type { Clock } from "../domain/clock.ts";
import { type Principal, requireRole } from "../domain/principal.ts";
import type { QuotaUse } from "../domain/recipient-controls.ts";
import { sendQuotas } from "../outbound/recipient-controls.ts";
import { type AccountHoldings, accountHoldings, getAccount } from "../store/accounts.ts";
import type { Db } from "../store/db.ts";
import { dailySendHistory } from "../store/recipient-controls.ts";

const HISTORY_DAYS = 30;

export interface AccountUsage extends AccountHoldings {
  daily: QuotaUse;
  history: { day: string; count: number }[];
  sandbox: boolean;
}

/**
 * What the account has used: today's send budget, the last 30 days of sends, mailboxes, held sends, and the bytes
 * it stores (raw messages, the attachments in them, the text parsed out of them).
 */
export async function accountUsage(
  deps: { db: Db; clock: Clock; defaultDailyCap: number },
  p: Principal,
): Promise<AccountUsage> {
  requireRole(p, "admin");
  const { daily } = await sendQuotas(deps, p);
  const since = new Date(daily.window_start.getTime() - (HISTORY_DAYS - 1) * 86_400_000);
  const history = await dailySendHistory(deps.db, p.accountId, since);
  const held = await accountHoldings(deps.db, p.accountId);
  const account = await getAccount(deps.db, p.accountId);
  return { daily, history, ...held, sandbox: account?.sandbox ?? false };
}
