import {
  ATTACK_SIGNALS,
  DERIVED,
  documentFeatures,
  HASH_BITS,
  RULES,
  SIGNALS,
  type WindowFeatures,
  windowFeatures,
} from "./features.ts";
import { type Normalized, normalizeForScoring } from "./normalize.ts";

export { windowFeatures } from "./features.ts";

/** A trained model: logistic regression over hashed n-grams plus one weight per signal. */
export interface InjectionModel {
  bias: number;
  /** 2^HASH_BITS weights of hashed word and character n-grams. */
  tokens: Float32Array;
  /** Weight per signal code (rules, normalization signals, derived features). */
  rules: Record<string, number>;
  /** Platt scaling of the raw logit into a calibrated probability: sigmoid(a * logit + b). */
  calibration: { a: number; b: number };
  /**
   * Windows with more distinct n-grams than this have their n-gram part scaled by sqrt(ref / count), so long
   * benign text cannot add up many faintly suspicious n-grams into a verdict; null = plain sum.
   */
  tokenRef: number | null;
  /**
   * The n-gram part of a window's logit is held within ±this: wording alone can tip a verdict but not make a
   * certain one — a high score needs named signals, which the reasons then show. Null: no bound.
   */
  ngramCap: number | null;
}

/** The n-gram part, bounded (see InjectionModel.ngramCap). */
export function capNgrams(part: number, cap: number | null): number {
  return cap === null ? part : Math.max(-cap, Math.min(cap, part));
}

/** How much the n-gram part of a window with `count` distinct n-grams counts (see InjectionModel.tokenRef). */
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

/**
 * Text is scored in overlapping windows of a few sentences and the worst window counts: one injected paragraph
 * decides its window however long the mail around it is. Every passage up to STRIDE characters lies whole in some
 * window.
 */
export const WINDOW = 400;
const STRIDE = 200;
/** Past this many characters the rest is not scored (the raw message is still stored and readable). */
const MAX_SCORED = 512 * 1024;

/** Where the windows of a text start and end. */
export function windowRanges(length: number): [number, number][] {
  if (length <= WINDOW) return [[0, length]];
  const out: [number, number][] = [];
  const end = Math.min(length, MAX_SCORED);
  for (let start = 0; start < end; start += STRIDE) {
    out.push([start, Math.min(start + WINDOW, end)]);
    if (start + WINDOW >= end) break;
  }
  return out;
}

export function windows(text: string): string[] {
  return windowRanges(text.length).map(([a, b]) => text.slice(a, b));
}

/** Signals of the whole text, from normalization. */
function textSignals(n: Normalized): string[] {
  const out: string[] = [];
  if (n.invisible >= 3) out.push("invisible_characters");
  if (n.tagged > 0) out.push("hidden_tag_text");
  if (n.homoglyphs > 0) out.push("homoglyphs");
  return out;
}

/** One scored window of a text: what the model read in it and where it came from. */
export interface ScoredWindow {
  features: WindowFeatures;
  rules: string[];
  source: "text" | "decoded" | "html";
  /** Where the window lies in the normalized text (for "text" windows). */
  range: [number, number];
}

/**
 * Every window the scorer reads for a text: the text, what decoded out of it, and the HTML part's text. A decoded
 * window that fires an attack signal also carries `encoded_payload`.
 */
