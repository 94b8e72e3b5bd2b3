import { fileTypeFromBuffer } from "file-type";
import { fileFamilyOf } from "./mailbox-policy.ts";

// What an attachment is, from its bytes first and its labels second: the sniffed type, the family decisions use,
// the dangerous types, the policy action, and a filename safe to show and to save. No I/O.

/** What becomes of an attachment: its bytes offered (per the mailbox's policy), its metadata only, held, refused. */
export const ATTACHMENT_POLICY_ACTIONS = ["deliver", "metadata_only", "quarantine", "block"] as const;
export type AttachmentPolicyAction = (typeof ATTACHMENT_POLICY_ACTIONS)[number];

export type FileFamily = "pdf" | "text" | "csv" | "image";

const GENERIC = new Set(["", "application/octet-stream", "binary/octet-stream", "application/unknown"]);

/** The bare, lower-case MIME type of a Content-Type value ("Text/CSV; charset=utf-8" → "text/csv"). */
export const bareMime = (contentType: string | null | undefined) =>
  (contentType ?? "").toLowerCase().split(";")[0]!.trim();

/** Whether bytes read as text: no NUL in the first 8 KB and valid UTF-8 there (a cut sequence at the end is fine). */
export function looksLikeText(bytes: Buffer): boolean {
  const head = bytes.subarray(0, 8192);
  if (head.includes(0)) return false;
  const text = new TextDecoder("utf-8", { fatal: false }).decode(head);
  const bad = (text.match(/\uFFFD/g) ?? []).length;
  return bad <= (head.length === bytes.length ? 0 : 1);
}

/**
 * The type the bytes show (magic numbers, `file-type`); text formats carry none, so bytes that read as text are
 * text/plain (a shebang makes them a script), anything else application/octet-stream.
 */
export async function sniffMime(bytes: Buffer): Promise<string> {
  const found = await fileTypeFromBuffer(bytes).catch(() => undefined);
  if (found) return found.mime;
  if (!looksLikeText(bytes)) return "application/octet-stream";
  return bytes.subarray(0, 2).toString("latin1") === "#!" ? "text/x-shellscript" : "text/plain";
}

// Extensions that run code when opened, on some system; a file named so is dangerous whatever its bytes say.
const DANGEROUS_EXTENSIONS = new Set(
  (
    "exe dll com scr pif cpl msi msp mst sys drv ocx bat cmd ps1 psm1 vbs vbe js jse wsf wsh hta jar " +
    "sh bash zsh csh ksh command app dmg pkg apk deb rpm lnk reg inf scf url iso img vhd vhdx " +
    "docm dotm xlsm xltm xlam pptm potm ppam ppsm sldm xll"
  ).split(" "),
);

// Types that are programs, scripts or documents that may carry macros.
const DANGEROUS_MIMES: [RegExp, string][] = [
  [/^application\/(x-msdownload|vnd\.microsoft\.portable-executable|x-dosexec)$/, "a Windows executable"],
  [/^application\/(x-elf|x-executable|x-sharedlib)$/, "a Linux executable"],
  [/^application\/x-mach-binary$/, "a macOS executable"],
  [/^application\/(x-msi|x-ms-installer)$/, "a Windows installer"],
  [/^application\/java-archive$/, "a Java archive"],
  [/^application\/(x-sh|x-shellscript)$|^text\/x-shellscript$/, "a script"],
  [/^application\/(javascript|x-javascript|ecmascript)$|^text\/(javascript|vbscript)$/, "a script"],
  [/macroenabled/, "a document with macros"],
  [
    /^application\/x-cfb$|^application\/(msword|vnd\.ms-excel|vnd\.ms-powerpoint)$/,
    "an Office document that may carry macros",
  ],
];

/** Why an attachment is dangerous (an executable, a script, a document with macros), or null. */
export function dangerousReason(filename: string, sniffed: string, declared: string): string | null {
  for (const mime of [sniffed, declared])
    for (const [pattern, what] of DANGEROUS_MIMES) if (pattern.test(mime)) return what;
  const ext = /\.([a-z0-9]{1,8})$/i.exec(filename.trim())?.[1]?.toLowerCase();
  if (ext && DANGEROUS_EXTENSIONS.has(ext)) return `a .${ext} file`;
  return null;
}

const TEXTUAL = /^(text\/|application\/(json|xml|csv|x-csv|ld\+json|yaml|x-yaml))|\+xml$/;

/** The family decisions use: by the sniffed type, except that a text-like declared type names text's kind. */
export function familyOf(sniffed: string, declared: string): FileFamily | null {
  if (sniffed === "text/plain") {
    const d = bareMime(declared);
    if (d === "text/csv" || d === "application/csv" || d === "application/x-csv") return "csv";
    return "text";
  }
  return fileFamilyOf(sniffed);
}

/** Declared and sniffed types disagree: a PDF label on a program, an image label on a PDF. */
export function mimeMismatch(sniffed: string, declared: string): boolean {
  const d = bareMime(declared);
  if (GENERIC.has(d) || d === sniffed) return false;
  if (sniffed === "text/plain") return !TEXTUAL.test(d);
  if (sniffed === "application/octet-stream") return d === "application/pdf" || d.startsWith("image/");
  const fs = fileFamilyOf(sniffed);
  return fs === null || fs !== fileFamilyOf(d);
}

/** The action for an inbound attachment: dangerous is refused, a lie about its type held, unknown families kept back. */
export function policyActionOf(a: {
  dangerous: string | null;
  mismatch: boolean;
  family: FileFamily | null;
}): AttachmentPolicyAction {
  if (a.dangerous) return "block";
  if (a.mismatch) return "quarantine";
  if (a.family === null) return "metadata_only";
  return "deliver";
}

// C0 and C1 controls, DEL, and the bidirectional marks and overrides that make "exe.pdf" read as "fdp.exe".
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;
const RESERVED = /[<>:"|?*]/g;

/**
 * A filename safe to show and to save: the last path segment only (no "../", no drive), without control characters
 * or bidi overrides, not starting with dots, at most 255 bytes (the extension kept); `fallback` when nothing is left.
 */
export function sanitizeFilename(name: string | null | undefined, fallback: string): string {
  let s = (name ?? "").normalize("NFC").replace(CONTROL, "");
  s = s.split(/[/\\]/).pop() ?? "";
  s = s.replace(RESERVED, "_").replace(/\s+/g, " ").trim();
  s = s.replace(/^[.\s]+/, "").replace(/[.\s]+$/, "");
  if (s === "") return fallback;
  if (Buffer.byteLength(s) <= 255) return s;
  const ext = /\.[^.]{1,16}$/.exec(s)?.[0] ?? "";
  let stem = s.slice(0, s.length - ext.length);
  while (Buffer.byteLength(stem + ext) > 255) stem = [...stem].slice(0, -1).join("");
  return stem + ext;
}
