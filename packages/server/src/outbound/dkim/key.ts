import { createPrivateKey, createPublicKey, generateKeyPair } from "node:crypto";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import type { Db } from "../../store/db.ts";
import { findDkimKey, insertDkimKeyIfAbsent } from "../../store/dkim-keys.ts";
import { domainByName } from "../../store/domains.ts";
import type { DkimKey } from "./sign.ts";

const generate = promisify(generateKeyPair);

/** The DNS TXT record that publishes a key: `<selector>._domainkey.<domain> TXT "v=DKIM1; k=rsa; p=…"`. */
export function dkimDnsRecord(key: DkimKey): { name: string; type: "TXT"; value: string } {
  const spki = createPublicKey(key.privateKey).export({ type: "spki", format: "der" });
  const k = createPublicKey(key.privateKey).asymmetricKeyType === "ed25519" ? "ed25519" : "rsa";
  const p = k === "ed25519" ? spki.subarray(spki.length - 32).toString("base64") : spki.toString("base64");
  return { name: `${key.selector}._domainkey.${key.domain}`, type: "TXT", value: `v=DKIM1; k=${k}; p=${p}` };
}

/** A new RSA-2048 private key, PEM (PKCS#8). */
export async function generateDkimPrivateKey(): Promise<string> {
  const { privateKey } = await generate("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return privateKey;
}

/** Why a PEM cannot sign our mail, or null: RSA of at least 1024 bits (RFC 8301), or Ed25519. */
export function dkimKeyProblem(pem: string): string | null {
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType === "ed25519") return null;
    if (key.asymmetricKeyType !== "rsa")
      return `a ${key.asymmetricKeyType} key cannot sign DKIM; use RSA or Ed25519`;
    if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 1024) return "an RSA key needs at least 1024 bits";
    return null;
  } catch {
    return "not a PEM private key (PKCS#1 or PKCS#8, unencrypted)";
  }
}

/**
 * The key a mailbox's mail is signed with, by the mailbox's domain: the installation's (null domain) or the custom
 * domain's own. Null when signing is off, or the domain is gone.
 */
export function signingKeys(opts: {
  db: Db;
  enabled: boolean;
  installation: () => Promise<DkimKey | null>;
}): (domain: string | null) => Promise<DkimKey | null> {
  return async (domain) => {
    if (!opts.enabled) return null;
    if (domain === null) return opts.installation();
    const row = await domainByName(opts.db, domain);
    return row ? { domain: row.name, selector: row.dkim_selector, privateKey: row.dkim_private_key } : null;
  };
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
      const pem = await generateDkimPrivateKey();
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
