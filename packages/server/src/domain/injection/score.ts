import { DERIVED, HASH_BITS, RULES, ruleFeatures, SIGNALS, tokenize } from "./features.ts";
import { normalizeForScoring } from "./normalize.ts";

/** A trained model: logistic regression over hashed words plus one weight per rule and signal. */
export interface InjectionModel {
  bias: number;
  /** 2^HASH_BITS weights of hashed word unigrams and bigrams. */
  tokens: Float32Array;
  /** Weight per rule code and signal code. */
  rules: Record<string, number>;
  /** Platt scaling of the raw logit into a probability-like score: sigmoid(a * logit + b). */
  calibration: { a: number; b: number };
  /**
   * Windows with more distinct tokens than this have their word part scaled by sqrt(ref / count), so long
   * benign text cannot add up many faintly suspicious words into a verdict; null = plain sum.
   */
  tokenRef: number | null;
}

/** How much the word part of a window with `count` distinct tokens counts (see InjectionModel.tokenRef). */
export function tokenScale(ref: number | null, count: number): number {
  return ref === null || count <= ref ? 1 : Math.sqrt(ref / count);
}

export interface InjectionReason {
  code: string;
  description: string;
}

export interface InjectionScore {
  score: number;
  reasons: InjectionReason[];
}

/** Long bodies are scored in overlapping windows and the worst window counts: an injection cannot hide in bulk. */
export const WINDOW = 4000;
const STRIDE = 2000;
/** Past this many characters the rest is not scored (the raw message is still stored and readable). */
const MAX_SCORED = 512 * 1024;

export function windows(text: string): string[] {
  if (text.length <= WINDOW) return [text];
  const out: string[] = [];
  const end = Math.min(text.length, MAX_SCORED);
  for (let start = 0; start < end; start += STRIDE) {
    out.push(text.slice(start, start + WINDOW));
    if (start + WINDOW >= end) break;
  }
  return out;
}

/** The features of one window: hashed tokens and the rules it fires (by code). */
export function windowFeatures(text: string): { tokens: Set<number>; rules: string[] } {
  const t = tokenize(text);
  return { tokens: t.features, rules: ruleFeatures(text, t.words) };
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** The word part of a window's logit, already scaled. */
function tokenPartOf(model: InjectionModel, tokens: Set<number>): number {
  let sum = 0;
  for (const t of tokens) sum += model.tokens[t]!;
  return sum * tokenScale(model.tokenRef, tokens.size);
}

export function rawLogit(model: InjectionModel, f: { tokens: Set<number>; rules: string[] }): number {
  let z = model.bias + tokenPartOf(model, f.tokens);
  for (const r of f.rules) z += model.rules[r] ?? 0;
  return z;
}

const LEARNED: InjectionReason = {
  code: "learned_phrasing",
  description: "its wording resembles known injections (trained model)",
};

const FROM_HTML: InjectionReason = {
  code: "html_part",
  description: "the HTML part carries it, beside a plain-text part that may not (hidden text)",
};

/**
 * Scores a text for prompt injection: 0 (benign) to 1. Deterministic and offline. Reasons list the rules and
 * signals that pushed the score up, and `learned_phrasing` when the word model did.
 */
export function scoreInjection(
  model: InjectionModel,
  input: string,
  opts: {
    /** Text of the HTML part when the message also has a plain-text part: scored too, since the agent may read it. */
    htmlText?: string;
  } = {},
): InjectionScore {
  if (model.tokens.length !== 1 << HASH_BITS)
    throw new Error("injection model does not match the feature hashing");
  const n = normalizeForScoring(input);
  const signals: string[] = [];
  if (n.invisible >= 3) signals.push("invisible_characters");
  if (n.tagged > 0) signals.push("hidden_tag_text");
  const html = opts.htmlText ? normalizeForScoring(opts.htmlText) : null;
  const texts = [...windows(n.text), ...n.decoded.flatMap(windows)];
  const decodedFrom = windows(n.text).length;
  const htmlFrom = texts.length;
  if (html) texts.push(...windows(html.text));
  let best = { z: Number.NEGATIVE_INFINITY, rules: [] as string[], tokenPart: 0, fromHtml: false };
  texts.forEach((w, i) => {
    const f = windowFeatures(w);
    const rules = [...f.rules, ...signals];
    if (i >= decodedFrom && i < htmlFrom && f.rules.some((r) => RULES.some((x) => x.code === r)))
      rules.push("encoded_payload");
    const z = rawLogit(model, { tokens: f.tokens, rules });
    if (z > best.z) best = { z, rules, tokenPart: tokenPartOf(model, f.tokens), fromHtml: i >= htmlFrom };
  });
  const score = sigmoid(model.calibration.a * best.z + model.calibration.b);
  const described = new Map<string, string>([
    ...RULES.map((r) => [r.code, r.description] as const),
    ...SIGNALS.map((s) => [s.code, s.description] as const),
    ...DERIVED.filter((d) => d.report).map((d) => [d.code, d.description] as const),
  ]);
  const reasons: InjectionReason[] = [...new Set(best.rules)]
    .filter((code) => described.has(code) && (model.rules[code] ?? 0) > 0)
    .sort((a, b) => (model.rules[b] ?? 0) - (model.rules[a] ?? 0))
    .map((code) => ({ code, description: described.get(code) ?? code }));
  if (best.tokenPart > 1) reasons.push(LEARNED);
  if (best.fromHtml) reasons.push(FROM_HTML);
  return { score, reasons };
}

const CLASSIFIER: InjectionReason = {
  code: "onnx_classifier",
  description: "the operator's local classifier judges it an injection",
};

/**
 * Adds an operator's classifier probability as an extra signal: it can raise the score, never lower it, so the
 * built-in rules keep their say; from 0.5 it is named in the reasons.
 */
export function withClassifier(base: InjectionScore, probability: number): InjectionScore {
  if (!(probability >= 0.5)) return base;
  return { score: Math.max(base.score, probability), reasons: [...base.reasons, CLASSIFIER] };
}

/** Reads a model from its two files' contents: JSON metadata and little-endian float32 token weights. */
export function loadInjectionModel(
  meta: {
    bias: number;
    rules: Record<string, number>;
    calibration: { a: number; b: number };
    token_ref?: number | null;
  },
  weights: Buffer,
): InjectionModel {
  const tokens = new Float32Array(1 << HASH_BITS);
  for (let i = 0; i < tokens.length; i++) tokens[i] = weights.readFloatLE(i * 4);
  return {
    bias: meta.bias,
    rules: meta.rules,
    calibration: meta.calibration,
    tokens,
    tokenRef: meta.token_ref ?? null,
  };
}
