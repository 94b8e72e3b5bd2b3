// The injection corpus and its fixed split, shared by training and evaluation.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

export const CORPUS = new URL("../../shared/data/injection/corpus.jsonl", import.meta.url);

export interface Example {
  id: string;
  text: string;
  label: 0 | 1;
  source: string;
  family: string;
  attack_cat?: string;
}

export type Split = "train" | "validation" | "calibration" | "test";

const bucket = (key: string) =>
  createHash("sha256").update(`postbox-injection-split:${key}`).digest().readUInt32BE(0) % 100;

/**
 * By a hash, within every source: 20 % held out for testing (never seen in training, tuning or calibration),
 * 15 % for calibrating the score, 12 % for choosing hyper-parameters, the rest for training. Stable across runs
 * and machines. BIPIA's injected emails reuse
 * 75 attack sentences in 15 categories across 50 emails, so they are split by attack category: the held-out
 * attacks are of categories the model never saw, not the same sentences in other emails.
 */
export function splitOf(e: Pick<Example, "id" | "source" | "label" | "attack_cat">): Split {
  const grouped = e.source === "bipia_email_train" && e.label === 1 && e.attack_cat;
  const h = bucket(grouped ? `bipia-category:${e.attack_cat}` : e.id);
  return h < 20 ? "test" : h < 35 ? "calibration" : h < 47 ? "validation" : "train";
}

export function loadCorpus(): { examples: Example[]; sha256: string } {
  const raw = readFileSync(CORPUS);
  const examples = raw
    .toString("utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Example);
  return { examples, sha256: createHash("sha256").update(raw).digest("hex") };
}

/** Area under the ROC curve: the chance a random positive scores above a random negative (ties count half). */
export function auc(pos: number[], neg: number[]): number {
  if (pos.length === 0 || neg.length === 0) return Number.NaN;
  const all = [...pos.map((s) => ({ s, p: 1 })), ...neg.map((s) => ({ s, p: 0 }))].sort((a, b) => a.s - b.s);
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j]!.s === all[i]!.s) j++;
    const avgRank = (i + j + 1) / 2; // 1-based average rank of the tie group
    for (let k = i; k < j; k++) if (all[k]!.p) rankSum += avgRank;
    i = j;
  }
  return (rankSum - (pos.length * (pos.length + 1)) / 2) / (pos.length * neg.length);
}

/** True-positive rate at the threshold where at most `fpr` of negatives score above it. */
export function tprAtFpr(pos: number[], neg: number[], fpr: number): number {
  const sorted = [...neg].sort((a, b) => b - a);
  const allowed = Math.floor(fpr * sorted.length);
  const threshold = sorted[allowed] ?? Number.NEGATIVE_INFINITY; // scores must be strictly above this
  return pos.filter((s) => s > threshold).length / pos.length;
}
