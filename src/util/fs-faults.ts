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

/** "disk full (no space left on device) while writing results/x/summary.json", or null. */
export function describeFsFault(err: unknown, doing = "writing"): string | null {
  const e = err as (NodeJS.ErrnoException & { dest?: string }) | undefined;
  const code = e?.code;
  if (!code || !(code in REASONS)) return null;
  const path = e.dest ?? e.path;
  return `${REASONS[code]}${path ? ` while ${doing} ${path}` : ""}`;
}

export function isFsFault(err: unknown, ...codes: string[]): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && (codes.length === 0 ? code in REASONS : codes.includes(code));
}
