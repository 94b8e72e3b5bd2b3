// npm run train:injection — trains the prompt-injection model from ../shared/data/injection/corpus.jsonl and
// writes packages/server/data/injection-model.{json,bin}. Deterministic: fixed split, seeded shuffle.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { DERIVED, HASH_BITS, RULES, SIGNALS } from "../packages/server/src/domain/injection/features.ts";
import { normalizeForScoring } from "../packages/server/src/domain/injection/normalize.ts";
import { windowFeatures, windows } from "../packages/server/src/domain/injection/score.ts";
import { loadCorpus, splitOf } from "./injection-data.ts";
import { evaluate } from "./injection.ts";

const EPOCHS = Number(process.env.EPOCHS ?? 12);
const LEARNING_RATE = 0.2;
const L2 = Number(process.env.L2 ?? 2e-5);

interface Instance {
  tokens: number[];
  rules: string[];
  label: 0 | 1;
  weight: number;
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

function instancesOf(text: string): { tokens: number[]; rules: string[] }[] {
  const n = normalizeForScoring(text);
  const signals: string[] = [];
  if (n.invisible >= 3) signals.push("invisible_characters");
  if (n.tagged > 0) signals.push("hidden_tag_text");
  return windows(n.text).map((w) => {
    const f = windowFeatures(w);
    return { tokens: [...f.tokens], rules: [...f.rules, ...signals] };
  });
}

const { examples, sha256 } = loadCorpus();
// An injected BIPIA email whose clean original is held out (test or calibration) would teach the model that
// original's text as "injection" and leak it into training: such emails are left out.
const heldOutOriginals = examples.filter(
  (e) => e.source === "bipia_email_train" && e.label === 0 && splitOf(e) !== "train",
);
const containsHeldOut = (e: (typeof examples)[number]) =>
  e.source === "bipia_email_train" && e.label === 1 && heldOutOriginals.some((b) => e.text.includes(b.text.slice(0, 60)));
const train = examples.filter((e) => splitOf(e) === "train" && !containsHeldOut(e));
const calibration = examples.filter((e) => splitOf(e) === "calibration");

// Balanced: each class weighs half; within the benign class each source weighs the same, so the many
// over-defence prompts do not drown out the few real emails.
const benignSources = [...new Set(train.filter((e) => e.label === 0).map((e) => e.source))];
const benignPerSource = new Map(benignSources.map((s) => [s, train.filter((e) => e.label === 0 && e.source === s).length]));
const positives = train.filter((e) => e.label === 1).length;
const positiveWeight = (_source: string) => 0.5 / positives;
const instances: Instance[] = train.flatMap((e) => {
  const weight =
    e.label === 1 ? positiveWeight(e.source) : 0.5 / benignSources.length / benignPerSource.get(e.source)!;
  return instancesOf(e.text).map((f) => ({ ...f, label: e.label, weight: weight * train.length }));
});
// BIPIA injects its attacks into 50 ordinary emails, which are also in the corpus unchanged. Without care the
// model learns "this email" rather than "this attack". So each injected email is paired with its clean original
// (when that original is in the training split) as a negative of the same weight: what differs is the attack.
const bipiaOriginals = train.filter((e) => e.source === "bipia_email_train" && e.label === 0);
let paired = 0;
for (const e of train) {
  if (e.source !== "bipia_email_train" || e.label !== 1) continue;
  const original = bipiaOriginals.find((b) => e.text.includes(b.text.slice(0, 60)));
  if (!original) continue;
  paired++;
  for (const f of instancesOf(original.text))
    instances.push({ ...f, label: 0, weight: positiveWeight(e.source) * train.length });
}
console.log(`${instances.length} training windows; ${paired} injected emails paired with their originals`);

// Logistic regression by AdaGrad over sparse features.
const tokenW = new Float64Array(1 << HASH_BITS);
const tokenG = new Float64Array(1 << HASH_BITS).fill(1e-8);
const ruleCodes = [...RULES.map((r) => r.code), ...SIGNALS.map((s) => s.code), ...DERIVED.map((d) => d.code)];
const ruleW = new Map(ruleCodes.map((c) => [c, 0]));
const ruleG = new Map(ruleCodes.map((c) => [c, 1e-8]));
let bias = 0;
let biasG = 1e-8;
const random = prng(20261122);
const order = instances.map((_, i) => i);
for (let epoch = 0; epoch < EPOCHS; epoch++) {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  let loss = 0;
  for (const idx of order) {
    const x = instances[idx]!;
    let z = bias;
    for (const t of x.tokens) z += tokenW[t]!;
    for (const r of x.rules) z += ruleW.get(r)!;
    const p = 1 / (1 + Math.exp(-z));
    loss += x.weight * -(x.label ? Math.log(p + 1e-12) : Math.log(1 - p + 1e-12));
    const g = x.weight * (p - x.label);
    biasG += g * g;
    bias -= (LEARNING_RATE * g) / Math.sqrt(biasG);
    for (const t of x.tokens) {
      const gt = g + L2 * tokenW[t]!;
      tokenG[t]! += gt * gt;
      tokenW[t]! -= (LEARNING_RATE * gt) / Math.sqrt(tokenG[t]!);
    }
    for (const r of x.rules) {
      const gr = g + L2 * ruleW.get(r)!;
      ruleG.set(r, ruleG.get(r)! + gr * gr);
      ruleW.set(r, ruleW.get(r)! - (LEARNING_RATE * gr) / Math.sqrt(ruleG.get(r)!));
    }
  }
  console.log(`epoch ${epoch + 1}: weighted loss ${(loss / instances.length).toFixed(4)}`);
}

// Platt scaling on the calibration split, classes weighted equally (the score reads as if injected and benign
// mail were equally common; the quarantine threshold then sets how sure we must be).
const model = {
  bias,
  tokens: Float32Array.from(tokenW),
  rules: Object.fromEntries(ruleW),
  calibration: { a: 1, b: 0 },
};
const calib = calibration.map((e) => {
  const z = Math.max(
    ...instancesOf(e.text).map((f) => {
      let s = model.bias;
      for (const t of f.tokens) s += model.tokens[t]!;
      for (const r of f.rules) s += model.rules[r] ?? 0;
      return s;
    }),
  );
  return { z, label: e.label };
});
const nPos = calib.filter((c) => c.label === 1).length;
const nNeg = calib.length - nPos;
let a = 1;
let b = 0;
for (let step = 0; step < 3000; step++) {
  let ga = 0;
  let gb = 0;
  for (const c of calib) {
    const w = c.label ? 0.5 / nPos : 0.5 / nNeg;
    const p = 1 / (1 + Math.exp(-(a * c.z + b)));
    ga += w * (p - c.label) * c.z;
    gb += w * (p - c.label);
  }
  a -= 0.5 * ga;
  b -= 0.5 * gb;
}
// Then the operating point: the quarantine threshold (0.8) must stay above all but 1 % of every benign source's
// calibration examples; if Platt scaling put it lower, the curve is shifted down until it does.
const THRESHOLD_LOGIT = Math.log(0.8 / 0.2);
const benignCalib = new Map<string, number[]>();
calibration.forEach((e, i) => {
  if (e.label === 0) benignCalib.set(e.source, [...(benignCalib.get(e.source) ?? []), a * calib[i]!.z + b]);
});
let shift = 0;
for (const zs of benignCalib.values()) {
  const sorted = [...zs].sort((x, y) => y - x);
  const allowed = Math.floor(0.01 * sorted.length);
  shift = Math.max(shift, sorted[allowed]! - THRESHOLD_LOGIT + 0.05);
}
b -= shift;
console.log(`operating point: shifted the calibrated logit down by ${shift.toFixed(3)}`);
model.calibration = { a, b };

const commit = (() => {
  try {
    const head = execFileSync("git", ["rev-parse", "HEAD"]).toString().trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "eval", "packages/server/src/domain/injection"])
      .toString()
      .trim();
    return dirty ? `${head} (with uncommitted changes to the scorer or this script)` : head;
  } catch {
    return "unknown";
  }
})();

const metrics = evaluate(model, examples.filter((e) => splitOf(e) === "test"));
const out = new URL("../packages/server/data/", import.meta.url);
writeFileSync(new URL("injection-model.bin", out), Buffer.from(model.tokens.buffer));
writeFileSync(
  new URL("injection-model.json", out),
  `${JSON.stringify(
    {
      format: "postbox-injection-logreg/1",
      hash_bits: HASH_BITS,
      bias: model.bias,
      rules: model.rules,
      calibration: model.calibration,
      provenance: {
        script: "eval/train-injection.ts",
        source_commit: commit,
        corpus: "../shared/data/injection/corpus.jsonl",
        corpus_sha256: sha256,
        split: "sha256(id) per example: 20 % test, 15 % calibration, 65 % training",
        training: { examples: train.length, windows: instances.length, epochs: EPOCHS, learning_rate: LEARNING_RATE, l2: L2 },
        trained_at: new Date().toISOString(),
      },
      held_out_metrics: metrics,
    },
    null,
    2,
  )}\n`,
);
console.log(`calibration a=${a.toFixed(3)} b=${b.toFixed(3)}; wrote packages/server/data/injection-model.{json,bin}`);
