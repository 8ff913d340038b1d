import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
} from "yaml";
import type { Diagnostic, KeyPath, SourceLocation } from "./diagnostics.js";
import type { LocatedMap, LocatedNode } from "./located.js";
import { findDepthExcess, MAX_ALIAS_NODES, MAX_SPEC_DEPTH, MAX_SYNTAX_PROBLEMS } from "./yaml-limits.js";

// Reads one YAML file into a located tree. YAML's sharp edges are closed here:
// duplicate keys are errors (a silently ignored second `lr:` is a classic
// config bug), anchors/aliases and `<<` merge keys work, alias bombs are
// refused by a budget on the nodes aliases add, nesting is refused beyond
// MAX_SPEC_DEPTH before the parser sees the text, and the document must be a
// mapping (yaml-limits.ts).

export type ParseResult = { ok: true; root: LocatedMap } | { ok: false; diagnostics: Diagnostic[] };

class Builder {
  /** Nodes added by expanding aliases ("billion laughs" documents blow through the budget at once). */
  private aliasNodes = 0;
  /** How many alias expansions enclose the node being built. */
  private inAlias = 0;
  private tooDeep = false;
  readonly diagnostics: Diagnostic[] = [];
  constructor(
    private readonly file: string,
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  loc(offset: number | undefined): SourceLocation {
    const pos = this.lines.linePos(offset ?? 0);
    return { file: this.file, line: pos.line, column: pos.col };
  }

  private fail(path: KeyPath, offset: number | undefined, message: string): void {
    this.diagnostics.push({ location: this.loc(offset), path, message });
  }

  build(node: Node | null | undefined, path: KeyPath, depth = 0): LocatedNode | undefined {
    if (this.inAlias > 0 && ++this.aliasNodes > MAX_ALIAS_NODES) {
      if (this.aliasNodes === MAX_ALIAS_NODES + 1) {
        this.fail(
          path,
          node?.range?.[0],
          `aliases expand to more than ${MAX_ALIAS_NODES} nodes (an alias bomb?); refused`,
        );
      }
      return undefined;
    }
    if (depth > MAX_SPEC_DEPTH) {
      // Only aliases get here (the text itself was checked before parsing): say it once.
      if (this.tooDeep) return undefined;
      this.tooDeep = true;
      this.fail(
        path.slice(0, 4),
        node?.range?.[0],
        `aliases nest deeper than ${MAX_SPEC_DEPTH} levels (a spec may nest at most ${MAX_SPEC_DEPTH}); refused`,
      );
      return undefined;
    }
    if (node == null) return { kind: "scalar", value: null, loc: this.loc(undefined) };
    const loc = this.loc(node.range?.[0]);
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      if (!target) {
        this.fail(path, node.range?.[0], `unknown alias *${node.source}`);
        return undefined;
      }
      this.inAlias++;
      try {
        const built = this.build(target as Node, path, depth + 1);
        return built && { ...built, loc };
      } finally {
        this.inAlias--;
      }
    }
    if (isScalar(node)) {
      const v = node.value;
      if (v === null || typeof v === "boolean" || typeof v === "string")
        return { kind: "scalar", value: v, loc };
      if (typeof v === "number") {
        if (!Number.isFinite(v)) {
          this.fail(path, node.range?.[0], `${node.source} is not a finite number`);
          return undefined;
        }
        return { kind: "scalar", value: v, loc };
      }
      this.fail(path, node.range?.[0], `unsupported YAML value ${JSON.stringify(String(node.source ?? v))}`);
      return undefined;
    }
    if (isSeq(node)) {
      const items: LocatedNode[] = [];
      node.items.forEach((item, i) => {
        const built = this.build(item as Node, [...path, i], depth + 1);
        if (built) items.push(built);
      });
      return { kind: "seq", items, loc };
    }
    if (isMap(node)) return this.buildMap(node, path, depth, loc);
    this.fail(path, undefined, "unsupported YAML node");
    return undefined;
  }

  private buildMap(
    node: Node & { items: unknown[] },
    path: KeyPath,
    depth: number,
    loc: SourceLocation,
  ): LocatedMap {
    const entries = new Map<string, LocatedNode>();
    const explicit = new Map<string, LocatedNode>();
    for (const pair of node.items as { key: Node | null; value: Node | null }[]) {
      const key = pair.key;
      if (isScalar(key) && typeof key.value === "symbol") {
        // `<<: *base` (or a list of aliases): merged keys come first, explicit keys win.
        const sources = isSeq(pair.value) ? (pair.value.items as Node[]) : [pair.value];
        for (const source of sources) {
          const merged = source ? this.build(source, path, depth + 1) : undefined;
          if (merged?.kind === "map") {
            for (const [k, v] of merged.entries) if (!entries.has(k)) entries.set(k, v);
          } else if (merged) {
            this.fail(path, source?.range?.[0], "a `<<` merge key needs a mapping (or a list of mappings)");
          }
        }
        continue;
      }
      if (!isScalar(key) || key.value === null || typeof key.value === "object") {
        this.fail(path, key?.range?.[0] ?? node.range?.[0], "keys must be plain scalars");
        continue;
      }
      const name = String(key.value);
      const built = this.build(pair.value, [...path, name], depth + 1);
      if (built) explicit.set(name, { ...built, keyLoc: this.loc(key.range?.[0]) });
    }
    for (const [k, v] of explicit) entries.set(k, v);
    return { kind: "map", entries, loc };
  }
}

