import { globSync } from "tinyglobby";
import { shellTemplateProblems } from "../spec/shell-script.js";
import type { JsonValue } from "../spec/types.js";
import type { Expansion } from "./expand.js";
import { problem, type SweepProblem } from "./problems.js";

// Checks of each distinct engine block that `validate` can make before any
// run (issue 11, items 1 and 8): a shell -c script must not quote its own
// placeholders (labelsweep quotes them), and every `engine.code` glob must
// match a file (with the spec's folder known). Each problem points at the
// base spec's engine entry, or at the sweep value that made the block.

interface EngineBlock {
  command?: string[];
  code?: string[];
}

export function checkEngines(expansion: Expansion, options: { specDir?: string } = {}): SweepProblem[] {
  const out: SweepProblem[] = [];
  for (const entry of expansion.sections.entries("engine")) {
    const engine = entry.value as JsonValue as EngineBlock | undefined;
    if (!engine || typeof engine !== "object" || !Array.isArray(engine.command)) continue;
    const at = (...path: (string | number)[]) =>
      entry.atoms.length > 0 ? entry.atoms[0]!.origin : ["engine", ...path];
    for (const p of shellTemplateProblems(engine.command))
      out.push(problem(at("command", p.index), "value", p.message));
    if (options.specDir && Array.isArray(engine.code)) {
      engine.code.forEach((pattern, i) => {
        const found = globSync([pattern], { cwd: options.specDir!, onlyFiles: true, dot: true });
        if (found.length === 0)
          out.push(
            problem(
              at("code", i),
              "value",
              `engine.code: ${JSON.stringify(pattern)} matches no file (from ${options.specDir})`,
            ),
          );
      });
    }
  }
  return out;
}
