import { isEmailAddress } from "./address.ts";
import { validation } from "./errors.ts";

/** A to/cc/bcc field as given (one address or a list), checked and lower-cased; errors name the body field. */
export function addressList(field: string, value: string | string[] | undefined): string[] {
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value];
  const out: string[] = [];
  const errors: string[] = [];
  list.forEach((a, i) => {
    const t = a.trim();
    if (!isEmailAddress(t))
      errors.push(`body.${field}${Array.isArray(value) ? `[${i}]` : ""} is not a valid email address`);
    else out.push(t.toLowerCase());
  });
  if (errors.length > 0) throw validation(errors[0]!, errors);
  return out;
}
