import { AppError } from "../../domain/errors.ts";
import { type Principal, requireRole } from "../../domain/principal.ts";
import { dkimDnsRecord } from "./key.ts";
import type { DkimKey } from "./sign.ts";

/** The DKIM record the operator publishes so receivers can verify our signatures (admin). */
export async function dkimRecord(
  deps: { dkim: () => Promise<DkimKey | null> },
  p: Principal,
): Promise<{ domain: string; selector: string; name: string; type: "TXT"; value: string }> {
  requireRole(p, "admin");
  const key = await deps.dkim();
  if (!key)
    throw new AppError("conflict", "DKIM_DISABLED", "outbound DKIM signing is off (POSTBOX_DKIM_SIGN=0)");
  return { domain: key.domain, selector: key.selector, ...dkimDnsRecord(key) };
}
