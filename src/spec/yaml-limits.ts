// The limits a spec file must stay within before its text reaches the YAML
// parser, and the cheap checks that enforce them. A spec is a few kilobytes
// of hand-written YAML; these limits are far above any real one, and each
// refusal states its limit, so a person who hits it knows what to change.
//
// Why each exists: reading /dev/zero (or a FIFO) never ends; a binary file
// parsed as YAML prints pages of noise; and a deeply nested document (10 KB of
// `[`) drives every recursive walk over the tree — the parser's, ours — into
// the stack limit, or into one diagnostic per level with a key path as long
// as the nesting.

/** Largest spec file read, in bytes. */
export const MAX_SPEC_BYTES = 1 << 20;

/** Deepest nesting of mappings and lists a spec may have (the experiments use fewer than 10). */
export const MAX_SPEC_DEPTH = 64;

/** Nodes that aliases may add by expansion (each `*alias` copies its anchor's tree). */
export const MAX_ALIAS_NODES = 100_000;

/** YAML syntax errors reported per file: after a few, the rest are the parser losing its footing. */
export const MAX_SYNTAX_PROBLEMS = 10;

export const sizeText = (bytes: number): string =>
  bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;

/** Why a file's bytes are not YAML text (a NUL byte, or bytes that are not UTF-8), or undefined. */
export function binaryReason(bytes: Uint8Array): string | undefined {
  const nul = bytes.indexOf(0);
  if (nul >= 0) return `a NUL byte at offset ${nul}`;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return "bytes that are not UTF-8";
  }
  return undefined;
}

/** Where a line is more deeply nested than MAX_SPEC_DEPTH: 0-based offset into the text. */
export interface DepthExcess {
  offset: number;
  depth: number;
}

const BLOCK_SCALAR = /(?:^|[\s:-])[|>][0-9+-]*\s*(?:#.*)?$/;

/**
 * An upper estimate of the nesting depth of each line, without parsing: the
 * block levels (a stack of indentations, plus compact `- ` / `? ` entries)
 * and the open flow collections (`[`, `{` outside quotes and comments).
 * Block scalar text (`|`, `>`) is skipped. Returns the first place the
 * estimate passes the limit, or undefined. Linear in the text.
 */
export function findDepthExcess(text: string, limit = MAX_SPEC_DEPTH): DepthExcess | undefined {
  // Open block levels: a line indented deeper than `indent` nests inside, at depth + 1.
  const open: { indent: number; depth: number }[] = [];
  let flow = 0;
  let scalarIndent = -1; // inside a block scalar: lines indented deeper than this are its text
  let quote = ""; // a quoted scalar may span lines
  let offset = 0;
  for (const line of text.split("\n")) {
    const start = offset;
    offset += line.length + 1;
    const indent = line.length - line.trimStart().length;
    const body = line.trim();
    if (scalarIndent >= 0) {
      if (body === "" || indent > scalarIndent) continue;
      scalarIndent = -1;
    }
    if (quote === "" && (body === "" || body.startsWith("#"))) continue;
    let depth = 0;
    const block = flow === 0 && quote === "";
    if (block) {
      while (open.length > 0 && open[open.length - 1]!.indent >= indent) open.pop();
      depth = (open[open.length - 1]?.depth ?? 0) + 1;
      open.push({ indent, depth });
    }
    let i = indent;
    // Compact block entries (`- - x`, `? key`, and `key: - x`, invalid but still recursed on)
    // each open one more level on the same line, until other text starts.
    let prefix: "start" | "key" | "afterKey" | "other" = "start";
    while (i < line.length) {
      const c = line[i]!;
      const spaced = i + 1 === line.length || /\s/.test(line[i + 1]!);
      if (quote) {
        if (c === "\\" && quote === '"') i++;
        else if (c === quote) {
          if (quote === "'" && line[i + 1] === "'") i++;
          else quote = "";
        }
      } else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]!))) {
        break;
      } else if ((c === '"' || c === "'") && (i === indent || /[\s[{,]/.test(line[i - 1]!))) {
        // A quote opens a quoted scalar only where a scalar starts (not the ' of "it's").
        quote = c;
        prefix = "other";
      } else if (c === "[" || c === "{") {
        flow++;
      } else if (c === "]" || c === "}") {
        flow = Math.max(0, flow - 1);
      } else if (flow === 0 && (c === "-" || c === "?") && spaced && prefix !== "key" && prefix !== "other") {
        depth++;
        // What follows the indicator (here or on the next lines) sits inside this entry.
        if (block) open.push({ indent: i + 1, depth });
      } else if (flow === 0 && c === ":" && spaced && prefix === "key") {
        prefix = "afterKey";
      } else if (!/\s/.test(c)) {
        prefix = prefix === "start" || prefix === "key" ? "key" : "other";
      }
      if (depth + flow > limit) return { offset: start + i, depth: depth + flow };
      i++;
    }
    if (depth + flow > limit) return { offset: start + indent, depth: depth + flow };
    if (flow === 0 && quote === "" && BLOCK_SCALAR.test(body)) scalarIndent = indent;
  }
  return undefined;
}
