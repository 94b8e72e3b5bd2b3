import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCli } from "../process.ts";

describe("offline scanner commands", () => {
  it("postbox pii --jsonl writes the spans of each line and flags bad lines without stopping", async () => {
    const input = [
      JSON.stringify({ id: "a", text: "card 4111 1111 1111 1111, mail ann@example.com" }),
      "{not json",
      JSON.stringify({ id: 7, text: "nothing to see" }),
      JSON.stringify({ id: "no-text" }),
    ].join("\n");
    const r = await runCli(["pii", "--jsonl", "-"], {}, input);
    assert.equal(r.code, 1, "bad lines make the exit code 1");
    const out = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.deepEqual(out[0], {
      id: "a",
      spans: [
        { type: "CREDIT_CARD", start: 5, end: 24, score: 0.95 },
        { type: "EMAIL_ADDRESS", start: 31, end: 46, score: 0.95 },
      ],
    });
    assert.match(out[1].error, /^line 2: /);
    assert.deepEqual(out[2], { id: 7, spans: [] });
    assert.match(out[3].error, /string "text"/);
    const usage = await runCli(["pii"], {});
    assert.equal(usage.code, 2);
  });
});
