// npm run train:injection — trains the prompt-injection model on ../shared/data/injection/{corpus,extra}.jsonl
// and writes packages/server/data/injection-model.{json,bin}. Deterministic: fixed splits, seeded order.
// Hyper-parameters are chosen on leave-one-family-out and leave-one-source-out folds (benign negatives from the
// calibration split); the test split is only read once, for the figures written beside the model.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { HASH_BITS } from "../packages/server/src/domain/injection/features.ts";
import { splitOf } from "./injection-data.ts";
import { type CrossValidation, runFolds, summarize, testSplitTable } from "./injection.ts";
import {
  calibrate,
  chooseThreshold,
  fit,
  instances,
  type Params,
  type Prepared,
  loadPrepared,
  probability,
  toModel,
} from "./injection-fit.ts";

const EPOCHS = Number(process.env.EPOCHS ?? 16);
const quick = process.argv.includes("--quick");

const started = Date.now();
const { examples, sha256, all, carriers } = loadPrepared();
console.log(
  `${examples.length} examples, ${all.reduce((n, p) => n + p.windows.length, 0)} windows, ${carriers.size} attacks with a known carrier (${((Date.now() - started) / 1000).toFixed(1)} s)`,
);

/**
 * Held-out families ranked (macro AUC) and caught at the threshold (mean TPR), less held-out benign sources
 * flagged at it (mean FPR, counted twice: a false quarantine costs a person's mail).
 */
const merit = (cv: CrossValidation) => cv.macro_auc + cv.mean_tpr_at_threshold - 2 * cv.mean_fpr;
/** First the most held-out benign sources kept at 1 % or less, then merit. */
const better = (a: CrossValidation, b: CrossValidation | null) =>
  !b ||
  a.sources_within_1pct > b.sources_within_1pct ||
  (a.sources_within_1pct === b.sources_within_1pct && merit(a) > merit(b));

/** Threshold margins tried (logit units above the highest held-out benign score): 0 is the old rule. */
const MARGINS = [0, 0.5, 1, 1.5, 2];
const grid: (Params & {
  margin: number;
  macro_auc: number;
  min_auc: number;
  worst_fpr: number;
  mean_fpr: number;
  sources_within_1pct: number;
  mean_tpr_at_threshold: number;
})[] = [];
let chosen: { params: Params; cv: CrossValidation } | null = null;
const l2 = 5e-5;
const tokenRef = 25;
const ngramCap = 3;
for (const tokenL2 of quick ? [1e-3] : [1e-3, 3e-3]) {
  const params: Params = { l2, tokenL2, tokenRef, ngramCap, epochs: EPOCHS };
  const folds = runFolds(all, carriers, params, "calibration");
  for (const margin of MARGINS) {
    const cv = summarize(folds, margin);
    grid.push({
      ...params,
      margin,
      macro_auc: cv.macro_auc,
      min_auc: cv.min_auc,
      worst_fpr: cv.worst_fpr,
      mean_fpr: cv.mean_fpr,
      sources_within_1pct: cv.sources_within_1pct,
      mean_tpr_at_threshold: cv.mean_tpr_at_threshold,
    });
    console.log(
      `token_l2=${tokenL2} margin=${margin}: macro AUC ${cv.macro_auc}, weakest family ${cv.min_auc}, TPR at threshold ${cv.mean_tpr_at_threshold}, benign sources within 1 % ${cv.sources_within_1pct}/${cv.sources.length}, FPR worst ${cv.worst_fpr} mean ${cv.mean_fpr} (${((Date.now() - started) / 1000).toFixed(0)} s)`,
    );
    if (better(cv, chosen?.cv ?? null)) chosen = { params, cv };
  }
}
const params = chosen!.params;
const margin = chosen!.cv.margin;
console.log(`chosen: token_l2=${params.tokenL2} margin=${margin}`);

// The final model: every family, the training split; calibrated on the calibration split.
const train = all.filter((p) => splitOf(p.example) === "train");
const inTrain = new Set(train.map((p) => p.example.id));
const trainable = train.filter((p) => {
  const c = carriers.get(p.example.id);
  return !c || inTrain.has(c.example.id);
});
const data = instances(trainable, carriers);
const fitted = fit(data, params);
const calibrationSet: Prepared[] = all.filter((p) => splitOf(p.example) === "calibration");
const calibration = calibrate(fitted, calibrationSet);
const model = toModel(fitted, calibration);
const THRESHOLD = chooseThreshold(fitted, calibration, calibrationSet, margin);
console.log(`quarantine threshold ${THRESHOLD}`);

// Where the threshold falls on the calibration split's benign sources (at most 1 % each, by construction).
const calibrationFpr = Object.fromEntries(
  [...new Set(calibrationSet.filter((p) => p.example.label === 0).map((p) => p.example.source))].sort().map((s) => {
    const scores = calibrationSet
      .filter((p) => p.example.label === 0 && p.example.source === s)
      .map((p) => probability(fitted, calibration, p));
    return [s, Math.round((scores.filter((x) => x >= THRESHOLD).length / scores.length) * 10000) / 10000];
  }),
);

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

const out = new URL("../packages/server/data/", import.meta.url);
writeFileSync(new URL("injection-model.bin", out), Buffer.from(model.tokens.buffer));
writeFileSync(
  new URL("injection-model.json", out),
  `${JSON.stringify(
    {
      format: "postbox-injection-logreg/2",
      hash_bits: HASH_BITS,
      bias: model.bias,
      rules: model.rules,
      calibration: model.calibration,
      token_ref: model.tokenRef,
      ngram_cap: model.ngramCap,
      quarantine_threshold: THRESHOLD,
      provenance: {
        script: "eval/train-injection.ts",
        source_commit: commit,
        data: {
          corpus: "../shared/data/injection/corpus.jsonl",
          corpus_sha256: sha256.corpus,
          extra: "../shared/data/injection/extra.jsonl",
          extra_sha256: sha256.extra,
        },
        split: "sha256(id) per example (BIPIA attacks by category): 20 % test, 15 % calibration, 65 % training",
        training: {
          examples: trainable.length,
          windows: data.length,
          params,
          threshold_margin: margin,
          selection:
            "leave one attack family out and leave one benign source out, trained on the training split; family " +
            "folds scored against the calibration split's benign examples, source folds on the held-out source's " +
            "examples outside the test split; most held-out benign sources at <= 1 % FPR at the fold's threshold, " +
            "then macro AUC + mean TPR at the threshold - 2 x mean FPR",
          grid,
        },
        calibration_split_fpr_at_threshold: calibrationFpr,
        trained_at: new Date().toISOString(),
      },
      held_out: {
        folds_used_for_selection: chosen!.cv,
        test_split: testSplitTable(model, examples, THRESHOLD),
      },
    },
    null,
    2,
  )}\n`,
);
console.log(`wrote packages/server/data/injection-model.{json,bin} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
