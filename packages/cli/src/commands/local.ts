// Commands that need no server: they load the service's own code (lazily, so client commands start quickly).
import { command } from "../command.ts";
import { UsageError } from "../errors.ts";
import { num } from "../values.ts";

/** A score taken apart, for a person: what pushed it up or down, largest first. */
function explanationText(x: import("@postbox/server/scanners").Explanation, threshold: number): string {
  const sign = (n: number) => (n >= 0 ? `+${n.toFixed(2)}` : n.toFixed(2));
  const lines = [
    `score ${x.score.toFixed(4)} (quarantine at ${threshold}: ${x.score >= threshold ? "yes" : "no"})`,
    `decided by window ${x.window.index + 1} of ${x.window.of} (${x.window.source}); logit ${x.logit.toFixed(2)}, ` +
      `score = sigmoid(${x.calibration.a.toFixed(3)} × logit ${sign(x.calibration.b)})`,
    `  ${sign(x.bias).padStart(7)}  bias`,
    `  ${sign(x.ngrams).padStart(7)}  wording (word and character n-grams)`,
    ...x.signals.map(
      (s) => `  ${sign(s.weight).padStart(7)}  ${s.code}${s.description ? ` — ${s.description}` : ""}`,
    ),
  ];
  return lines.join("\n");
}

export const localCommands = [
  command({
    path: "serve",
    summary: "start the service (configured by environment variables; README Configuration)",
    help: "A configuration error is one line on stderr and exit 2.",
    run: async () => (await import("../serve.ts")).serve(),
  }),
  command({
    path: "pii",
    summary: 'PII spans of {"id","text"} JSON lines, as the server finds them (offline)',
    help: "Writes one JSON line per input line; a line that is not such an object gets {line, error} (exit 1).",
    options: { jsonl: { type: "string", value: "file or -", help: "the input (- for stdin)" } },
    run: async (_ctx, { values: v }) => {
      if (!v.jsonl) throw new UsageError("--jsonl is required");
      const { detectPii } = await import("@postbox/server/scanners");
      const { mapJsonl } = await import("../jsonl.ts");
      const bad = await mapJsonl(v.jsonl, (id, text) => ({
        id,
        spans: detectPii(text).map((s) => ({ type: s.type, start: s.start, end: s.end, score: s.score })),
      }));
      return bad > 0 ? 1 : 0;
    },
  }),
  command({
    path: "scan",
    summary: 'prompt-injection scores of {"id","text"} JSON lines, or one text taken apart (offline)',
    help:
      "--jsonl scores each line as the server does (the operator's ONNX classifier included when configured).\n" +
      "--explain <text> (- for stdin) shows each signal's contribution to one text's score.",
    options: {
      jsonl: { type: "string", value: "file or -", help: "the input (- for stdin)" },
      threshold: {
        type: "string",
        value: "t",
        help: "quarantine at or above t (0 < t ≤ 1; default the model's)",
      },
      explain: { type: "string", value: "text or -", help: "take one text's score apart" },
    },
    run: async (ctx, { values: v }) => {
      const s = await import("@postbox/server/scanners");
      if (v.explain !== undefined) {
        const text = v.explain === "-" ? await ctx.readText("-") : v.explain;
        const x = s.explainInjection(s.loadBundledInjectionModel(), text);
        ctx.print(x, () => explanationText(x, s.defaultInjectionThreshold()));
        return 0;
      }
      if (!v.jsonl) throw new UsageError("--jsonl or --explain is required");
      const threshold = num(v.threshold, "threshold", 0, 1, true) ?? s.defaultInjectionThreshold();
      const score = await s.createInjectionScorer(s.onnxClassifierFromEnv(process.env));
      const { mapJsonl } = await import("../jsonl.ts");
      const bad = await mapJsonl(v.jsonl, async (id, text) => {
        const r = await score(text);
        return {
          id,
          score: Math.round(r.score * 10000) / 10000,
          quarantine: r.score >= threshold,
          reasons: r.reasons.map((x) => x.code),
        };
      });
      return bad > 0 ? 1 : 0;
    },
  }),
];
