import { usesTfjs } from "./compat.js";
import type { Diagnostic, KeyPath } from "./diagnostics.js";
import type { DatasetSpec, JsonValue, LabelsSpec } from "./types.js";

// What the rooms below the sweep know and `validate` needs, handed in as plain
// data (and one pure function) by a caller that may import them: the spec and
// sweep rooms never import the engine or the data stage. exec/capabilities.ts
// builds the Capabilities from the engine's method registry; the data stage's
// split check comes with its SplitProvider (data/split-check.ts).

/** What the built-in engine and the runner can do today; validate refuses the rest as "not implemented yet". */
export interface Capabilities {
  tfjs: {
    /** Method names the tfjs engine trains (its registry: engine/methods/registry.ts). */
    methods: readonly string[];
  };
  /** The runner runs active-learning cycles (acquire, label, retrain) for labels.cycles. */
  activeCycles: boolean;
}

/** What preparing a (dataset, labels) split would refuse, without reading a file. */
export type SplitCheck = (
  dataset: DatasetSpec,
  labels: LabelsSpec,
) => readonly { path: KeyPath; message: string }[];

type Obj = { [k: string]: JsonValue };
const obj = (v: JsonValue | undefined): Obj =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {};

const notYet = (path: KeyPath, what: string): Diagnostic => ({
  path,
  at: "value",
  message: `not implemented yet: ${what}`,
});

/** Features a run config asks for that the chosen engine or the runner does not have yet. */
export function capabilityProblems(config: Obj, caps: Capabilities): Diagnostic[] {
  const out: Diagnostic[] = [];
  const labels = obj(config.labels);
  if (labels.protocol === "active" && !caps.activeCycles) {
    out.push(
      notYet(
        ["labels", "protocol"],
        "active-learning cycles (labels.protocol active): the runner would train once on the initial set " +
          "and report it done; use labels.protocol budget for the initial set alone",
      ),
    );
  }
  if (!usesTfjs(config)) return out;
  const method = obj(config.method).name;
  if (typeof method === "string" && !caps.tfjs.methods.includes(method)) {
    out.push(
      notYet(
        ["method", "name"],
        `method '${method}' on the tfjs engine (it trains ${caps.tfjs.methods.join(", ")}; ` +
          "an external trainer can run other methods through engine.command)",
      ),
    );
  }
  return out;
}
