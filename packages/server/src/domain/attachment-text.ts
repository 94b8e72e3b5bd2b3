import { getDocumentProxy } from "unpdf";
import { htmlToScanText } from "./html-text.ts";

// The text of an attachment, for previews and the outbound scan: plain text and CSV as they are, HTML as text, PDF
// text through pdf.js (`unpdf`). Never the bytes themselves. No I/O.

/** The most text kept from one attachment; a longer one is cut and says so. */
export const MAX_EXTRACTED_CHARS = 100_000;
/** Pages of a PDF read at most (a PDF of thousands of pages costs seconds for a preview nobody reads whole). */
export const MAX_PDF_PAGES = 50;

export interface ExtractedText {
  text: string;
  /** Characters of the whole text before it was cut (of the pages read, for a PDF). */
  charCount: number;
  truncated: boolean;
  pageCount: number | null;
  extractor: "text" | "csv" | "html" | "pdf";
}

/** Whether a type has a text extractor here. */
export function previewable(sniffed: string, declared: string): boolean {
  return extractorOf(sniffed, declared) !== null;
}

function extractorOf(sniffed: string, declared: string): ExtractedText["extractor"] | null {
  if (sniffed === "application/pdf") return "pdf";
  if (sniffed !== "text/plain") return null;
  const d = declared.toLowerCase();
  if (d.startsWith("text/html") || d.startsWith("application/xhtml")) return "html";
  if (/^(text|application)\/(x-)?csv/.test(d)) return "csv";
  return "text";
}

/** The text of an attachment, or null when its type has no extractor; throws when the bytes cannot be read. */
export async function extractAttachmentText(
  bytes: Buffer,
  sniffed: string,
  declared: string,
): Promise<ExtractedText | null> {
  const extractor = extractorOf(sniffed, declared);
  if (extractor === null) return null;
  let text: string;
  let pageCount: number | null = null;
  let truncated = false;
  if (extractor === "pdf") {
    const doc = await getDocumentProxy(new Uint8Array(bytes), { isEvalSupported: false });
    try {
      pageCount = doc.numPages;
      const pages: string[] = [];
      for (let i = 1; i <= Math.min(doc.numPages, MAX_PDF_PAGES); i++) {
        const content = await (await doc.getPage(i)).getTextContent();
        pages.push(content.items.map((it) => ("str" in it ? it.str + (it.hasEOL ? "\n" : "") : "")).join(""));
      }
      truncated = doc.numPages > MAX_PDF_PAGES;
      text = pages.join("\n\n");
    } finally {
      await doc.destroy();
    }
  } else {
    const decoded = new TextDecoder("utf-8").decode(bytes).replace(/^\uFEFF/, "");
    // Tags become spaces in the scan text; a reader wants them collapsed.
    text =
      extractor === "html"
        ? htmlToScanText(decoded)
            .replace(/[ \t]+/g, " ")
            .trim()
        : decoded;
  }
  // NUL and lone surrogates cannot be stored as text; they carry nothing a reader needs.
  text = text
    .replace(/\u0000/g, "")
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "");
  const charCount = text.length;
  if (charCount > MAX_EXTRACTED_CHARS) {
    text = text.slice(0, MAX_EXTRACTED_CHARS);
    truncated = true;
  }
  return { text, charCount, truncated, pageCount, extractor };
}
