import { closeSync, openSync, readFileSync, rmSync, statSync, utimesSync, writeSync } from "node:fs";
import { join } from "node:path";
import { recordedProcessAlive, selfIdentity } from "../sweep/process-identity.js";
import { FORCE_STALE_AFTER_MS, RUN_FILES, STALE_AFTER_MS } from "../sweep/run-store.js";

// One process executes a run key at a time, across runners and Slurm tasks that
// share a results directory. The lock file is created exclusively (O_EXCL);
// its holder refreshes its mtime as a heartbeat. A lock is stale when its
// process is gone (same host: pid and start time, so a reused pid does not
// hold it) or its heartbeat stopped (other host: 10 minutes, or 90 s when the
// person passes --force).

export interface LockInfo {
  pid: number;
  host: string;
  /** The holder's start time (process-identity.ts); absent in locks of older versions. */
  pidStart?: string;
  since: string;
}

export interface RunLock {
  release(): void;
}

function readLock(file: string): LockInfo | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as LockInfo;
  } catch {
    return undefined;
  }
}

export function lockIsStale(file: string, now = Date.now(), options: { force?: boolean } = {}): boolean {
  const info = readLock(file);
  let mtime: number;
  try {
    mtime = statSync(file).mtimeMs;
  } catch {
    return true;
  }
  if (!info) return now - mtime > 5_000; // a lock that never got its content
  const alive = recordedProcessAlive(info);
  if (alive !== null) return !alive;
  return now - mtime > (options.force ? FORCE_STALE_AFTER_MS : STALE_AFTER_MS);
}

/** The current holder of a run's lock, if any live process holds it. */
export function lockHolder(dir: string): LockInfo | undefined {
  const file = join(dir, RUN_FILES.lock);
  const info = readLock(file);
  return info && !lockIsStale(file) ? info : undefined;
}

/** Takes the lock of a run directory, or returns undefined when a live process holds it. */
export function acquireLock(dir: string, heartbeatMs = 30_000): RunLock | undefined {
  const file = join(dir, RUN_FILES.lock);
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, "wx");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      if (!lockIsStale(file)) return undefined;
      rmSync(file, { force: true });
      continue;
    }
    const info: LockInfo = { ...selfIdentity(), since: new Date().toISOString() };
    writeSync(fd, JSON.stringify(info));
    closeSync(fd);
    const timer = setInterval(() => {
      try {
        const t = new Date();
        utimesSync(file, t, t);
      } catch {
        // The directory was removed (e.g. --force cleaned it): nothing to refresh.
      }
    }, heartbeatMs);
    timer.unref();
    return {
      release() {
        clearInterval(timer);
        const current = readLock(file);
        if (current?.pid === process.pid && current.host === info.host) rmSync(file, { force: true });
      },
    };
  }
  return undefined;
}
