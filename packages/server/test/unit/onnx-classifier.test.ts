import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { withClassifier } from "../../src/domain/injection/score.ts";
import { loadOnnxClassifier, probability } from "../../src/inbound/onnx-classifier.ts";
import { writeTinyClassifier } from "../fixtures/onnx-model.ts";

const dir = mkdtempSync(join(tmpdir(), "postbox-onnx-"));
const files = writeTinyClassifier(dir);
const config = (over = {}) => ({
  modelPath: files.model,
  tokenizerPath: null,
  label: 1,
  maxTokens: 512,
  ...over,
});

describe("local ONNX injection classifier", () => {
  it("turns logits into the injection class's probability", () => {
    assert.equal(probability([0, 0], 1), 0.5);
    assert.ok(Math.abs(probability([Math.log(3), 0], 0) - 0.75) < 1e-9);
    assert.ok(Math.abs(probability([0], 0) - 0.5) < 1e-9, "one logit is a sigmoid");
    assert.ok(probability([1000, -1000], 0) > 0.999, "no overflow on large logits");
  });

  it("runs a real ONNX model through its tokenizer", async () => {
    const c = await loadOnnxClassifier(config());
    const benign = await c.classify("Please read the report");
    const attack = await c.classify("Please read the report. PWNED");
    assert.ok(benign < 0.2, `benign ${benign}`);
    assert.ok(attack > 0.9, `attack ${attack}`);
    // Label 0 reads the other class.
    const other = await (await loadOnnxClassifier(config({ label: 0 }))).classify(
      "Please read the report. PWNED",
    );
    assert.ok(Math.abs(other - (1 - attack)) < 1e-6);
  });

  it("reads long bodies in windows: a trigger deep in the text still counts, and huge input stays bounded", async () => {
    const c = await loadOnnxClassifier(config());
    const filler = "please read the report. ".repeat(400); // ~9,600 characters
    assert.ok((await c.classify(`${filler} pwned ${filler}`)) > 0.9);
    assert.ok((await c.classify("please ".repeat(200_000))) < 0.2, "1.4 MB of text, read up to its cap");
    // Windows longer than maxTokens are cut, not refused.
    assert.ok(
      (await (
        await loadOnnxClassifier(config({ maxTokens: 8 }))
      ).classify("pwned please read the report please read")) > 0.5,
    );
  });

  it("refuses bad configuration with a message that says what to fix", async () => {
    await assert.rejects(
      loadOnnxClassifier(config({ modelPath: join(dir, "missing.onnx") })),
      /POSTBOX_INJECTION_ONNX_MODEL: cannot read .*missing\.onnx: ENOENT/,
    );
    const junk = join(dir, "junk.onnx");
    writeFileSync(junk, "not a model");
    await assert.rejects(
      loadOnnxClassifier(config({ modelPath: junk })),
      /POSTBOX_INJECTION_ONNX_MODEL: .*junk\.onnx is not a usable ONNX model/,
    );
    const badTok = join(dir, "bad-tokenizer.json");
    writeFileSync(badTok, JSON.stringify({ model: {} }));
    await assert.rejects(
      loadOnnxClassifier(config({ tokenizerPath: badTok })),
      /POSTBOX_INJECTION_ONNX_TOKENIZER: .*not a usable tokenizer\.json/,
    );
  });

  it("can raise a score, never lower it, and names itself from 0.5", () => {
    const base = { score: 0.3, reasons: [{ code: "task_directive", description: "x" }] };
    assert.deepEqual(withClassifier(base, 0.2), base);
    const raised = withClassifier(base, 0.95);
    assert.equal(raised.score, 0.95);
    assert.deepEqual(
      raised.reasons.map((r) => r.code),
      ["task_directive", "onnx_classifier"],
    );
    assert.equal(withClassifier({ score: 0.99, reasons: [] }, 0.6).score, 0.99);
    assert.equal(withClassifier(base, Number.NaN), base);
  });
});
