import type { Diagnostic, SourceLocation } from "./diagnostics.js";
import { type LocatedMap, type LocatedNode, mergeLocated } from "./located.js";
import { DISCRIMINATORS, variantKeys } from "./variants.js";

// `extends` with blocks that have variants (issue 17 §4). A child that
// switches a block's variant (`labels.protocol: sparse` over a parent's
// `budget`) keeps only the parent's keys the new variant has — the parent's
// `fraction` is dropped instead of demanding `fraction: null` — and a problem
// that remains in an inherited key of that block (a value the new variant
// does not accept) is reported at the child's line that switched it, with the
// parent's line as context.

export interface VariantSwitch {
  section: string;
  /** Where the child names the new variant. */
  at: SourceLocation;
  file: string;
  /** The files the switched block was inherited from. */
  inheritedFrom: readonly string[];
  from: string;
  to: string;
}

function scalarOf(map: LocatedMap, key: string): { value: string; loc: SourceLocation } | undefined {
  const node = map.entries.get(key);
  if (node?.kind !== "scalar" || typeof node.value !== "string") return undefined;
  return { value: node.value, loc: node.keyLoc ?? node.loc };
}

/** mergeLocated for two layers of a spec, dropping the parent's keys a switched variant lacks. */
export function mergeLayers(
  base: LocatedNode,
  over: LocatedNode,
  ctx: { switches: VariantSwitch[]; baseFiles: readonly string[] },
): LocatedNode {
  if (base.kind !== "map" || over.kind !== "map") return mergeLocated(base, over);
  let adjusted: LocatedMap = base;
  for (const [section, disc] of Object.entries(DISCRIMINATORS)) {
    const b = base.entries.get(section);
    const o = over.entries.get(section);
    if (b?.kind !== "map" || o?.kind !== "map") continue;
    const from = scalarOf(b, disc);
    const to = scalarOf(o, disc);
    if (!from || !to || from.value === to.value) continue;
    ctx.switches.push({
      section,
      at: to.loc,
      file: to.loc.file,
      inheritedFrom: ctx.baseFiles,
      from: from.value,
      to: to.value,
    });
    const keys = variantKeys(section, to.value);
    if (!keys) continue;
    const entries = new Map([...b.entries].filter(([k]) => keys.has(k)));
    if (entries.size === b.entries.size) continue;
    if (adjusted === base) adjusted = { ...base, entries: new Map(base.entries) };
    adjusted.entries.set(section, { ...b, entries });
  }
  return mergeLocated(adjusted, over);
}

/**
 * Re-points problems in a block whose variant a child switched, and that sit
 * on a key inherited from a parent file, at the child's line; the parent's
 * line becomes context.
 */
export function pointAtSwitches(diagnostics: Diagnostic[], switches: readonly VariantSwitch[]): Diagnostic[] {
  if (switches.length === 0) return diagnostics;
  return diagnostics.map((d) => {
    const loc = d.location;
    if (!loc) return d;
    // The last switch of a section is the one in effect (the child closest to the spec).
    const sw = [...switches].reverse().find((s) => s.section === d.path[0]);
    if (!sw?.inheritedFrom.includes(loc.file)) return d;
    return {
      ...d,
      location: sw.at,
      message: `${d.message} (inherited; ${d.path[0]} became ${sw.to} here, it was ${sw.from})`,
      context: [...(d.context ?? []), { location: loc, note: "inherited from" }],
    };
  });
}
