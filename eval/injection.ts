// npm run eval:injection [-- --markdown] — how the injection scorer generalises, measured three ways on
// ../shared/data/injection/{corpus,extra}.jsonl:
//   1. leave one attack family out: for every family, a model trained without it scores it against the held-out
//      benign examples of every source (AUC, TPR at 1 % FPR, TPR at the quarantine threshold);
//   2. leave one benign source out: a model trained without that source — its FPR at the threshold;
//   3. the committed model on the held-out test split, per source.
// The folds are re-trained with the committed model's hyper-parameters (and threshold margin), so the tables
// describe that model. About a minute of CPU per fold set.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { loadInjectionModel, scoreInjection } from "../packages/server/src/domain/injection/score.ts";
import { auc, type Example, splitOf, tprAtFpr } from "./injection-data.ts";
import {
  calibrate,
  fit,
  highestBenign,
  instances,
  loadPrepared,
  type Params,
  type Prepared,
  probability,
  thresholdFrom,
} from "./injection-fit.ts";

export interface FamilyRow {
  family: string;
  positives: number;
  negatives: number;
  auc: number;
  tpr_at_1pct_fpr: number;
  tpr_at_threshold: number;
}

export interface SourceRow {
  source: string;
  /** The held-out source's examples the FPR is measured on (see Folds.sources). */
  examples: number;
  fpr_at_threshold: number;
  /** The same on every example of the source, the ones that took part in choosing the margin included. */
  examples_all: number;
  fpr_all: number;
}

export interface CrossValidation {
  margin: number;
  /** Each fold chooses its own threshold the way the final model does; these are the ones chosen. */
  thresholds: number[];
  families: FamilyRow[];
  sources: SourceRow[];
  macro_auc: number;
  min_auc: number;
  worst_fpr: number;
  mean_fpr: number;
  /** Held-out benign sources whose FPR at the threshold is at most 1 %. */
  sources_within_1pct: number;
  /** Mean over held-out families of the share caught at the fold's threshold. */
  mean_tpr_at_threshold: number;
}

/** What the folds scored: enough to compute every figure for any threshold margin without refitting. */
export interface Folds {
  families: { family: string; highest: number; pos: number[]; neg: number[] }[];
  /**
   * Held-out benign source: `scores` are the examples the figures are about — its test split when reporting, the
   * rest of it when choosing the margin, so the margin is never chosen on the examples reported — and `all` every
   * example of it.
   */
  sources: { source: string; highest: number; scores: number[]; all: number[] }[];
}

const round = (x: number) => Math.round(x * 10000) / 10000;

/** Training data of a fold: the training split without `leave`, and no attack whose carrier is not trained on. */
function foldTraining(all: Prepared[], carriers: Map<string, Prepared>, leave: (e: Example) => boolean) {
  const train = all.filter((p) => splitOf(p.example) === "train" && !leave(p.example));
  const inTrain = new Set(train.map((p) => p.example.id));
  return train.filter((p) => {
    const c = carriers.get(p.example.id);
    return !c || inTrain.has(c.example.id);
  });
}

/**
 * Leave-one-family-out and leave-one-source-out, each fold fitted and calibrated without what it is tested on.
 * Benign negatives come from `negatives` (the calibration split when choosing hyper-parameters, the test split
 * when reporting), so the reported figures never rest on examples that took part in a choice.
 */
