import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { normalizeForScoring } from "../domain/injection/normalize.ts";

/** An operator's local classifier (ONNX + Hugging Face tokenizer.json): an extra injection signal, off by default. */
export interface OnnxClassifierConfig {
  modelPath: string;
  /** tokenizer.json; default: the one beside the model. */
  tokenizerPath: string | null;
  /** Which output class means "injection" when the model gives two or more logits. */
  label: number;
  /** Tokens per window, special tokens included (512 for BERT-style models). */
  maxTokens: number;
}

export interface OnnxClassifier {
  /** Probability in [0, 1] that the text carries an injection: the worst of its windows. */
  classify(text: string): Promise<number>;
}

/** Characters per window (a few hundred tokens) and how much of a body the classifier reads at most. */
const WINDOW_CHARS = 1500;
const MAX_CHARS = 24_000;

/**
 * Loads the classifier once. onnxruntime-web (WASM, no native build) is an optional dependency, installed only by
 * operators who turn this on; its absence is a configuration error with the command that fixes it.
 */
export async function loadOnnxClassifier(cfg: OnnxClassifierConfig): Promise<OnnxClassifier> {
  // biome-ignore lint/suspicious/noExplicitAny: the optional module is typed only when installed.
  let ort: any;
  try {
    ort = await import("onnxruntime-web");
  } catch {
    throw new Error(
      "POSTBOX_INJECTION_ONNX_MODEL is set but onnxruntime-web is not installed: run `npm install onnxruntime-web@1.30.0`",
    );
  }
  ort.env.wasm.numThreads = 1;
  const tokenizerPath = cfg.tokenizerPath ?? join(dirname(cfg.modelPath), "tokenizer.json");
  // One after the other: when both are missing, the message names the model (read side by side, whichever
  // failed first was reported, and the error changed from run to run).
  const modelBytes = await readFile(cfg.modelPath).catch((e) => {
    throw new Error(`POSTBOX_INJECTION_ONNX_MODEL: cannot read ${cfg.modelPath}: ${e.code ?? e.message}`);
  });
  const tokenizerJson = await readFile(tokenizerPath, "utf8").catch((e) => {
    throw new Error(`POSTBOX_INJECTION_ONNX_TOKENIZER: cannot read ${tokenizerPath}: ${e.code ?? e.message}`);
  });
  const configPath = join(dirname(tokenizerPath), "tokenizer_config.json");
  const tokenizerConfig = JSON.parse(await readFile(configPath, "utf8").catch(() => "{}"));
  let tokenizer: Tokenizer;
  let session: {
    inputNames: string[];
    outputNames: string[];
    run(feeds: object): Promise<Record<string, { dims: number[]; data: Float32Array }>>;
  };
  try {
    tokenizer = new Tokenizer(JSON.parse(tokenizerJson), tokenizerConfig);
  } catch (e) {
    throw new Error(
      `POSTBOX_INJECTION_ONNX_TOKENIZER: ${tokenizerPath} is not a usable tokenizer.json: ${(e as Error).message}`,
    );
  }
  try {
    session = await ort.InferenceSession.create(modelBytes);
  } catch (e) {
    throw new Error(
      `POSTBOX_INJECTION_ONNX_MODEL: ${cfg.modelPath} is not a usable ONNX model: ${(e as Error).message}`,
    );
  }
  if (!session.inputNames.includes("input_ids"))
    throw new Error(
      `POSTBOX_INJECTION_ONNX_MODEL: the model's inputs are ${session.inputNames.join(", ")}; a text classifier taking input_ids is expected`,
    );
  const output = session.outputNames[0]!;
  const ints = (xs: number[]) => new ort.Tensor("int64", BigInt64Array.from(xs, BigInt), [1, xs.length]);

  async function classifyWindow(text: string): Promise<number> {
    const enc = tokenizer.encode(text);
    let ids = enc.ids;
    // Too long: keep the head and the closing special token.
    if (ids.length > cfg.maxTokens) ids = [...ids.slice(0, cfg.maxTokens - 1), ids[ids.length - 1]!];
    const feeds: Record<string, unknown> = { input_ids: ints(ids) };
    if (session.inputNames.includes("attention_mask")) feeds.attention_mask = ints(ids.map(() => 1));
    if (session.inputNames.includes("token_type_ids")) feeds.token_type_ids = ints(ids.map(() => 0));
    const out = (await session.run(feeds))[output]!;
    return probability(Array.from(out.data), cfg.label);
  }

  return {
    async classify(text) {
      const t = normalizeForScoring(text.slice(0, MAX_CHARS)).text;
      let worst = 0;
      for (let start = 0; start < Math.max(1, t.length); start += WINDOW_CHARS)
        worst = Math.max(worst, await classifyWindow(t.slice(start, start + WINDOW_CHARS)));
      return worst;
    },
  };
}

/** One logit: a sigmoid. Several: softmax, and the probability of the injection class. */
export function probability(logits: number[], label: number): number {
  if (logits.length === 1) return 1 / (1 + Math.exp(-logits[0]!));
  const max = Math.max(...logits);
  const exps = logits.map((z) => Math.exp(z - max));
  return exps[label]! / exps.reduce((a, b) => a + b, 0);
}
