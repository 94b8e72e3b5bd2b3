// Fitting the injection model: features computed once per example, logistic regression by AdaGrad, Platt
// calibration. Shared by the training script and the leave-one-out evaluation, so both fit the same way.
import { DERIVED, HASH_BITS, RULES, SIGNALS } from "../packages/server/src/domain/injection/features.ts";
import { normalizeForScoring } from "../packages/server/src/domain/injection/normalize.ts";
import {
  capNgrams,
  type InjectionModel,
  scoringWindows,
  tokenScale,
} from "../packages/server/src/domain/injection/score.ts";
import { carriersOf, type Example, loadExamples } from "./injection-data.ts";

export const RULE_CODES = [...RULES.map((r) => r.code), ...SIGNALS.map((s) => s.code), ...DERIVED.map((d) => d.code)];

/**
 * Where each signal's weight starts and what its penalty pulls it back to: every named signal is a sign of attack
 * by construction (+2), derived features are neutral (0). The data moves a weight where it has examples; a signal
 * the data never shows — tool-call JSON, say — keeps its prior instead of counting for nothing.
 */
export const PRIOR = Float64Array.from(RULE_CODES, (c) =>
  [...RULES, ...SIGNALS].some((r) => r.code === c) ? 2 : 0,
);
const RULE_INDEX = new Map(RULE_CODES.map((c, i) => [c, i]));

export interface Prepared {
  example: Example;
  /** The windows the scorer reads (text, decoded, as at scoring time): n-gram indices and signal indices. */
  windows: { tokens: Int32Array; rules: Int16Array; source: string; range: [number, number] }[];
  /**
   * For an attack inserted into a known benign carrier: where the inserted text lies in the normalized text.
   * Only windows that overlap it are trained as injected; the rest is the carrier's own text.
   */
  inserted: [number, number] | null;
}

/**
 * Computes every example's features once; folds and hyper-parameters then only re-weight and re-fit. An attack
 * with a known carrier gets its inserted span: what the two normalized texts do not share at start and end.
 */
export function prepare(examples: Example[], carriers: Map<string, Example>): Prepared[] {
  return examples.map((example) => {
    const carrier = example.label === 1 ? carriers.get(example.id) : undefined;
    let inserted: [number, number] | null = null;
    if (carrier) {
      const a = normalizeForScoring(example.text).text;
      const b = normalizeForScoring(carrier.text).text;
      let head = 0;
      while (head < a.length && head < b.length && a[head] === b[head]) head++;
      let tail = 0;
      while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
      if (a.length - tail > head) inserted = [head, a.length - tail];
    }
    return {
      example,
      inserted,
      windows: scoringWindows(example.text).map((w) => ({
        tokens: Int32Array.from(w.features.tokens),
        rules: Int16Array.from(w.rules.map((r) => RULE_INDEX.get(r)!).filter((i) => i !== undefined)),
        source: w.source,
        range: w.range,
      })),
    };
  });
}

export interface Params {
  /** L2 penalty on the signal weights. */
  l2: number;
  /** L2 penalty on the n-gram weights: higher leans on the named signals, lower on the wording of the data. */
  tokenL2: number;
  /** See InjectionModel.tokenRef. */
  tokenRef: number | null;
  /** See InjectionModel.ngramCap. */
  ngramCap: number | null;
  epochs: number;
}

export interface Fitted {
  bias: number;
  tokens: Float32Array;
  rules: Float64Array;
  tokenRef: number | null;
  ngramCap: number | null;
}

/** Seeded PRNG (mulberry32), so every run shuffles the same way. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Instance {
  tokens: Int32Array;
  rules: Int16Array;
  label: 0 | 1;
  weight: number;
  /** 1, or 0 when the n-grams are not to learn from this window (a language seen with one label only). */
  ngrams: number;
}

/**
 * The training windows, weighted so that no one data set decides: injected and benign text weigh half each; within
 * them every attack family, and every benign source, weighs the same; an example's windows share its weight. Each
 * attack whose benign carrier is in the training set is paired with that carrier as a negative of the same weight.
 */
