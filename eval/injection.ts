// npm run eval:injection — the committed injection model on the held-out split of
// ../shared/data/injection/corpus.jsonl: per source and overall, AUC, true-positive rate at 1 % false-positive
// rate, and the rates at the quarantine threshold (0.8). Sources with one label are measured against the
// held-out examples of the other label.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { type InjectionModel, loadInjectionModel, scoreInjection } from "../packages/server/src/domain/injection/score.ts";
import { auc, type Example, loadCorpus, splitOf, tprAtFpr } from "./injection-data.ts";

const THRESHOLD = 0.8;

export function evaluate(model: InjectionModel, test: Example[]) {
  const scored = test.map((e) => ({ ...e, score: scoreInjection(model, e.text).score }));
  const pos = scored.filter((e) => e.label === 1).map((e) => e.score);
  const neg = scored.filter((e) => e.label === 0).map((e) => e.score);
  const rate = (xs: number[]) => (xs.length ? xs.filter((s) => s >= THRESHOLD).length / xs.length : Number.NaN);
  const round = (x: number) => (Number.isNaN(x) ? null : Math.round(x * 10000) / 10000);
  const row = (p: number[], n: number[]) => ({
    positives: p.length,
    negatives: n.length,
    auc: round(auc(p, n)),
    tpr_at_1pct_fpr: round(p.length && n.length ? tprAtFpr(p, n, 0.01) : Number.NaN),
    tpr_at_threshold: round(rate(p)),
    fpr_at_threshold: round(rate(n)),
  });
  const sources = [...new Set(scored.map((e) => e.source))].sort();
  const perSource = Object.fromEntries(
    sources.map((s) => {
      const mine = scored.filter((e) => e.source === s);
      const p = mine.filter((e) => e.label === 1).map((e) => e.score);
      const n = mine.filter((e) => e.label === 0).map((e) => e.score);
      // A one-label source is compared with the other label's held-out examples from every source.
      return [s, row(p, n.length ? n : p.length ? neg : []), ] as const;
    }).map(([s, r]) => {
      const mine = scored.filter((e) => e.source === s);
      const n = mine.filter((e) => e.label === 0).map((e) => e.score);
      const p = mine.filter((e) => e.label === 1).map((e) => e.score);
      return [s, p.length ? row(p, n.length ? n : neg) : { ...row(pos, n), positives: 0, tpr_at_threshold: null }];
    }),
  );
  // The headline: injected text against benign *email* (the over-defence prompt sets are judged by
  // their false-positive rate).
  const emailSources = new Set(["bipia_email_train", "llmail_benign", "spamassassin_nice", "spamassassin_spam", "cpython_test_email"]);
  const benignEmail = scored.filter((e) => e.label === 0 && emailSources.has(e.source)).map((e) => e.score);
  return {
    threshold: THRESHOLD,
    overall: row(pos, neg),
    injected_vs_benign_email: row(pos, benignEmail),
    per_source: perSource,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  const dir = new URL("../packages/server/data/", import.meta.url);
  const meta = JSON.parse(readFileSync(new URL("injection-model.json", dir), "utf8"));
  const model = loadInjectionModel(meta, readFileSync(new URL("injection-model.bin", dir)));
  const { examples } = loadCorpus();
  const test = examples.filter((e) => splitOf(e) === "test");
  const m = evaluate(model, test);
  const f = (x: number | null) => (x === null ? "   —  " : x.toFixed(3).padStart(6));
  console.log(`Held-out split: ${test.length} examples; quarantine threshold ${m.threshold}`);
  console.log("source                 pos   neg     AUC  TPR@1%FPR  TPR@0.8  FPR@0.8");
  for (const [s, r] of [
    ...Object.entries(m.per_source),
    ["OVERALL", m.overall] as const,
    ["INJECTED VS EMAIL", m.injected_vs_benign_email] as const,
  ]) {
    console.log(
      `${s.padEnd(21)} ${String(r.positives).padStart(4)}  ${String(r.negatives).padStart(4)}  ${f(r.auc)}     ${f(r.tpr_at_1pct_fpr)}   ${f(r.tpr_at_threshold)}   ${f(r.fpr_at_threshold)}`,
    );
  }
}