export function scoringWindows(input: string, htmlText?: string): ScoredWindow[] {
  const n = normalizeForScoring(input);
  const signals = textSignals(n);
  const out: ScoredWindow[] = [];
  const add = (text: string, source: ScoredWindow["source"], extra: string[], guess = false) => {
    const document = documentFeatures(text);
    for (const range of windowRanges(text.length)) {
      const features = windowFeatures(text.slice(range[0], range[1]));
      const attack = features.rules.some((r) => ATTACK_SIGNALS.has(r));
      // A guessed decoding (the whole text in ROT13) is scored only when it uncovers an instruction: ROT13 of
      // ordinary text is gibberish the n-grams have never seen.
      if (guess && !attack) continue;
      const rules = [...features.rules, ...document, ...extra];
      if (document.includes("letter") && features.rules.includes("task_directive"))
        rules.push("task_directive_in_letter");
      if (source === "decoded") {
        if (!guess) rules.push("encoded_text");
        if (attack) rules.push("encoded_payload");
      }
      out.push({ features, rules, source, range });
    }
  };
  add(n.text, "text", signals);
  for (const d of n.decoded) add(d, "decoded", signals);
  for (const d of n.guessed) add(d, "decoded", signals, true);
  if (htmlText) {
    const h = normalizeForScoring(htmlText);
    add(h.text, "html", textSignals(h));
  }
  return out;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** The n-gram part of a window's logit, already scaled. */
function tokenPartOf(model: InjectionModel, tokens: Int32Array): number {
  let sum = 0;
  for (const t of tokens) sum += model.tokens[t]!;
  return capNgrams(sum * tokenScale(model.tokenRef, tokens.length), model.ngramCap);
}

export function rawLogit(model: InjectionModel, f: { tokens: Int32Array; rules: string[] }): number {
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

const DESCRIBED = new Map<string, string>([
  ...RULES.map((r) => [r.code, r.description] as const),
  ...SIGNALS.map((s) => [s.code, s.description] as const),
  ...DERIVED.filter((d) => d.report).map((d) => [d.code, d.description] as const),
]);

/** What each part of the worst window added to its logit: the scan's `--explain`. */
export interface Explanation {
  score: number;
  logit: number;
  bias: number;
  /** The learned n-gram part (words and character n-grams together), scaled. */
  ngrams: number;
  /** Signals and derived features that fired, with their weights, largest first. */
  signals: { code: string; weight: number; description: string | null }[];
  calibration: { a: number; b: number };
  window: { source: ScoredWindow["source"]; index: number; of: number };
}

function worstWindow(model: InjectionModel, input: string, htmlText?: string) {
  if (model.tokens.length !== 1 << HASH_BITS)
    throw new Error("injection model does not match the feature hashing");
  const all = scoringWindows(input, htmlText);
  let best = { z: Number.NEGATIVE_INFINITY, index: 0 };
  all.forEach((w, i) => {
    const z = rawLogit(model, { tokens: w.features.tokens, rules: w.rules });
    if (z > best.z) best = { z, index: i };
  });
  return { window: all[best.index]!, z: best.z, index: best.index, of: all.length };
}

/**
 * Scores a text for prompt injection: 0 (benign) to 1, a probability calibrated on mixed held-out data.
 * Deterministic and offline. Reasons list the signals that pushed the score up, and `learned_phrasing` when the
 * n-gram model did.
 */
export function scoreInjection(
  model: InjectionModel,
  input: string,
  opts: {
    /** Text of the HTML part when the message also has a plain-text part: scored too, since the agent may read it. */
    htmlText?: string;
  } = {},
): InjectionScore {
  const { window, z } = worstWindow(model, input, opts.htmlText);
  const score = sigmoid(model.calibration.a * z + model.calibration.b);
  const reasons: InjectionReason[] = [...new Set(window.rules)]
    .filter((code) => DESCRIBED.has(code) && (model.rules[code] ?? 0) > 0)
    .sort((a, b) => (model.rules[b] ?? 0) - (model.rules[a] ?? 0))
    .map((code) => ({ code, description: DESCRIBED.get(code) ?? code }));
  if (tokenPartOf(model, window.features.tokens) > 1) reasons.push(LEARNED);
  if (window.source === "html") reasons.push(FROM_HTML);
  return { score, reasons };
}

/** The same score, taken apart: bias, n-gram part and each signal's weight in the window that decided it. */
export function explainInjection(model: InjectionModel, input: string, htmlText?: string): Explanation {
  const { window, z, index, of } = worstWindow(model, input, htmlText);
  return {
    score: sigmoid(model.calibration.a * z + model.calibration.b),
    logit: z,
    bias: model.bias,
    ngrams: tokenPartOf(model, window.features.tokens),
    signals: [...new Set(window.rules)]
      .map((code) => ({ code, weight: model.rules[code] ?? 0, description: DESCRIBED.get(code) ?? null }))
      .sort((a, b) => b.weight - a.weight),
    calibration: model.calibration,
    window: { source: window.source, index, of },
  };
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

/** Reads a model from its two files' contents: JSON metadata and little-endian float32 n-gram weights. */
export function loadInjectionModel(
  meta: {
    hash_bits?: number;
    bias: number;
    rules: Record<string, number>;
    calibration: { a: number; b: number };
    token_ref?: number | null;
    ngram_cap?: number | null;
  },
  weights: Buffer,
): InjectionModel {
  if ((meta.hash_bits ?? 16) !== HASH_BITS)
    throw new Error(
      `injection model hashes into 2^${meta.hash_bits} features; this scorer reads 2^${HASH_BITS}`,
    );
  const tokens = new Float32Array(1 << HASH_BITS);
  for (let i = 0; i < tokens.length; i++) tokens[i] = weights.readFloatLE(i * 4);
  return {
    bias: meta.bias,
    rules: meta.rules,
    calibration: meta.calibration,
    tokens,
    tokenRef: meta.token_ref ?? null,
    ngramCap: meta.ngram_cap ?? null,
  };
}
