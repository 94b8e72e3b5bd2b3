// npm run eval:pii — precision and recall per PII type on ../shared/data/pii/synth.jsonl (presidio-research's
// synthetic set). A detected span counts as correct when it overlaps a labelled span of the same type that no
// other detection has claimed; labelled types Postbox does not detect (addresses, dates…) are ignored, but a
// detection overlapping one of them is a false positive.
import { readFileSync } from "node:fs";
import { detectPii, PII_TYPES, type PiiType } from "../packages/server/src/domain/pii/detect.ts";

const file = new URL("../../shared/data/pii/synth.jsonl", import.meta.url);
const rows = readFileSync(file, "utf8")
  .split("\n")
  .filter(Boolean)
  .map((l) => JSON.parse(l) as { text: string; spans: { type: string; start: number; end: number; value: string }[] });

const stats = new Map<PiiType, { tp: number; fp: number; gold: number; found: number }>();
for (const t of PII_TYPES) stats.set(t, { tp: 0, fp: 0, gold: 0, found: 0 });
const misses: string[] = [];
const falsePositives: string[] = [];
const started = performance.now();
for (const row of rows) {
  const predicted = detectPii(row.text);
  const gold = row.spans.filter((s) => stats.has(s.type as PiiType));
  for (const g of gold) stats.get(g.type as PiiType)!.gold++;
  const claimed = new Set<number>();
  for (const p of predicted) {
    const st = stats.get(p.type)!;
    const i = gold.findIndex((g, j) => !claimed.has(j) && g.type === p.type && p.start < g.end && g.start < p.end);
    if (i >= 0) {
      claimed.add(i);
      st.tp++;
    } else {
      st.fp++;
      falsePositives.push(`${p.type}: ${JSON.stringify(row.text.slice(p.start, p.end))}`);
    }
  }
  gold.forEach((g, j) => {
    if (!claimed.has(j)) misses.push(`${g.type}: ${JSON.stringify(g.value)}`);
  });
  for (const s of stats.values()) s.found = 0;
}
const ms = performance.now() - started;

const pct = (x: number) => (Number.isNaN(x) ? "  —  " : x.toFixed(3));
console.log(`PII detection on ${rows.length} texts (${ms.toFixed(0)} ms)`);
console.log("type            gold  found  precision  recall");
for (const [t, s] of stats) {
  const precision = s.tp / (s.tp + s.fp);
  const recall = s.gold ? s.tp / s.gold : Number.NaN;
  console.log(
    `${t.padEnd(15)} ${String(s.gold).padStart(4)}  ${String(s.tp + s.fp).padStart(5)}  ${pct(precision).padStart(9)}  ${pct(recall).padStart(6)}`,
  );
}
if (process.argv.includes("--errors")) {
  console.log("\nmissed:");
  for (const m of misses) console.log(`  ${m}`);
  console.log("\nfalse positives:");
  for (const f of falsePositives) console.log(`  ${f}`);
}
