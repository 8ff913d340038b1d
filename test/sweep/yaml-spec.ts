import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import type { KeyPath, Locator, SourceLocation } from "../../src/spec/diagnostics.js";
import type { Spec } from "../../src/spec/types.js";

// Test helper: a spec written as YAML text, with a Locator over its nodes, so
// sweep diagnostics can be asserted at real line:column positions without the
// spec loader. Paths deeper than the YAML resolve to their nearest ancestor.

export function yamlSpec(
  dir: string,
  text: string,
  file = "spec.yaml",
): { spec: Spec; locate: Locator; file: string } {
  const path = join(dir, file);
  writeFileSync(path, text);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  if (doc.errors.length > 0) throw doc.errors[0];
  const at = (offset: number): SourceLocation => {
    const { line, col } = lines.linePos(offset);
    return { file: path, line, column: col };
  };
  const locate = ((keyPath: KeyPath, part: "key" | "value" = "key") => {
    let node: Node | null | undefined = doc.contents as Node;
    let keyNode: Node | undefined;
    for (const step of keyPath) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && p.key.value === step);
        if (!pair) break;
        keyNode = pair.key as Node;
        node = pair.value as Node;
      } else if (isSeq(node) && typeof step === "number" && node.items[step]) {
        keyNode = node.items[step] as Node;
        node = node.items[step] as Node;
      } else break;
    }
    const target = part === "value" ? (node ?? keyNode) : (keyNode ?? node);
    return target?.range ? at(target.range[0]) : undefined;
  }) as Locator;
  return { spec: doc.toJS() as Spec, locate, file: path };
}
