import { Busboy } from "@fastify/busboy";
import { AppError } from "../domain/errors.ts";

/** One field of a form as sent: its bytes undecoded, since a provider may name their charset elsewhere. */
export interface FormPart {
  name: string;
  /** Set for file parts of a multipart form. */
  filename: string | null;
  contentType: string | null;
  data: Buffer;
}

/** Bounds on what one form may hold, so a hostile one costs little beyond its (already capped) size. */
export const FORM_LIMITS = { parts: 1000, fieldNameBytes: 200, headerPairs: 200 };

const MULTIPART = /^multipart\/form-data\b/i;
const URLENCODED = /^application\/x-www-form-urlencoded\b/i;

export function isFormType(contentType: string | undefined): boolean {
  return !!contentType && (MULTIPART.test(contentType) || URLENCODED.test(contentType));
}

const badForm = (why: string) =>
  new AppError("invalid", "INVALID_FORM", `the form body could not be read: ${why}`);

/**
 * Decodes a multipart/form-data or application/x-www-form-urlencoded body held in memory (busboy, no I/O). Every
 * part comes back as bytes: multipart parts are all read as files, and urlencoded values are decoded as latin1,
 * which maps each byte to one code unit, so the caller can apply the charset the provider says it used.
 */
export function decodeForm(body: Buffer, contentType: string): Promise<FormPart[]> {
  const multipart = MULTIPART.test(contentType);
  return new Promise((resolve, reject) => {
    let parser: InstanceType<typeof Busboy>;
    try {
      parser = new Busboy({
        // An urlencoded charset parameter would make busboy decode the values itself; the bytes are wanted.
        headers: { "content-type": multipart ? contentType : "application/x-www-form-urlencoded" },
        defCharset: "latin1",
        isPartAFile: () => true,
        limits: {
          parts: FORM_LIMITS.parts,
          fields: FORM_LIMITS.parts,
          files: FORM_LIMITS.parts,
          fieldNameSize: FORM_LIMITS.fieldNameBytes,
          fieldSize: body.length + 1,
          headerPairs: FORM_LIMITS.headerPairs,
        },
      });
    } catch (err) {
      reject(badForm(err instanceof Error ? err.message : String(err)));
      return;
    }
    const parts: FormPart[] = [];
    const pending: Promise<void>[] = [];
    let failed: AppError | null = null;
    const fail = (e: AppError) => {
      failed ??= e;
    };
    parser.on("field", (name: string, value: string, nameTruncated: boolean) => {
      if (nameTruncated) fail(badForm(`a field name is longer than ${FORM_LIMITS.fieldNameBytes} bytes`));
      parts.push({ name, filename: null, contentType: null, data: Buffer.from(value, "latin1") });
    });
    parser.on("file", (name, stream, filename, _encoding, mimeType) => {
      // busboy bounds field names of plain fields only; every part is read as a file here.
      if (Buffer.byteLength(name) > FORM_LIMITS.fieldNameBytes)
        fail(badForm(`a field name is longer than ${FORM_LIMITS.fieldNameBytes} bytes`));
      const chunks: Buffer[] = [];
      pending.push(
        new Promise<void>((done) => {
          stream.on("data", (c: Buffer) => chunks.push(c));
          stream.on("end", () => {
            parts.push({
              name,
              filename: filename === undefined ? null : filename,
              contentType: mimeType || null,
              data: Buffer.concat(chunks),
            });
            done();
          });
          stream.on("error", () => done());
        }),
      );
    });
    for (const limit of ["partsLimit", "filesLimit", "fieldsLimit"] as const)
      parser.on(limit, () => fail(badForm(`more than ${FORM_LIMITS.parts} parts`)));
    parser.on("error", (err: unknown) =>
      reject(failed ?? badForm(err instanceof Error ? err.message : String(err))),
    );
    parser.on("finish", () => {
      void Promise.all(pending).then(() => (failed ? reject(failed) : resolve(parts)));
    });
    parser.end(body);
  });
}