export function runFolds(
  all: Prepared[],
  carriers: Map<string, Prepared>,
  params: Params,
  negatives: "calibration" | "test",
  log: (line: string) => void = () => {},
): Folds {
  const families = [...new Set(all.filter((p) => p.example.label === 1).map((p) => p.example.family))].sort();
  const benignSources = [...new Set(all.filter((p) => p.example.label === 0).map((p) => p.example.source))].sort();
  const out: Folds = { families: [], sources: [] };
  for (const family of families) {
    // The family's attacks, and the benign mails they were inserted into: a carrier the model was trained on as
    // benign would drag its attacked copies down, which says nothing about recognising the attack.
    const carriersOfFamily = new Set(
      all
        .filter((p) => p.example.label === 1 && p.example.family === family)
        .map((p) => carriers.get(p.example.id)?.example.id)
        .filter((id): id is string => Boolean(id)),
    );
    const leave = (e: Example) => (e.label === 1 && e.family === family) || carriersOfFamily.has(e.id);
    const m = fit(instances(foldTraining(all, carriers, leave), carriers), params);
    const held = all.filter((p) => splitOf(p.example) === "calibration" && !leave(p.example));
    const cal = calibrate(m, held);
    const pos = all
      .filter((p) => p.example.label === 1 && p.example.family === family)
      .map((p) => probability(m, cal, p));
    const neg = all
      .filter((p) => p.example.label === 0 && splitOf(p.example) === negatives)
      .map((p) => probability(m, cal, p));
    out.families.push({ family, highest: highestBenign(m, cal, held), pos, neg });
    log(`  family ${family}: AUC ${round(auc(pos, neg))}`);
  }
  for (const source of benignSources) {
    const leave = (e: Example) => e.label === 0 && e.source === source;
    const m = fit(instances(foldTraining(all, carriers, leave), carriers), params);
    const held = all.filter((p) => splitOf(p.example) === "calibration" && !leave(p.example));
    const cal = calibrate(m, held);
    const mine = all.filter((p) => leave(p.example));
    const scored = mine.map((p) => ({ test: splitOf(p.example) === "test", s: probability(m, cal, p) }));
    out.sources.push({
      source,
      highest: highestBenign(m, cal, held),
      scores: scored.filter((x) => x.test === (negatives === "test")).map((x) => x.s),
      all: scored.map((x) => x.s),
    });
    log(`  source ${source}: highest other benign ${round(out.sources.at(-1)!.highest)}`);
  }
  return out;
}

/** The figures of a set of folds when every fold sets its threshold with `margin` (see thresholdFrom). */
export function summarize(folds: Folds, margin: number): CrossValidation {
  const thresholds: number[] = [];
  const families: FamilyRow[] = folds.families.map((f) => {
    const threshold = thresholdFrom(f.highest, margin);
    thresholds.push(threshold);
    return {
      family: f.family,
      positives: f.pos.length,
      negatives: f.neg.length,
      auc: round(auc(f.pos, f.neg)),
      tpr_at_1pct_fpr: round(tprAtFpr(f.pos, f.neg, 0.01)),
      tpr_at_threshold: round(f.pos.filter((s) => s >= threshold).length / f.pos.length),
    };
  });
  const sources: SourceRow[] = folds.sources.map((s) => {
    const threshold = thresholdFrom(s.highest, margin);
    thresholds.push(threshold);
    return {
      source: s.source,
      examples: s.scores.length,
      fpr_at_threshold: round(s.scores.filter((x) => x >= threshold).length / s.scores.length),
      examples_all: s.all.length,
      fpr_all: round(s.all.filter((x) => x >= threshold).length / s.all.length),
    };
  });
  const aucs = families.map((r) => r.auc);
  const fprs = sources.map((r) => r.fpr_at_threshold);
  return {
    margin,
    thresholds,
    families,
    sources,
    macro_auc: round(aucs.reduce((a, b) => a + b, 0) / aucs.length),
    min_auc: Math.min(...aucs),
    worst_fpr: Math.max(...fprs),
    mean_fpr: round(fprs.reduce((a, b) => a + b, 0) / fprs.length),
    sources_within_1pct: fprs.filter((f) => f <= 0.01).length,
    mean_tpr_at_threshold: round(families.reduce((a, r) => a + r.tpr_at_threshold, 0) / families.length),
  };
}

