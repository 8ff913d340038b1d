import { readFileSync } from "node:fs";
import { hostname } from "node:os";

// Is the process that wrote a pid still that process? A pid alone is not an
// identity: after a crash or a reboot the number is reused, and a "running"
// run whose pid now belongs to a shell would block that run for ever (issue
// 11). On Linux a process is (boot id, pid, start time in clock ticks); the
// start time comes from /proc/<pid>/stat. Elsewhere only the pid is known.

function bootId(): string | null {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return null;
  }
}

/** "<boot id>:<start ticks>" of a live process on this host, or null (no /proc, or no such process). */
export function processStart(pid: number): string | null {
  const boot = bootId();
  if (!boot) return null;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may hold spaces: fields after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = fields[19]; // field 22, starttime
  return ticks ? `${boot}:${ticks}` : null;
}

/** This process's identity, recorded with its pid in state.json and the lock. */
export function selfIdentity(): { pid: number; host: string; pidStart?: string } {
  const start = processStart(process.pid);
  return { pid: process.pid, host: hostname(), ...(start ? { pidStart: start } : {}) };
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Whether the recorded process still runs: on this host, its pid exists and —
 * when its start time was recorded and /proc can tell — started at that time.
 * null when it ran on another host (only its heartbeat can tell).
 */
export function recordedProcessAlive(p: { pid?: number; host?: string; pidStart?: string }): boolean | null {
  if (p.host !== hostname() || p.pid === undefined) return null;
  if (!pidAlive(p.pid)) return false;
  if (p.pidStart === undefined) return true;
  const now = processStart(p.pid);
  return now === null ? true : now === p.pidStart;
}
