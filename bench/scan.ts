import { readFileSync } from "node:fs";
import { loadInjectionModel, scoreInjection } from "../packages/server/src/domain/injection/score.ts";
import { detectPii } from "../packages/server/src/domain/pii/detect.ts";
import { percentile } from "./service.ts";

/** Content scanning cost per 10 KB message: PII detection and injection scoring over ordinary prose with PII. */
export async function benchScan(samples = 5000) {
  const para =
    "Thanks for the update on the quarterly numbers. The team met on Tuesday and agreed to move the review to " +
    "next week; please send the revised deck before Friday. Reach me at +44 20 7946 0958 or pat.lee@example.com. ";
  const pii =
    "Card 4111 1111 1111 1111, IBAN GB82 WEST 1234 5698 7654 32, SSN 123-45-6780, server 192.0.2.44. ";
  // Distinct numbers in every paragraph: phone verdicts are memoised, and real mail rarely repeats a number 40 times.
  let body = "";
  for (let i = 0; body.length < 10_240; i++) {
    const n = String(1000 + ((i * 7919) % 9000));
    body += para.replace("7946 0958", `7946 ${n}`) + (i % 3 === 0 ? pii : "");
  }
  body = body.slice(0, 10_240);
  const dir = new URL("../packages/server/data/", import.meta.url);
  const model = loadInjectionModel(
    JSON.parse(readFileSync(new URL("injection-model.json", dir), "utf8")),
    readFileSync(new URL("injection-model.bin", dir)),
  );
  const measure = (label: string, fn: () => void) => {
    const times: number[] = [];
    for (let i = 0; i < samples + 200; i++) {
      const t = process.hrtime.bigint();
      fn();
      if (i >= 200) times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    times.sort((a, b) => a - b);
    console.log(
      `${label}, 10 KB body, ${samples} samples: median ${percentile(times, 50).toFixed(3)} ms, p99 ${percentile(times, 99).toFixed(3)} ms`,
    );
  };
  measure(`PII detection (${detectPii(body).length} findings)`, () => detectPii(body));
  measure("injection scoring", () => scoreInjection(model, body));
  measure("both", () => {
    detectPii(body);
    scoreInjection(model, body);
  });
}
