import type { Slot } from "./slots.js";

// The queue: every slot takes the next task the moment it frees up, until the
// tasks run out or the caller stops dispatching (Ctrl-C). Tasks already running
// are left to the caller's stop logic.

export async function runPool<T>(
  tasks: readonly T[],
  slots: readonly Slot[],
  runOne: (task: T, slot: Slot) => Promise<void>,
  stopped: () => boolean,
): Promise<void> {
  let next = 0;
  const lane = async (slot: Slot) => {
    while (!stopped()) {
      const i = next++;
      if (i >= tasks.length) return;
      await runOne(tasks[i]!, slot);
    }
  };
  await Promise.all(slots.map(lane));
}
