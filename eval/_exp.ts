// Experiment harness: LOFO + LOSO, one fit per fold, figures on calibration AND test negatives.
import { auc, splitOf, type Example, tprAtFpr } from "./injection-data.ts";
import { calibrate, chooseThreshold, fit, instances, loadPrepared, probability, type Prepared } from "./injection-fit.ts";
const t0 = Date.now();
const { all, carriers } = loadPrepared();
const params = { l2: 5e-5, tokenL2: 1e-3, tokenRef: 25, ngramCap: 3, epochs: 8, ...JSON.parse(process.env.P ?? "{}") };
const only = process.env.ONLY?.split(",");
function foldTraining(leave: (e: Example) => boolean) {
  const train = all.filter((p) => splitOf(p.example) === "train" && !leave(p.example));
  const inT = new Set(train.map((p) => p.example.id));
  return train.filter((p) => { const c = carriers.get(p.example.id); return !c || inT.has(c.example.id); });
}
const families = [...new Set(all.filter((p) => p.example.label === 1).map((p) => p.example.family))].sort();
const sources = [...new Set(all.filter((p) => p.example.label === 0).map((p) => p.example.source))].sort();
const r3 = (x: number) => x.toFixed(3);
const res: Record<string, number[]> = { calA: [], testA: [] };
for (const family of families) {
  if (only && !only.includes(family)) continue;
  const cf = new Set(all.filter((p) => p.example.label === 1 && p.example.family === family).map((p) => carriers.get(p.example.id)?.example.id).filter(Boolean));
  const leave = (e: Example) => (e.label === 1 && e.family === family) || cf.has(e.id);
  const m = fit(instances(foldTraining(leave), carriers), params);
  const held = all.filter((p) => splitOf(p.example) === "calibration" && !leave(p.example));
  const cal = calibrate(m, held);
  const thr = chooseThreshold(m, cal, held, Number(process.env.MARGIN ?? 0));
  const pos = all.filter((p) => p.example.label === 1 && p.example.family === family).map((p) => probability(m, cal, p));
  const negOf = (s: string) => all.filter((p) => p.example.label === 0 && splitOf(p.example) === s).map((p) => probability(m, cal, p));
  const nc = negOf("calibration"), nt = negOf("test");
  res.calA.push(auc(pos, nc)); res.testA.push(auc(pos, nt));
  console.log(`${family.padEnd(26)} cal AUC ${r3(auc(pos, nc))} test AUC ${r3(auc(pos, nt))} TPR@1% ${r3(tprAtFpr(pos, nt, 0.01))} thr ${thr} TPR@thr ${r3(pos.filter((s) => s >= thr).length / pos.length)}`);
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(`MACRO cal ${r3(mean(res.calA))} test ${r3(mean(res.testA))} min test ${r3(Math.min(...res.testA))}`);
let ok = 0; const fprs: number[] = [];
for (const source of sources) {
  if (only && !only.includes(source)) continue;
  if (process.env.NOSRC) break;
  const leave = (e: Example) => e.label === 0 && e.source === source;
  const m = fit(instances(foldTraining(leave), carriers), params);
  const held = all.filter((p) => splitOf(p.example) === "calibration" && !leave(p.example));
  const cal = calibrate(m, held);
  const thr = chooseThreshold(m, cal, held, Number(process.env.MARGIN ?? 0));
  const sc = all.filter((p) => leave(p.example)).map((p) => probability(m, cal, p));
  const f = sc.filter((s) => s >= thr).length / sc.length;
  fprs.push(f); if (f <= 0.01) ok++;
  const srt = [...sc].sort((a, b) => b - a); const q = srt[Math.floor(0.01 * srt.length)]!;
  const lg = (x: number) => Math.log(x / (1 - x));
  console.log(`${source.padEnd(26)} thr ${thr} FPR ${r3(f)} (${sc.filter((s) => s >= thr).length}/${sc.length}) q99 ${q.toFixed(5)} margin ${(lg(Math.min(q, 1 - 1e-9)) - lg(thr)).toFixed(2)}`);
}
if (fprs.length) console.log(`SOURCES ok ${ok}/${fprs.length} mean FPR ${r3(mean(fprs))} worst ${r3(Math.max(...fprs))}`);
console.log(`time ${((Date.now() - t0) / 1000).toFixed(0)} s`);
