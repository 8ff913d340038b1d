import { statfsSync } from "node:fs";

// File-system faults as sentences a person can act on (issue 11: "disk full",
// a read-only results directory, a path that is a file where a folder is
// expected), never a stack trace. Errors without a file-system code are left alone.

/** sysexits.h EX_IOERR: an input/output error (disk full, read-only file system). */
export const EXIT_IO = 74;

const REASONS: Record<string, string> = {
  ENOSPC: "disk full (no space left on device)",
  EDQUOT: "disk quota exceeded",
  EROFS: "read-only file system",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOTDIR: "a part of the path is a file, not a folder",
  EISDIR: "it is a folder, not a file",
  EEXIST: "a file is in the way",
  EMFILE: "too many open files",
  EIO: "input/output error",
};

const READS = new Set(["scandir", "read", "stat", "lstat", "open-read", "readdir", "access"]);

/**
 * "disk full (no space left on device) while writing results/x/summary.json",
 * or null when `err` is no file-system fault (of one of `codes`, when given).
 */
export function describeFsFault(err: unknown, doing?: string, ...codes: string[]): string | null {
  const e = err as (NodeJS.ErrnoException & { dest?: string }) | undefined;
  const code = e?.code;
  if (!code || !(code in REASONS) || (codes.length > 0 && !codes.includes(code))) return null;
  const path = e.dest ?? e.path;
  const verb = doing ?? (e.syscall && READS.has(e.syscall) ? "reading" : "writing");
  return `${REASONS[code]}${path ? ` while ${verb} ${path}` : ""}`;
}

/** Less free space than this on a run's file system means it is full. */
const FULL_BYTES = 64 * 1024;

/** "the file system of <dir> is full (12 KiB free)" when it is, else null (or when it cannot tell). */
export function diskFull(dir: string): string | null {
  try {
    const s = statfsSync(dir);
    const free = Number(s.bavail) * Number(s.bsize);
    return free < FULL_BYTES
      ? `no space left on the file system of ${dir} (${Math.floor(free / 1024)} KiB free)`
      : null;
  } catch {
    return null;
  }
}

export function isFsFault(err: unknown, ...codes: string[]): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && (codes.length === 0 ? code in REASONS : codes.includes(code));
}
