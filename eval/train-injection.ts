// npm run train:injection — trains the prompt-injection model from ../shared/data/injection/corpus.jsonl and
// writes packages/server/data/injection-model.{json,bin}. Deterministic: fixed split, seeded shuffle.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { DERIVED, HASH_BITS, RULES, SIGNALS } from "../packages/server/src/domain/injection/features.ts";
import { normalizeForScoring } from "../packages/server/src/domain/injection/normalize.ts";
import { type InjectionModel, rawLogit, tokenScale, windowFeatures, windows } from "../packages/server/src/domain/injection/score.ts";
import { loadCorpus, type Split, splitOf } from "./injection-data.ts";
import { evaluate } from "./injection.ts";

const EPOCHS = Number(process.env.EPOCHS ?? 12);
const LEARNING_RATE = 0.2;

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
const calibration = examples.filter((e) => splitOf(e) === "calibration");

/**
 * Training windows from the examples of the given splits. An injected BIPIA email whose clean original is in
 * another split would teach the model that original's text as "injection" and leak it: such emails are left out.
 * Balanced: each class weighs half; within the benign class each source weighs the same, so the many
 * over-defence prompts do not drown out the few real emails. BIPIA injects its attacks into 50 ordinary emails,
 * which are also in the corpus unchanged: each injected email is paired with its clean original as a negative of
 * the same weight, so what differs — the attack — is what the model learns.
 */
function trainingSet(splits: Split[]): { examples: number; instances: Instance[] } {
  const inSplits = (e: (typeof examples)[number]) => splits.includes(splitOf(e));
  const elsewhere = examples.filter((e) => e.source === "bipia_email_train" && e.label === 0 && !inSplits(e));
  const train = examples.filter(
    (e) =>
      inSplits(e) &&
      !(e.source === "bipia_email_train" && e.label === 1 && elsewhere.some((b) => e.text.includes(b.text.slice(0, 60)))),
  );
  const benignSources = [...new Set(train.filter((e) => e.label === 0).map((e) => e.source))];
  const benignPerSource = new Map(
    benignSources.map((s) => [s, train.filter((e) => e.label === 0 && e.source === s).length]),
  );
  const positiveWeight = (0.5 / train.filter((e) => e.label === 1).length) * train.length;
  const instances: Instance[] = train.flatMap((e) => {
    const weight =
      e.label === 1 ? positiveWeight : (0.5 / benignSources.length / benignPerSource.get(e.source)!) * train.length;
    return instancesOf(e.text).map((f) => ({ ...f, label: e.label, weight }));
  });
  const originals = train.filter((e) => e.source === "bipia_email_train" && e.label === 0);
  for (const e of train) {
    if (e.source !== "bipia_email_train" || e.label !== 1) continue;
    const original = originals.find((b) => e.text.includes(b.text.slice(0, 60)));
    if (original) for (const f of instancesOf(original.text)) instances.push({ ...f, label: 0, weight: positiveWeight });
  }
  return { examples: train.length, instances };
}