/** The committed model on the test split: per source, rates at the threshold (and AUC for attack sources). */
export function testSplitTable(model: ReturnType<typeof loadInjectionModel>, examples: Example[], threshold: number) {
  const test = examples.filter((e) => splitOf(e) === "test");
  const scored = test.map((e) => ({ e, s: scoreInjection(model, e.text).score }));
  const neg = scored.filter((x) => x.e.label === 0).map((x) => x.s);
  const sources = [...new Set(test.map((e) => e.source))].sort();
  return sources.map((source) => {
    const mine = scored.filter((x) => x.e.source === source);
    const p = mine.filter((x) => x.e.label === 1).map((x) => x.s);
    const n = mine.filter((x) => x.e.label === 0).map((x) => x.s);
    return {
      source,
      positives: p.length,
      negatives: n.length,
      auc: p.length ? round(auc(p, neg)) : null,
      tpr_at_threshold: p.length ? round(p.filter((s) => s >= threshold).length / p.length) : null,
      fpr_at_threshold: n.length ? round(n.filter((s) => s >= threshold).length / n.length) : null,
    };
  });
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  const markdown = process.argv.includes("--markdown");
  const dir = new URL("../packages/server/data/", import.meta.url);
  const meta = JSON.parse(readFileSync(new URL("injection-model.json", dir), "utf8"));
  const model = loadInjectionModel(meta, readFileSync(new URL("injection-model.bin", dir)));
  const params: Params = meta.provenance.training.params;
  const margin: number = meta.provenance.training.threshold_margin ?? 0;
  const threshold: number = meta.quarantine_threshold;
  const { examples, all, carriers } = loadPrepared();
  const cv = summarize(runFolds(all, carriers, params, "test", markdown ? () => {} : console.log), margin);
  const f = (x: number | null) => (x === null ? "—" : x.toFixed(3));
  const pct = (x: number, n: number) => `${f(x)} (${Math.round(x * n)}/${n})`;
  if (markdown) {
    console.log(
      `Leave one attack family out (each fold chooses its threshold as the model does — highest held-out benign score, plus ${margin} in logit space: ${Math.min(...cv.thresholds)}–${Math.max(...cv.thresholds)}; negatives: the held-out benign test split)\n`,
    );
    console.log("| Attack family held out | Examples | AUC | TPR at 1 % FPR | TPR at the threshold |");
    console.log("|---|---|---|---|---|");
    for (const r of cv.families)
      console.log(`| ${r.family} | ${r.positives} | ${f(r.auc)} | ${f(r.tpr_at_1pct_fpr)} | ${f(r.tpr_at_threshold)} |`);
    console.log(`| **macro average** | | **${f(cv.macro_auc)}** | | |\n`);
    console.log("Leave one benign source out (FPR at the fold's threshold)\n");
    console.log("| Benign source held out | FPR, its test split | FPR, all its examples |");
    console.log("|---|---|---|");
    for (const r of cv.sources)
      console.log(`| ${r.source} | ${pct(r.fpr_at_threshold, r.examples)} | ${pct(r.fpr_all, r.examples_all)} |`);
    console.log(`\nThe committed model on the test split (threshold ${threshold})\n`);
    console.log("| Source | Injected | Benign | AUC | TPR at the threshold | FPR at the threshold |");
    console.log("|---|---|---|---|---|---|");
    for (const r of testSplitTable(model, examples, threshold))
      console.log(
        `| ${r.source} | ${r.positives} | ${r.negatives} | ${f(r.auc)} | ${f(r.tpr_at_threshold)} | ${f(r.fpr_at_threshold)} |`,
      );
  } else {
    console.log(
      `macro AUC ${cv.macro_auc}, weakest family AUC ${cv.min_auc}, benign sources within 1 % ${cv.sources_within_1pct}/${cv.sources.length} (test split), worst FPR ${cv.worst_fpr}, mean ${cv.mean_fpr}`,
    );
    for (const r of cv.families) console.log(JSON.stringify(r));
    for (const r of cv.sources) console.log(JSON.stringify(r));
    for (const r of testSplitTable(model, examples, threshold)) console.log(JSON.stringify(r));
  }
}
