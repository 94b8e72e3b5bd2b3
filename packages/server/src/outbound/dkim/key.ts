import { createPublicKey, generateKeyPair } from "node:crypto";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import type { Db } from "../../store/db.ts";
import { findDkimKey, insertDkimKeyIfAbsent } from "../../store/dkim-keys.ts";
import type { DkimKey } from "./sign.ts";

const generate = promisify(generateKeyPair);

/** The DNS TXT record that publishes a key: `<selector>._domainkey.<domain> TXT "v=DKIM1; k=rsa; p=…"`. */
export function dkimDnsRecord(key: DkimKey): { name: string; type: "TXT"; value: string } {
  const spki = createPublicKey(key.privateKey).export({ type: "spki", format: "der" });
  const k = createPublicKey(key.privateKey).asymmetricKeyType === "ed25519" ? "ed25519" : "rsa";
  const p = k === "ed25519" ? spki.subarray(spki.length - 32).toString("base64") : spki.toString("base64");
  return { name: `${key.selector}._domainkey.${key.domain}`, type: "TXT", value: `v=DKIM1; k=${k}; p=${p}` };
}

/**
 * The signing key, loaded once: the operator's PEM file when POSTBOX_DKIM_KEY_FILE is set; otherwise the
 * installation's own RSA-2048 key, generated on first use and kept in the database. Null when signing is off.
 */
export function dkimKeySource(opts: {
  db: Db;
  domain: string;
  selector: string;
  keyFile: string | null;
  enabled: boolean;
}): () => Promise<DkimKey | null> {
  let pending: Promise<DkimKey | null> | null = null;
  async function load(): Promise<DkimKey | null> {
    if (!opts.enabled) return null;
    if (opts.keyFile) {
      const privateKey = await readFile(opts.keyFile, "utf8");
      createPublicKey(privateKey); // a bad file fails here, with the file named by the caller
      return { domain: opts.domain, selector: opts.selector, privateKey };
    }
    const find = () => findDkimKey(opts.db, opts.domain, opts.selector);
    let privateKey = await find();
    if (!privateKey) {
      const { privateKey: pem } = await generate("rsa", {
        modulusLength: 2048,
        privateKeyEncoding: { type: "pkcs8", format: "pem" },
        publicKeyEncoding: { type: "spki", format: "pem" },
      });
      // Two processes may race: the first insert wins and both use what is stored.
      await insertDkimKeyIfAbsent(opts.db, opts.domain, opts.selector, pem);
      privateKey = (await find())!;
    }
    return { domain: opts.domain, selector: opts.selector, privateKey };
  }
  return () => {
    pending ??= load().catch((err) => {
      pending = null;
      throw err;
    });
    return pending;
  };
}
