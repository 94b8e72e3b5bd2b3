// The content scanners as the server runs them, for tools that evaluate them on their own data
// (postbox pii, postbox scan).
export {
  type Explanation,
  explainInjection,
  type InjectionScore,
  scoreInjection,
} from "./domain/injection/score.ts";
export { detectPii, PII_TYPES, type PiiSpan, type PiiType } from "./domain/pii/detect.ts";
export {
  createInjectionScorer,
  defaultInjectionThreshold,
  loadBundledInjectionModel,
} from "./inbound/injection-model.ts";
export { injectionOnnx as onnxClassifierFromEnv } from "./platform/config.ts";