export function instances(train: Prepared[], carriers: Map<string, Prepared>): Instance[] {
  const groupOf = (p: Prepared) => (p.example.label === 1 ? `1:${p.example.family}` : `0:${p.example.source}`);
  const sizes = new Map<string, number>();
  for (const p of train) sizes.set(groupOf(p), (sizes.get(groupOf(p)) ?? 0) + 1);
  const groups = (label: 0 | 1) => [...sizes.keys()].filter((g) => g.startsWith(`${label}:`)).length;
  const out: Instance[] = [];
  const inTrain = new Set(train.map((p) => p.example.id));
  // Within a language other than English, benign text weighs at least as much as injected text: otherwise the
  // n-grams of a language with more attacks than benign lines in the data would be learnt as a sign of attack.
  const langWeight = new Map<string, [number, number]>();
  const langOf = (p: Prepared) => p.example.lang ?? "en";
  for (const p of train) {
    const w = (0.5 / groups(p.example.label) / sizes.get(groupOf(p))!) * train.length;
    const lw = langWeight.get(langOf(p)) ?? [0, 0];
    lw[p.example.label] += w;
    langWeight.set(langOf(p), lw);
  }
  // A language seen with one label only (benign mails in Danish, say, and no attack in Danish) cannot teach the
  // n-grams what an attack in it looks like — only that the language itself was benign in this data, which an
  // attacker would exploit by writing in it. Its windows still train the signals, not the n-grams.
  const langCount = new Map<string, [number, number]>();
  for (const p of train) {
    const c = langCount.get(langOf(p)) ?? [0, 0];
    c[p.example.label]++;
    langCount.set(langOf(p), c);
  }
  const ngramsLearn = (p: Prepared) => {
    const [neg, pos] = langCount.get(langOf(p))!;
    return langOf(p) === "en" || (neg >= 3 && pos >= 3) ? 1 : 0;
  };
  const benignBoost = (p: Prepared) => {
    const [neg, pos] = langWeight.get(langOf(p))!;
    return p.example.label === 0 && langOf(p) !== "en" && neg > 0 && pos > neg ? pos / neg : 1;
  };
  for (const p of train) {
    const weight = (0.5 / groups(p.example.label) / sizes.get(groupOf(p))!) * train.length * benignBoost(p);
    // An attack's windows that hold none of the inserted text are its carrier's: not evidence either way.
    const span = p.inserted;
    const windows = span
      ? p.windows.filter((w) => w.source !== "text" || (w.range[0] < span[1] && w.range[1] > span[0]))
      : p.windows;
    const ngrams = ngramsLearn(p);
    for (const w of windows)
      out.push({ tokens: w.tokens, rules: w.rules, label: p.example.label, weight: weight / windows.length, ngrams });
    const carrier = p.example.label === 1 ? carriers.get(p.example.id) : undefined;
    // Every carrier window weighs as much as a window of the attack: the carrier's own words, which also surround
    // the inserted text in the attack's windows, must come out benign.
    if (carrier && inTrain.has(carrier.example.id))
      for (const w of carrier.windows)
        out.push({ tokens: w.tokens, rules: w.rules, label: 0, weight: weight / windows.length, ngrams });
  }
  return out;
}

const LEARNING_RATE = 0.2;
/**
 * No signal weighs more than this. A signal that never fires on the benign data (a request above a letter's
 * greeting, say) would otherwise grow without bound, and alone decide a quarantine; but every heuristic has
 * benign look-alikes in real mail that no data set here shows. At 4 a single signal with neutral wording makes a
 * warning; it takes a second signal, or attack-like wording, to reach the threshold.
 */
const RULE_MAX = 4;

/** Logistic regression over sparse features by AdaGrad, in a seeded order: the same data gives the same model. */
export function fit(data: Instance[], params: Params): Fitted {
  const tokenW = new Float64Array(1 << HASH_BITS);
  const tokenG = new Float64Array(1 << HASH_BITS).fill(1e-8);
  const ruleW = Float64Array.from(PRIOR);
  const ruleG = new Float64Array(RULE_CODES.length).fill(1e-8);
  let bias = 0;
  let biasG = 1e-8;
  const random = prng(20261127);
  const avgTokens = new Float64Array(1 << HASH_BITS);
  const avgRules = new Float64Array(RULE_CODES.length);
  let avgBias = 0;
  let snapshots = 0;
  const snapshot = () => {
    for (let i = 0; i < avgTokens.length; i++) avgTokens[i]! += tokenW[i]!;
    for (let i = 0; i < avgRules.length; i++) avgRules[i]! += ruleW[i]!;
    avgBias += bias;
    snapshots++;
  };
  const order = data.map((_, i) => i);
  for (let epoch = 0; epoch < params.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (let n = 0; n < order.length; n++) {
      const x = data[order[n]!]!;
      // Averaging (Polyak): over the second half of training, the weights are averaged at four points per epoch,
      // so the model does not depend on where the last few updates happened to leave it.
      if (epoch >= params.epochs / 2 && n % Math.ceil(order.length / 4) === 0) snapshot();
      const scale = tokenScale(params.tokenRef, x.tokens.length);
      let part = 0;
      for (const t of x.tokens) part += tokenW[t]!;
      part *= scale;
      const capped = capNgrams(part, params.ngramCap);
      let z = bias + capped;
      for (const r of x.rules) z += ruleW[r]!;
      const p = 1 / (1 + Math.exp(-z));
      const g = x.weight * (p - x.label);
      biasG += g * g;
      bias -= (LEARNING_RATE * g) / Math.sqrt(biasG);
      // Past the cap the n-gram part no longer moves the logit: its weights get only their L2 pull.
      const gTokens = capped === part ? g * scale * x.ngrams : 0;
      for (const t of x.tokens) {
        const gt = gTokens + params.tokenL2 * tokenW[t]!;
        tokenG[t]! += gt * gt;
        tokenW[t]! -= (LEARNING_RATE * gt) / Math.sqrt(tokenG[t]!);
      }
      for (const r of x.rules) {
        const gr = g + params.l2 * (ruleW[r]! - PRIOR[r]!);
        ruleG[r]! += gr * gr;
        ruleW[r]! = Math.min(RULE_MAX, ruleW[r]! - (LEARNING_RATE * gr) / Math.sqrt(ruleG[r]!));
      }
    }
  }
  snapshot();
  return {
    bias: avgBias / snapshots,
    tokens: Float32Array.from(avgTokens, (w) => w / snapshots),
    rules: avgRules.map((w) => w / snapshots),
    tokenRef: params.tokenRef,
    ngramCap: params.ngramCap,
  };
}

