import { readFileSync } from "node:fs";
import { htmlToScanText } from "../domain/html-text.ts";
import {
  type InjectionModel,
  type InjectionScore,
  loadInjectionModel,
  scoreInjection,
  withClassifier,
} from "../domain/injection/score.ts";
import { loadOnnxClassifier, type OnnxClassifierConfig } from "./onnx-classifier.ts";

const DIR = new URL("../../data/", import.meta.url);

function bundledMeta(): { quarantine_threshold: number } & Parameters<typeof loadInjectionModel>[0] {
  return JSON.parse(readFileSync(new URL("injection-model.json", DIR), "utf8"));
}

/** The injection model shipped with the server (trained by eval/train-injection.ts); read once per process. */
export function loadBundledInjectionModel(): InjectionModel {
  return loadInjectionModel(bundledMeta(), readFileSync(new URL("injection-model.bin", DIR)));
}

let threshold: number | null = null;

/**
 * The quarantine threshold the bundled model was trained to: at most 1 % false positives on every benign source of
 * its data. Mailboxes that have not set their own use it.
 */
export function defaultInjectionThreshold(): number {
  threshold ??= bundledMeta().quarantine_threshold;
  return threshold;
}

export type InjectionScorer = (text: string, html?: string) => Promise<InjectionScore>;

/**
 * The scorer as the server runs it: the bundled model, plus the operator's local ONNX classifier when one is
 * configured. Used by the server and by `postbox scan`, so both give the same answers.
 */
export async function createInjectionScorer(onnx: OnnxClassifierConfig | null): Promise<InjectionScorer> {
  const model = loadBundledInjectionModel();
  const classifier = onnx ? await loadOnnxClassifier(onnx) : null;
  return async (text, html) => {
    const htmlText = html ? htmlToScanText(html) : undefined;
    const base = scoreInjection(model, text, htmlText ? { htmlText } : {});
    if (!classifier) return base;
    const p = Math.max(await classifier.classify(text), htmlText ? await classifier.classify(htmlText) : 0);
    return withClassifier(base, p);
  };
}
