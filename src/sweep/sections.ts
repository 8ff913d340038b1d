import type { Diagnostic } from "../spec/diagnostics.js";
import type { JsonValue, RunConfig, SemanticKey } from "../spec/types.js";
import { DISCRIMINATORS } from "../spec/variants.js";
import { canonicalJson } from "../util/canonical-json.js";
import type { Atom } from "./axes.js";
import { frozenCopy, getAt, isJsonObject, SetBlocked, setAt } from "./paths.js";
import { problem, type SweepProblem } from "./problems.js";

// The distinct values each section of the run config takes across a sweep.
// A 100k-run plan has 100k configs but only a handful of distinct `method`
// or `labels` blocks: each is built, normalised, validated and serialised to
// canonical JSON once, and every cell that uses it shares the same frozen
// object. This is what keeps `plan` under 2 s for 100k runs.

/**
 * The key that says which variant a block is (spec/variants.ts). Parameters
 * belong to a variant: csd's `weight` means nothing to `supervised` (and the
 * schema rejects it). So when a sweep sets `method.name` to a different method
 * than the block it changes, it starts that block afresh from `{name}` instead
 * of keeping the other method's parameters; the base block's parameters are
 * kept only for the method the base spec itself names. Sweeping whole blocks
 * (`method: [{name: supervised}, {name: csd, weight: 2}]`) is the way to give
 * each variant its own parameters.
 */
export { DISCRIMINATORS };

export interface SectionEntry {
  section: SemanticKey;
  /** Equal ids ⇔ equal values (canonical JSON) within a section. */
  id: number;
  /** undefined only for a section the base spec leaves out (and no cell sets). */
  value: JsonValue | undefined;
  /** canonicalJson(value); "" when value is undefined. */
  canonical: string;
  /** The atoms of the first cell that produced this value ([] for the base spec's block). */
  atoms: readonly Atom[];
  /** Problems the block's check found, with paths into the run config (e.g. ["method", "weight"]). */
  diagnostics: readonly Diagnostic[];
}

/**
 * Checks a changed block and completes it (schema defaults), as the loader
 * does for the base spec, so a value left to its default and the same value
 * written out give the same run key.
 */
export type PrepareSection = (
  section: SemanticKey,
  value: JsonValue,
) => { value: JsonValue; diagnostics?: readonly Diagnostic[] };

const canonicalCache = new WeakMap<object, string>();

/** canonicalJson, served from the cache for the frozen blocks this table made. */
export function canonicalOf(value: JsonValue): string {
  if (typeof value === "object" && value !== null) {
    const cached = canonicalCache.get(value);
    if (cached !== undefined) return cached;
  }
  return canonicalJson(value);
}

function depthOrder(a: Atom, b: Atom): number {
  return a.rel.length - b.rel.length;
}

export class SectionTable {
  readonly base: Readonly<Record<SemanticKey, SectionEntry>>;
  readonly problems: SweepProblem[] = [];
  private readonly byTokens = new Map<string, SectionEntry | null>();
  private readonly byCanonical = new Map<SemanticKey, Map<string, SectionEntry>>();
  private readonly blockedAtoms = new Set<string>();

  constructor(
    baseConfig: RunConfig,
    keys: readonly SemanticKey[],
    private readonly prepare?: PrepareSection,
  ) {
    const base = {} as Record<SemanticKey, SectionEntry>;
    for (const section of keys)
      base[section] = this.finish(section, baseConfig[section] as JsonValue | undefined, []);
    this.base = base;
  }

  /** Every distinct value of a section, the base spec's first. */
  entries(section: SemanticKey): SectionEntry[] {
    return [...(this.byCanonical.get(section)?.values() ?? [])];
  }

  /**
   * The block `section` becomes when `atoms` (all in this section, in axis
   * order) are applied to the base; null when an atom cannot be set (reported).
   */
  resolve(section: SemanticKey, atoms: readonly Atom[]): SectionEntry | null {
    if (atoms.length === 0) return this.base[section];
    let key = section;
    for (const a of atoms) key += `|${a.token}`;
    const hit = this.byTokens.get(key);
    if (hit !== undefined) return hit;
    const built = this.build(section, atoms);
    this.byTokens.set(key, built);
    return built;
  }

  private build(section: SemanticKey, atoms: readonly Atom[]): SectionEntry | null {
    const ordered = [...atoms].sort(depthOrder); // a whole block first, its keys after
    let value: JsonValue | undefined = this.base[section].value;
    const disc = DISCRIMINATORS[section];
    let i = 0;
    if (ordered[0]?.rel.length === 0) value = ordered[i++]!.value;
    const variant =
      disc === undefined ? undefined : ordered.find((a) => a.rel.length === 1 && a.rel[0] === disc);
    if (variant && getAt(value, [disc!]) !== variant.value) value = Object.freeze({});
    for (; i < ordered.length; i++) {
      const a = ordered[i]!;
      const next: JsonValue | SetBlocked = setAt(value, a.rel, a.value);
      if (next instanceof SetBlocked) {
        this.reportBlocked(a, next);
        return null;
      }
      value = next;
    }
    if (value === undefined) return null;
    return this.finish(section, value, atoms);
  }

  private finish(section: SemanticKey, raw: JsonValue | undefined, atoms: readonly Atom[]): SectionEntry {
    // A section the spec leaves out stays out of every cell that does not sweep it.
    if (raw === undefined) return this.intern(section, undefined, atoms, []);
    let value = raw;
    let diagnostics: readonly Diagnostic[] = [];
    if (this.prepare) {
      const prepared = this.prepare(section, value);
      value = prepared.value;
      diagnostics = prepared.diagnostics ?? [];
    }
    return this.intern(section, frozenCopy(value), atoms, diagnostics);
  }

  private intern(
    section: SemanticKey,
    value: JsonValue | undefined,
    atoms: readonly Atom[],
    diagnostics: readonly Diagnostic[],
  ): SectionEntry {
    let table = this.byCanonical.get(section);
    if (!table) {
      table = new Map();
      this.byCanonical.set(section, table);
    }
    const canonical = value === undefined ? "" : canonicalJson(value);
    const existing = table.get(canonical);
    if (existing) return existing;
    if (typeof value === "object" && value !== null) canonicalCache.set(value, canonical);
    // `atoms` is the caller's scratch list: keep a copy.
    const entry: SectionEntry = { section, id: table.size, value, canonical, atoms: [...atoms], diagnostics };
    table.set(canonical, entry);
    return entry;
  }

  private reportBlocked(a: Atom, blocked: SetBlocked): void {
    if (this.blockedAtoms.has(a.token)) return;
    this.blockedAtoms.add(a.token);
    const at = [a.section, ...a.rel.slice(0, blocked.depth)].join(".");
    const found = isJsonObject(blocked.found) ? "an object" : JSON.stringify(blocked.found);
    this.problems.push(
      problem(
        a.keyOrigin,
        a.keyOrigin[1] === "seeds" || a.keyOrigin[1] === "folds" ? "value" : "key",
        `cannot set ${a.path}: ${at} is ${found}, not a block with keys`,
      ),
    );
  }
}