/** An example's raw logit: its worst window, as the scorer takes it. */
export function logitOf(m: Fitted, p: Prepared): number {
  let best = Number.NEGATIVE_INFINITY;
  for (const w of p.windows) {
    const scale = tokenScale(m.tokenRef, w.tokens.length);
    let z = 0;
    for (const t of w.tokens) z += m.tokens[t]!;
    z = m.bias + capNgrams(z * scale, m.ngramCap);
    for (const r of w.rules) z += m.rules[r]!;
    if (z > best) best = z;
  }
  return best;
}

/**
 * Platt scaling on held-out examples, injected and benign weighing half each (and within them every family and
 * source the same): the score reads as the probability of an injection when both are equally likely.
 */
export function calibrate(m: Fitted, held: Prepared[]): { a: number; b: number } {
  const groupOf = (p: Prepared) => (p.example.label === 1 ? `1:${p.example.family}` : `0:${p.example.source}`);
  const sizes = new Map<string, number>();
  for (const p of held) sizes.set(groupOf(p), (sizes.get(groupOf(p)) ?? 0) + 1);
  const groups = (label: number) => [...sizes.keys()].filter((g) => g.startsWith(`${label}:`)).length;
  const points = held.map((p) => ({
    z: logitOf(m, p),
    y: p.example.label,
    w: 0.5 / groups(p.example.label) / sizes.get(groupOf(p))!,
  }));
  let a = 1;
  let b = 0;
  for (let step = 0; step < 4000; step++) {
    let ga = 0;
    let gb = 0;
    for (const c of points) {
      const p = 1 / (1 + Math.exp(-(a * c.z + b)));
      ga += c.w * (p - c.y) * c.z;
      gb += c.w * (p - c.y);
    }
    a -= 0.5 * ga;
    b -= 0.5 * gb;
  }
  return { a, b };
}

export function probability(m: Fitted, cal: { a: number; b: number }, p: Prepared): number {
  return 1 / (1 + Math.exp(-(cal.a * logitOf(m, p) + cal.b)));
}

export function toModel(m: Fitted, calibration: { a: number; b: number }): InjectionModel {
  return {
    bias: m.bias,
    tokens: m.tokens,
    rules: Object.fromEntries(RULE_CODES.map((c, i) => [c, m.rules[i]!])),
    calibration,
    tokenRef: m.tokenRef,
    ngramCap: m.ngramCap,
  };
}

/**
 * The highest score of any benign held-out example (every source's examples; under a hundred per source, as all
 * are here, the 1 % quantile is the maximum): the base the quarantine threshold is set from.
 */
export function highestBenign(m: Fitted, cal: { a: number; b: number }, held: Prepared[]): number {
  let t = 0.5;
  const sources = new Set(held.filter((p) => p.example.label === 0).map((p) => p.example.source));
  for (const source of sources) {
    const scores = held
      .filter((p) => p.example.label === 0 && p.example.source === source)
      .map((p) => probability(m, cal, p))
      .sort((x, y) => y - x);
    t = Math.max(t, scores[Math.floor(0.01 * scores.length)]!);
  }
  return t;
}

/**
 * The quarantine threshold: the highest benign held-out score, moved up by `margin` in logit space — mail from a
 * kind of sender the data never showed scores higher than the kinds it did, and the margin (chosen on
 * leave-one-source-out folds) is what keeps such mail under the threshold. Rounded up to 4 decimals.
 */
export function thresholdFrom(highest: number, margin: number): number {
  const p = Math.min(highest, 1 - 1e-9);
  const t = 1 / (1 + Math.exp(-(Math.log(p / (1 - p)) + margin)));
  return Math.min(0.9999, Math.ceil((t + 1e-9) * 10000) / 10000);
}

export function chooseThreshold(m: Fitted, cal: { a: number; b: number }, held: Prepared[], margin: number): number {
  return thresholdFrom(highestBenign(m, cal, held), margin);
}

/** Every example of the data with its features, and each attack's carrier among them: what folds are cut from. */
export function loadPrepared() {
  const { examples, sha256 } = loadExamples();
  const carrierExamples = carriersOf(examples);
  const all = prepare(examples, carrierExamples);
  const byId = new Map(all.map((p) => [p.example.id, p]));
  const carriers = new Map([...carrierExamples].map(([id, c]) => [id, byId.get(c.id)!]));
  return { examples, sha256, all, carriers };
}
