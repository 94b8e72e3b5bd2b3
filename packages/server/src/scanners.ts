// The content scanners as the server runs them, for tools that evaluate them on their own data (postbox pii).
export { detectPii, PII_TYPES, type PiiSpan, type PiiType } from "./domain/pii/detect.ts";
