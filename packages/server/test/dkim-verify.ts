import { execFileSync } from "node:child_process";
import { createPublicKey, type KeyObject } from "node:crypto";
import { dkimVerify } from "mailauth/lib/dkim/verify.js";
import { PYTHON } from "./python-dkim.ts";

/** The TXT record publishing a public key (RSA: SubjectPublicKeyInfo; Ed25519: the raw 32 bytes, RFC 8463). */
export function dkimRecord(privateKey: KeyObject | string): string {
  const pub = createPublicKey(privateKey);
  const der = pub.export({ type: "spki", format: "der" });
  return pub.asymmetricKeyType === "ed25519"
    ? `v=DKIM1; k=ed25519; p=${der.subarray(der.length - 32).toString("base64")}`
    : `v=DKIM1; k=rsa; p=${der.toString("base64")}`;
}

/** Verifies with Debian's python3-dkim, answering its one DNS question with the given record. */
export function pythonVerify(raw: Buffer, name: string, record: string): boolean {
  const script = [
    "import sys, dkim",
    "msg = sys.stdin.buffer.read()",
    "name, record = sys.argv[1].encode(), sys.argv[2].encode()",
    "def dns(q, timeout=5):",
    "    return record if q.rstrip(b'.') == name else None",
    "print('ok' if dkim.verify(msg, dnsfunc=dns) else 'fail')",
  ].join("\n");
  return execFileSync(PYTHON, ["-c", script, name, record], { input: raw }).toString().trim() === "ok";
}

/** mailauth's verifier with a resolver that serves exactly one TXT record. */
export async function mailauthVerify(raw: Buffer, name: string, record: string) {
  const resolver = async (q: string, type: string) => {
    if (type === "TXT" && q === name) return [[record]];
    throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
  };
  const r = await dkimVerify(raw, { resolver });
  return r.results[0] as { status: { result: string }; signingDomain: string; selector: string };
}

/** The h= tag of the first DKIM-Signature, unfolded. */
export function signedHeadersOf(raw: Buffer): string {
  const text = raw.toString("latin1");
  const sig = /^DKIM-Signature:(.*?)\r\n(?![ \t])/ms.exec(text)?.[1] ?? "";
  return /\bh=([^;]*)/.exec(sig.replace(/\r\n[ \t]/g, " "))?.[1]?.replace(/\s+/g, "") ?? "";
}
