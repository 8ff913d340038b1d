import { UserError } from "../util/errors.js";
import type { ExecTask } from "./local-executor.js";

// Dependent runs on Slurm (DESIGN.md "Dependent runs"). Chains become *waves*
// of job arrays linked with `--dependency=aftercorr:<previous wave>`: wave w
// holds the w-th remaining run of every chain, and its task i may start once
// task i of wave w−1 — the same chain's previous cycle — has completed
// successfully. Chains are ordered by how many runs they have left (longest
// first), so every wave is a prefix of the one before and task ids stay dense
// and aligned across waves (also across MaxArraySize chunks: a chain keeps its
// position). Why aftercorr rather than one submission per ready wave: the
// whole sweep is queued at once (`--detach` works, the runner need not stay
// up between cycles), and a failed cycle holds back only its own chain — with
// plain afterok on the whole previous array, one failed task would stop every
// chain. `--kill-on-invalid-dep=yes` cancels the tasks a failure can never
// release, so they end (reported blocked) instead of pending forever.

/** The tasks in waves, chains in the same position of every wave. Tasks without parents in the set start chains. */
export function chainWaves(tasks: readonly ExecTask[]): ExecTask[][] {
  const byKey = new Map(tasks.map((t) => [t.key, t]));
  const child = new Map<string, ExecTask>();
  const roots: ExecTask[] = [];
  for (const t of tasks) {
    const inSet = (t.after ?? []).filter((p) => byKey.has(p));
    if (inSet.length > 1)
      throw new UserError(
        `run ${t.key.slice(0, 12)} depends on several runs: the Slurm executor runs chains only`,
      );
    if (inSet.length === 0) {
      roots.push(t);
      continue;
    }
    const parent = inSet[0]!;
    if (child.has(parent))
      throw new UserError(
        `run ${parent.slice(0, 12)} has several dependants: the Slurm executor runs chains only`,
      );
    child.set(parent, t);
  }
  const chains = roots.map((root) => {
    const chain = [root];
    for (let next = child.get(root.key); next; next = child.get(next.key)) chain.push(next);
    return chain;
  });
  // Stable: equal lengths keep plan order.
  chains.sort((a, b) => b.length - a.length);
  const waves: ExecTask[][] = [];
  for (let w = 0; w < (chains[0]?.length ?? 0); w++)
    waves.push(chains.filter((c) => c.length > w).map((c) => c[w]!));
  return waves;
}
