import type { JsonValue } from "../spec/types.js";
import { canonicalJson } from "../util/canonical-json.js";

// Which keys of two resolved configs differ, as dotted paths (config drift in
// `labelsweep diff`: RUNNERS.md §4.5 asks for "a params diff of the resolved
// configs"). Arrays are compared whole: a changed list of milestones is one change.

export interface KeyChange {
  path: string;
  /** undefined: the key is absent on that side. */
  a?: JsonValue;
  b?: JsonValue;
}

function leaves(value: unknown, prefix: string, out: Map<string, JsonValue>): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (entries.length === 0 && prefix !== "") out.set(prefix, {});
    for (const [k, v] of entries) leaves(v, prefix === "" ? k : `${prefix}.${k}`, out);
    return;
  }
  out.set(prefix, value as JsonValue);
}

export function configChanges(a: unknown, b: unknown): KeyChange[] {
  const la = new Map<string, JsonValue>();
  const lb = new Map<string, JsonValue>();
  leaves(a, "", la);
  leaves(b, "", lb);
  const paths = [...new Set([...la.keys(), ...lb.keys()])].sort();
  const out: KeyChange[] = [];
  for (const path of paths) {
    const va = la.get(path);
    const vb = lb.get(path);
    if (va !== undefined && vb !== undefined && canonicalJson(va) === canonicalJson(vb)) continue;
    const change: KeyChange = { path };
    if (va !== undefined) change.a = va;
    if (vb !== undefined) change.b = vb;
    out.push(change);
  }
  return out;
}
