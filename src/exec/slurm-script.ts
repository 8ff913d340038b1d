import type { SlurmSettings } from "./slurm-config.js";

// The batch script every array task of a sweep runs, and the sbatch argv that
// submits it. The script is written to results/<experiment>/slurm/ and kept,
// so a person can read exactly what ran. Each task looks up its run directory
// in an index file (line N+1 = task N), runs `labelsweep worker` on it, and
// forwards Slurm's signals to the worker so it checkpoints
// (RUNNERS.md: submitit's --signal=USR2@N + requeue, the hook Hydra lacks).

export interface ScriptInput {
  experiment: string;
  /** Absolute paths: node, bin/labelsweep.js. */
  node: string;
  bin: string;
}

/** Exit code the script uses when the worker refused a run another process holds (worker EXIT_LOCKED). */
export const SCRIPT_EXIT_LOCKED = 75;

function quote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

export function batchScript(input: ScriptInput): string {
  return `#!/bin/bash
# labelsweep array task for experiment ${input.experiment}: generated, kept for inspection.
# Submitted as: sbatch --array=0-N%K [options] <this file>, with LABELSWEEP_INDEX in
# sbatch's environment (not --export, which makes slurmd run a login shell per task).
# Line N+1 of $LABELSWEEP_INDEX is the run directory of array task N.
set -u
run_dir=$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" "$LABELSWEEP_INDEX")
if [ -z "$run_dir" ]; then
  echo "labelsweep: no run for task $SLURM_ARRAY_TASK_ID in $LABELSWEEP_INDEX" >&2
  exit 2
fi
echo "labelsweep: task \${SLURM_ARRAY_JOB_ID}_\${SLURM_ARRAY_TASK_ID} (job $SLURM_JOB_ID) on $(hostname) restart \${SLURM_RESTART_COUNT:-0}: $run_dir"

# Slurm signals only this shell (--signal=B:USR2@N) or every process (scancel,
# requeue): pass each to the worker, which checkpoints and exits 143.
got_usr2=0
forward() { [ -n "\${worker:-}" ] && kill "-$1" "$worker" 2>/dev/null; }
trap 'got_usr2=1; forward USR2' USR2
trap 'forward TERM' TERM
trap 'forward INT' INT

${quote(input.node)} ${quote(input.bin)} worker "$run_dir" --gpus "\${CUDA_VISIBLE_DEVICES:-}" >>"$run_dir/log" 2>&1 &
worker=$!
# wait returns early when a trapped signal arrives: wait until the worker is really gone.
rc=0
while :; do
  wait "$worker"
  rc=$?
  kill -0 "$worker" 2>/dev/null || break
done

if [ "$got_usr2" = 1 ] && [ "$rc" = 143 ]; then
  # The time limit (or a preemption) is near and the run checkpointed: put this
  # task back in the queue; the next start resumes it.
  echo "labelsweep: checkpointed on USR2, requeueing \${SLURM_ARRAY_JOB_ID}_\${SLURM_ARRAY_TASK_ID}"
  scontrol requeue "\${SLURM_ARRAY_JOB_ID}_\${SLURM_ARRAY_TASK_ID}"
fi
echo "labelsweep: worker exited $rc"
exit "$rc"
`;
}

/** Splits n runs into arrays no larger than Slurm's MaxArraySize (task ids 0..MaxArraySize-1). */
export function chunkSizes(n: number, maxArraySize: number): number[] {
  const size = Math.max(1, maxArraySize);
  const sizes: number[] = [];
  for (let left = n; left > 0; left -= size) sizes.push(Math.min(size, left));
  return sizes;
}

/** Compact Slurm array spec: 0-3,5,7-9. */
export function arraySpec(indices: readonly number[]): string {
  const sorted = [...indices].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}

export interface SbatchInput {
  settings: SlurmSettings;
  experiment: string;
  script: string;
  logDir: string;
  count: number;
  /** Whether the cluster has GPUs (gres gpu); --gres is only asked for then. */
  clusterHasGpus: boolean;
  /** Dependent runs: the array job whose corresponding tasks must succeed first (slurm-waves.ts). */
  afterArray?: string;
}

export function sbatchArgs(input: SbatchInput): string[] {
  const s = input.settings;
  const indices = Array.from({ length: input.count }, (_, i) => i);
  const parallel = s.maxParallel !== undefined ? `%${Math.min(s.maxParallel, input.count)}` : "";
  const args = [
    "--parsable",
    `--array=${arraySpec(indices)}${parallel}`,
    `--job-name=ls-${input.experiment}`,
    `--output=${input.logDir}/%A_%a.out`,
    "--open-mode=append",
    "--requeue",
    `--signal=B:USR2@${s.requeueSignalSeconds}`,
  ];
  if (input.afterArray) args.push(`--dependency=aftercorr:${input.afterArray}`, "--kill-on-invalid-dep=yes");
  if (s.partition) args.push(`--partition=${s.partition}`);
  if (s.account) args.push(`--account=${s.account}`);
  if (s.time) args.push(`--time=${s.time}`);
  if (s.cpusPerRun !== undefined) args.push(`--cpus-per-task=${s.cpusPerRun}`);
  if (s.mem) args.push(`--mem=${s.mem}`);
  if (s.gpusPerRun > 0 && input.clusterHasGpus) args.push(`--gres=gpu:${s.gpusPerRun}`);
  args.push(...s.sbatchArgs, input.script);
  return args;
}
