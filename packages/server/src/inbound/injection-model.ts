import { readFileSync } from "node:fs";
import { type InjectionModel, loadInjectionModel } from "../domain/injection/score.ts";

const DIR = new URL("../../data/", import.meta.url);

/** The injection model shipped with the server (trained by eval/train-injection.ts); read once per process. */
export function loadBundledInjectionModel(): InjectionModel {
  const meta = JSON.parse(readFileSync(new URL("injection-model.json", DIR), "utf8"));
  return loadInjectionModel(meta, readFileSync(new URL("injection-model.bin", DIR)));
}
