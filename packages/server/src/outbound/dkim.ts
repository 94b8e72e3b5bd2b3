import { type DKIMSignOptions, dkimSign } from "mailauth";

export interface DkimKey {
  domain: string;
  selector: string;
  /** PEM, RSA (PKCS#1 or PKCS#8) or Ed25519. */
  privateKey: string;
}

/** Returns the message with a DKIM-Signature header prepended (relaxed/relaxed, the library's default headers). */
export async function dkimSignMessage(raw: Buffer, key: DkimKey): Promise<Buffer> {
  // The library reads `signatureData` (one entry per signature); its bundled typings describe top-level fields.
  const options = {
    canonicalization: "relaxed/relaxed",
    signatureData: [{ signingDomain: key.domain, selector: key.selector, privateKey: key.privateKey }],
  } as unknown as DKIMSignOptions;
  const r = await dkimSign(raw, options);
  if (r.errors.length > 0) throw new Error(`DKIM signing failed: ${r.errors[0]!.message}`);
  return Buffer.concat([Buffer.from(r.signatures), raw]);
}
