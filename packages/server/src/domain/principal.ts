import { AppError } from "./errors.ts";

export type KeyRole = "admin" | "agent" | "ingest";

/** Who is acting: resolved from the bearer key by the API, passed to every use-case that checks access. */
export interface Principal {
  accountId: string;
  apiKeyId: string;
  role: KeyRole;
  /** For agent keys, the only mailboxes they may reach. */
  mailboxIds: string[];
}

export function requireRole(p: Principal, ...roles: KeyRole[]): void {
  if (!roles.includes(p.role)) {
    throw new AppError(
      "forbidden",
      "INSUFFICIENT_SCOPE",
      `this action needs a key with role ${roles.join(" or ")}; the calling key has role ${p.role}`,
    );
  }
}

/** Who did something, as list entries record it (`added_by_actor_type`, `added_by_actor_id`). */
export interface Actor {
  type: "api_key" | "system";
  id: string | null;
}

export const actorOf = (p: Principal): Actor => ({ type: "api_key", id: p.apiKeyId });

/** Changes no key asked for (bounce handling, a provider's report). */
export const SYSTEM_ACTOR: Actor = { type: "system", id: null };
