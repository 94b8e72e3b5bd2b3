/**
 * What a request to delete an account must carry to show it means this account: `confirm` with the account's id
 * or its name, or the seed's `confirm_email` echoing the `email` that `GET /v1/accounts` answers. A self-hosted
 * account has no e-mail (that answer is null), so the seed's CLI, which fetches it and echoes it, sends null; the
 * id or name is accepted in that field too.
 */
export interface DeletionConfirmation {
  confirm?: string;
  /** Absent (undefined) is not the same as null: null is what the seed's client echoes. */
  confirmEmail?: string | null;
}

export type ConfirmationCheck = "confirmed" | "missing" | "mismatch";

export function checkDeletionConfirmation(
  account: { id: string; name: string },
  c: DeletionConfirmation,
): ConfirmationCheck {
  const names = (v: string) => v.trim().toLowerCase() === account.id || v.trim() === account.name;
  if (c.confirm !== undefined) return names(c.confirm) ? "confirmed" : "mismatch";
  if (c.confirmEmail === undefined) return "missing";
  if (c.confirmEmail === null) return "confirmed";
  return names(c.confirmEmail) ? "confirmed" : "mismatch";
}
