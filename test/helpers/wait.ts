// Waiting for something another process does, without a deadline of its own:
// on a loaded machine a worker may take minutes to start, so a fixed number of
// polls is a timing-sensitive assertion. The test's own timeout (vitest.config.ts)
// is the only bound, and it is there to catch a hang, not a slow machine.

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it is true (exceptions count as false). */
export async function waitUntil(check: () => boolean, everyMs = 50): Promise<void> {
  for (;;) {
    try {
      if (check()) return;
    } catch {
      // A file being replaced right now: try again.
    }
    await sleep(everyMs);
  }
}
