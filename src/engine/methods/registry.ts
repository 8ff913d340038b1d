// The tfjs engine's method registry: `method.name` → the module that builds its
// hooks. Adding a method = one file in this folder + one line here.
//
// Which detectors and label protocols each method accepts is not repeated
// here: src/spec/compat.ts (METHOD_RULES) is the one table of those pairs, read
// by `validate` and by this registry alike. This file imports nothing heavy
// (the modules load on demand), so `validate` can ask what is implemented
// without loading TensorFlow.js.

import { METHOD_RULES } from "../../spec/compat.js";
import type { MethodName } from "../../spec/types.js";
import { NotImplementedError } from "../../util/errors.js";
import type { MethodModule } from "./types.js";

const METHODS: Partial<Record<MethodName, () => Promise<MethodModule>>> = {
  supervised: () => import("./supervised.js"),
  csd: () => import("./csd.js"),
  sed: () => import("./sed.js"),
  "mean-teacher": () => import("./mean-teacher.js"),
  "pseudo-label": () => import("./pseudo-label.js"),
  "co-mining": () => import("./co-mining.js"),
  richsem: () => import("./richsem.js"),
  an: () => import("./an.js"),
  role: () => import("./role.js"),
  scob: () => import("./scob.js"),
};

/** Names of the methods the tfjs engine trains. */
export function tfjsMethods(): MethodName[] {
  return Object.keys(METHODS) as MethodName[];
}

export function isTfjsMethod(name: string): boolean {
  return Object.hasOwn(METHODS, name);
}

/** Detector archs a method runs on (the compat table's). */
export function methodArchs(name: MethodName): readonly string[] {
  return METHOD_RULES[name].archs;
}

export async function loadMethod(name: MethodName): Promise<MethodModule> {
  const load = METHODS[name];
  if (!load) throw new NotImplementedError(`method '${name}' on the tfjs engine`);
  return load();
}