/** Trains on the given windows, then calibrates and sets the operating point on the calibration split. */
function fit(instances: Instance[], l2: number, clip: number | null, tokenRef: number | null): InjectionModel {
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
      const scale = tokenScale(tokenRef, x.tokens.length);
      let z = bias;
      for (const t of x.tokens) z += tokenW[t]! * scale;
      for (const r of x.rules) z += ruleW.get(r)!;
      const p = 1 / (1 + Math.exp(-z));
      loss += x.weight * -(x.label ? Math.log(p + 1e-12) : Math.log(1 - p + 1e-12));
      const g = x.weight * (p - x.label);
      biasG += g * g;
      bias -= (LEARNING_RATE * g) / Math.sqrt(biasG);
      for (const t of x.tokens) {
        const gt = g * scale + l2 * tokenW[t]!;
        tokenG[t]! += gt * gt;
        tokenW[t]! -= (LEARNING_RATE * gt) / Math.sqrt(tokenG[t]!);
      }
      for (const r of x.rules) {
        const gr = g + l2 * ruleW.get(r)!;
        ruleG.set(r, ruleG.get(r)! + gr * gr);
        ruleW.set(r, ruleW.get(r)! - (LEARNING_RATE * gr) / Math.sqrt(ruleG.get(r)!));
      }
    }
    if (epoch === EPOCHS - 1) console.log(`  l2=${l2} clip=${clip ?? "none"} token_ref=${tokenRef ?? "none"}: final weighted loss ${(loss / instances.length).toFixed(4)}`);
  }
  // Clipping bounds what one word (or bigram) can add: no single phrase should decide alone.
  if (clip !== null) for (let i = 0; i < tokenW.length; i++) tokenW[i] = Math.max(-clip, Math.min(clip, tokenW[i]!));

  // Platt scaling on the calibration split, classes weighted equally (the score reads as if injected and benign
  // mail were equally common; the quarantine threshold then sets how sure we must be).
  const model: InjectionModel = {
    bias,
    tokens: Float32Array.from(tokenW),
    rules: Object.fromEntries(ruleW),
    calibration: { a: 1, b: 0 },
    tokenRef,
  };
  const calib = calibration.map((e) => {
    const z = Math.max(...instancesOf(e.text).map((f) => rawLogit(model, { tokens: new Set(f.tokens), rules: f.rules })));
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
  model.calibration = { a, b };
  return model;
}

// Hyper-parameters are chosen on the validation split (never on test): fewest false positives at 0.8 on the
// worst benign source first, then the best AUC of injected text against benign email.
const validation = examples.filter((e) => splitOf(e) === "validation");
const tuning = trainingSet(["train"]);
type Settings = { l2: number; clip: number | null; tokenRef: number | null };
const grid: (Settings & { validation: ReturnType<typeof evaluate> })[] = [];
let chosen: (Settings & { model: InjectionModel; worstFpr: number; auc: number }) | null = null;
for (const l2 of [2e-5, 1e-4, 5e-4]) {
  for (const [clip, tokenRef] of [[null, null], [0.75, null], [null, 400], [null, 150]] as const) {
    const m = fit(tuning.instances, l2, clip, tokenRef);
    const v = evaluate(m, validation);
    grid.push({ l2, clip, tokenRef, validation: v });
    const worstFpr = Math.max(
      ...Object.values(v.per_source)
        .filter((r) => r.positives === 0)
        .map((r) => r.fpr_at_threshold ?? 0),
    );
    const auc = v.injected_vs_benign_email.auc ?? 0;
    if (!chosen || worstFpr < chosen.worstFpr || (worstFpr === chosen.worstFpr && auc > chosen.auc))
      chosen = { l2, clip, tokenRef, model: m, worstFpr, auc };
  }
}
// The chosen settings are then trained again on training and validation data together.
const final = trainingSet(["train", "validation"]);
const model = fit(final.instances, chosen!.l2, chosen!.clip, chosen!.tokenRef);
console.log(`chosen on validation: l2=${chosen!.l2} clip=${chosen!.clip ?? "none"} token_ref=${chosen!.tokenRef ?? "none"} (worst benign FPR@0.8 ${chosen!.worstFpr}, AUC vs email ${chosen!.auc})`);

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
      token_ref: model.tokenRef,
      provenance: {
        script: "eval/train-injection.ts",
        source_commit: commit,
        corpus: "../shared/data/injection/corpus.jsonl",
        corpus_sha256: sha256,
        split: "sha256(id) per example (BIPIA attacks by category): 20 % test, 15 % calibration, 12 % validation, 53 % training",
        training: {
          examples: final.examples,
          windows: final.instances.length,
          epochs: EPOCHS,
          learning_rate: LEARNING_RATE,
          chosen: { l2: chosen!.l2, token_weight_clip: chosen!.clip, token_ref: chosen!.tokenRef },
          grid: grid.map((g) => ({
            l2: g.l2,
            token_weight_clip: g.clip,
            token_ref: g.tokenRef,
            validation_auc_vs_email: g.validation.injected_vs_benign_email.auc,
            validation_worst_benign_fpr_at_threshold: Math.max(
              ...Object.values(g.validation.per_source)
                .filter((r) => r.positives === 0)
                .map((r) => r.fpr_at_threshold ?? 0),
            ),
          })),
        },
        trained_at: new Date().toISOString(),
      },
      held_out_metrics: metrics,
    },
    null,
    2,
  )}\n`,
);
console.log(`wrote packages/server/data/injection-model.{json,bin}`);