export function parseYamlSpec(file: string, text: string): ParseResult {
  const lines = new LineCounter();
  const at = (offset: number): SourceLocation => {
    const p = lines.linePos(offset);
    return { file, line: p.line, column: p.col };
  };
  const deep = findDepthExcess(text);
  if (deep) {
    const before = text.slice(0, deep.offset);
    const line = before.split("\n").length;
    return {
      ok: false,
      diagnostics: [
        {
          location: { file, line, column: deep.offset - before.lastIndexOf("\n") },
          path: [],
          message: `nesting deeper than ${MAX_SPEC_DEPTH} levels; a spec may nest mappings and lists at most ${MAX_SPEC_DEPTH} deep`,
        },
      ],
    };
  }
  try {
    return parseText(file, text, lines, at);
  } catch (err) {
    // The depth check above keeps recursion shallow; this is the last guard, never a stack trace.
    if (!(err instanceof RangeError)) throw err;
    return {
      ok: false,
      diagnostics: [{ location: at(0), path: [], message: `cannot parse: ${err.message}` }],
    };
  }
}

function parseText(
  file: string,
  text: string,
  lines: LineCounter,
  at: (offset: number) => SourceLocation,
): ParseResult {
  const docs = parseAllDocuments(text, {
    lineCounter: lines,
    uniqueKeys: true,
    merge: true,
    prettyErrors: false,
  });
  if (!Array.isArray(docs)) {
    // parseAllDocuments returns an EmptyStream for a file with no document at all.
    return { ok: false, diagnostics: [{ location: at(0), path: [], message: emptyMessage }] };
  }
  const diagnostics: Diagnostic[] = [];
  for (const doc of docs) {
    for (const err of doc.errors) {
      const message = err.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
      // A duplicate key sits right after the previous entry: only a strict range
      // tells them apart. Syntax errors point past the broken value: include its tail.
      const strict = err.code === "DUPLICATE_KEY";
      const path = doc.contents ? pathAtOffset(doc.contents as Node, err.pos[0], [], strict) : [];
      const text =
        err.code === "DUPLICATE_KEY"
          ? "duplicate key: this key is already set above in the same mapping"
          : `YAML: ${message}`;
      diagnostics.push({ location: at(err.pos[0]), path, message: text });
    }
  }
  // Duplicate keys "found" while the parser recovers from a syntax error are artifacts of the recovery.
  const syntax = diagnostics.filter((d) => !d.message.startsWith("duplicate key"));
  if (syntax.length > 0) return { ok: false, diagnostics: capped(syntax) };
  if (diagnostics.length > 0) return { ok: false, diagnostics: capped(diagnostics) };
  if (docs.length > 1) {
    const second = docs[1]!;
    return {
      ok: false,
      diagnostics: [
        {
          location: at(second.range[0]),
          path: [],
          message: "a spec is one YAML document; found a second one here",
        },
      ],
    };
  }
  const doc = docs[0];
  if (!doc || doc.contents === null) {
    return { ok: false, diagnostics: [{ location: at(0), path: [], message: emptyMessage }] };
  }
  const builder = new Builder(file, doc, lines);
  const root = builder.build(doc.contents as Node, []);
  if (builder.diagnostics.length > 0) return { ok: false, diagnostics: builder.diagnostics };
  if (root?.kind !== "map") {
    const what = root?.kind === "seq" ? "a list" : "a single value";
    return {
      ok: false,
      diagnostics: [
        {
          location: root?.loc ?? at(0),
          path: [],
          message: `the document is ${what}; expected a mapping with keys such as name, dataset, labels, detector, method`,
        },
      ],
    };
  }
  return { ok: true, root };
}

/** The first MAX_SYNTAX_PROBLEMS problems, and one line saying how many more there were. */
function capped(diagnostics: Diagnostic[]): Diagnostic[] {
  if (diagnostics.length <= MAX_SYNTAX_PROBLEMS) return diagnostics;
  const rest = diagnostics.length - MAX_SYNTAX_PROBLEMS;
  const next = diagnostics[MAX_SYNTAX_PROBLEMS]!;
  return [
    ...diagnostics.slice(0, MAX_SYNTAX_PROBLEMS),
    {
      ...(next.location ? { location: next.location } : {}),
      path: [],
      message: `${rest} more YAML problem${rest === 1 ? "" : "s"} from here on, not shown (the first ${MAX_SYNTAX_PROBLEMS} are above)`,
    },
  ];
}

/** Key paths of syntax errors stop at this depth: enough to find the place, short enough to read. */
const ERROR_PATH_DEPTH = 8;

/** The key path of the innermost map entry whose key or value spans `offset` (at most ERROR_PATH_DEPTH deep). */
function pathAtOffset(
  node: Node,
  offset: number,
  path: (string | number)[],
  strict: boolean,
): (string | number)[] {
  if (path.length >= ERROR_PATH_DEPTH) return path;
  const end = (r: readonly number[] | undefined | null) => (r ? (strict ? r[1]! : r[2]! + 1) : 0);
  if (isMap(node)) {
    for (const pair of node.items as { key: Node | null; value: Node | null }[]) {
      const start = pair.key?.range?.[0] ?? 0;
      // range[1] ends the value itself; range[2] also covers the line break after it.
      const stop = end(pair.value?.range ?? pair.key?.range);
      if (offset >= start && offset < stop) {
        const name = isScalar(pair.key) ? String(pair.key.value) : "?";
        return pair.value && offset >= (pair.value.range?.[0] ?? stop + 1)
          ? pathAtOffset(pair.value, offset, [...path, name], strict)
          : [...path, name];
      }
    }
  }
  if (isSeq(node)) {
    const items = node.items as Node[];
    for (let i = 0; i < items.length; i++) {
      const r = items[i]?.range;
      if (r && offset >= r[0] && offset < end(r))
        return pathAtOffset(items[i]!, offset, [...path, i], strict);
    }
  }
  return path;
}

const emptyMessage =
  "the file is empty; expected a mapping with keys such as name, dataset, labels, detector, method";
