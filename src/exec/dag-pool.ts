import type { Slot } from "./slots.js";

// The queue for dependent runs (DESIGN.md "Dependent runs"): like pool.ts,
// every free slot takes the next task, but only a task whose parents have
// finished well in this sweep (or were not part of it: done before). Chains
// run side by side; a task whose parent did not finish well is never started
// and is reported blocked, and so, in turn, are its own descendants.

export interface DagTask {
  key: string;
  /** Keys of the tasks it needs done first (absent from `tasks`: already done). */
  after?: string[];
}

export async function runDagPool<T extends DagTask>(
  tasks: readonly T[],
  slots: readonly Slot[],
  runOne: (task: T, slot: Slot) => Promise<boolean>,
  stopped: () => boolean,
  blocked: (task: T, parent: string) => void,
): Promise<void> {
  const inSweep = new Set(tasks.map((t) => t.key));
  /** key → whether it finished well; absent while pending or running. */
  const finished = new Map<string, boolean>();
  const pending = [...tasks];
  let running = 0;
  let wake: () => void = () => {};
  let woken = new Promise<void>((r) => {
    wake = r;
  });
  const notify = () => {
    const w = wake;
    woken = new Promise<void>((r) => {
      wake = r;
    });
    w();
  };
  /** Drops every pending task with a parent that finished badly; returns whether any was dropped. */
  const dropBlocked = () => {
    let any = false;
    for (let i = 0; i < pending.length; ) {
      const t = pending[i]!;
      const bad = (t.after ?? []).find((p) => finished.get(p) === false);
      if (bad === undefined) {
        i++;
        continue;
      }
      pending.splice(i, 1);
      finished.set(t.key, false);
      blocked(t, bad);
      any = true;
    }
    return any;
  };
  const ready = (t: T) => (t.after ?? []).every((p) => !inSweep.has(p) || finished.get(p) === true);
  const lane = async (slot: Slot) => {
    while (!stopped()) {
      while (dropBlocked()) {
        // Blocking one task may block its children in turn.
      }
      const i = pending.findIndex(ready);
      if (i < 0) {
        if (pending.length === 0 || running === 0) return;
        await woken;
        continue;
      }
      const task = pending.splice(i, 1)[0]!;
      running++;
      let ok = false;
      try {
        ok = await runOne(task, slot);
      } finally {
        running--;
        finished.set(task.key, ok);
        notify();
      }
    }
  };
  await Promise.all(slots.map(lane));
  // Stopped, or parents that can never finish here: whatever is left was not started.
  if (!stopped()) for (const t of pending) blocked(t, (t.after ?? [])[0] ?? "");
}
