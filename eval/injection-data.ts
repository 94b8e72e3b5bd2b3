// The injection data (corpus.jsonl and extra.jsonl) and its fixed splits, shared by training and evaluation.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

export const CORPUS = new URL("../../shared/data/injection/corpus.jsonl", import.meta.url);
export const EXTRA = new URL("../../shared/data/injection/extra.jsonl", import.meta.url);

export interface Example {
  id: string;
  text: string;
  label: 0 | 1;
  source: string;
  family: string;
  attack_cat?: string;
  lang?: string;
  pos?: string;
}

export type Split = "train" | "calibration" | "test";

const bucket = (key: string) =>
  createHash("sha256").update(`postbox-injection-split:${key}`).digest().readUInt32BE(0) % 100;

/**
 * By a hash, within every source: 20 % held out for testing (never trained on), 15 % for calibrating the score,
 * the rest for training. Stable across runs and machines. BIPIA's injected emails reuse 75 attack sentences in
 * 15 categories across 50 emails, so they are split by attack category: a held-out attack is not the same
 * sentence in another email. Generalisation to unseen attack families is measured separately (leave one
 * family out), and so is over-defence on unseen benign sources (leave one source out).
 */
export function splitOf(e: Pick<Example, "id" | "source" | "label" | "attack_cat">): Split {
  const grouped = e.source === "bipia_email_train" && e.label === 1 && e.attack_cat;
  const h = bucket(grouped ? `bipia-category:${e.attack_cat}` : e.id);
  return h < 20 ? "test" : h < 35 ? "calibration" : "train";
}

function read(url: URL): { examples: Example[]; sha256: string } {
  const raw = readFileSync(url);
  const examples = raw
    .toString("utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Example);
  return { examples, sha256: createHash("sha256").update(raw).digest("hex") };
}

export function loadExamples(): { examples: Example[]; sha256: { corpus: string; extra: string } } {
  const corpus = read(CORPUS);
  const extra = read(EXTRA);
  return { examples: [...corpus.examples, ...extra.examples], sha256: { corpus: corpus.sha256, extra: extra.sha256 } };
}

/**
 * The benign text each attack was inserted into, when it is in the data unchanged (BIPIA's emails, the allauth,
 * devise and AgentDojo carriers): found by the carrier's first or last 40 characters, at the start or end of the
 * attack or after any white space in it. Training pairs an attack with its carrier, so what differs — the attack
 * — is what the model learns; and an attack whose carrier is held out is left out of training, or the carrier's
 * own words would be learnt as an injection.
 */
export function carriersOf(examples: Example[]): Map<string, Example> {
  const KEY = 40;
  const byHead = new Map<string, Example>();
  const byTail = new Map<string, Example>();
  for (const b of examples) {
    if (b.label !== 0 || b.text.length < 2 * KEY) continue;
    byHead.set(b.text.slice(0, KEY), b);
    byTail.set(b.text.slice(-KEY), b);
  }
  const out = new Map<string, Example>();
  for (const e of examples) {
    if (e.label !== 1) continue;
    const t = e.text;
    let found = byHead.get(t.slice(0, KEY)) ?? byTail.get(t.slice(-KEY));
    for (let i = 1; !found && i + KEY <= t.length; i++) {
      if (/\s/.test(t[i - 1]!)) found = byHead.get(t.slice(i, i + KEY));
      if (!found && /\s/.test(t[i + KEY] ?? " ")) found = byTail.get(t.slice(i, i + KEY));
    }
    if (found) out.set(e.id, found);
  }
  return out;
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
