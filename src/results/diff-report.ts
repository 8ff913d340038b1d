import { UserError } from "../util/errors.js";
import { type DiffOptions, diffSummaries, type ExperimentDiff } from "./diff.js";
import {
  type CodeDrift,
  codeDrift,
  repoRoot,
  resolveCommit,
  resultsPathInRepo,
  type SummarySet,
  summariesAtRev,
  summariesInDir,
} from "./diff-sources.js";

// Both sides of `labelsweep diff` (and the report's diff view) put together:
// which revisions or directories, the experiments on each side, the cell
// diffs of the experiments on both, and the code drift between revisions.

export interface DiffReport {
  a: { label: string; commit?: string };
  b: { label: string; commit?: string };
  experiments: ExperimentDiff[];
  onlyA: string[];
  onlyB: string[];
  code?: CodeDrift;
}

export interface DiffRequest extends DiffOptions {
  /** Up to two git revisions: none → HEAD vs working tree; one → it vs working tree. */
  revs?: string[];
  /** Two results directories instead of revisions. */
  dirs?: [string, string];
  resultsDir?: string;
  experiments?: string[];
  cwd?: string;
}

export function compareSets(
  a: SummarySet,
  b: SummarySet,
  options: DiffRequest = {},
  code?: CodeDrift,
): DiffReport {
  const wanted = options.experiments?.length ? new Set(options.experiments) : null;
  if (wanted) {
    for (const e of wanted)
      if (!a.summaries.has(e) && !b.summaries.has(e))
        throw new UserError(
          `experiment ${e}: no summary.json at ${a.label} or ${b.label} (known: ${[...new Set([...a.summaries.keys(), ...b.summaries.keys()])].sort().join(", ") || "none"})`,
        );
  }
  const keep = (e: string) => !wanted || wanted.has(e);
  const names = [...new Set([...a.summaries.keys(), ...b.summaries.keys()])].filter(keep).sort();
  const report: DiffReport = {
    a: { label: a.label, ...(a.commit ? { commit: a.commit } : {}) },
    b: { label: b.label, ...(b.commit ? { commit: b.commit } : {}) },
    experiments: [],
    onlyA: names.filter((e) => !b.summaries.has(e)),
    onlyB: names.filter((e) => !a.summaries.has(e)),
  };
  for (const e of names) {
    const sa = a.summaries.get(e);
    const sb = b.summaries.get(e);
    if (sa && sb) report.experiments.push(diffSummaries(sa, sb, options));
  }
  if (code) report.code = code;
  return report;
}

export async function buildDiff(request: DiffRequest): Promise<DiffReport> {
  const cwd = request.cwd ?? process.cwd();
  if (request.dirs) {
    const [da, db] = request.dirs;
    return compareSets(summariesInDir(da), summariesInDir(db), request);
  }
  const revs = request.revs ?? [];
  if (revs.length > 2) throw new UserError(`diff takes at most two revisions, got ${revs.join(" ")}`);
  const root = await repoRoot(cwd);
  const resultsDir = request.resultsDir ?? "results";
  const resultsRel = resultsPathInRepo(
    root,
    resultsDir.startsWith("/") ? resultsDir : `${cwd}/${resultsDir}`,
  );
  const commits: string[] = [];
  for (const rev of revs.length > 0 ? revs : ["HEAD"]) {
    const c = await resolveCommit(root, rev);
    if (!c) throw new UserError(`${rev}: not a git revision in ${root}`);
    commits.push(c);
  }
  const a = await summariesAtRev(root, commits[0]!, resultsRel);
  const b =
    commits.length === 2
      ? await summariesAtRev(root, commits[1]!, resultsRel)
      : { ...summariesInDir(`${root}/${resultsRel}`, "working tree"), label: "working tree" };
  return compareSets(a, b, request, await codeDrift(root, commits[0]!, commits[1], resultsRel));
}
