import { randomBytes } from "node:crypto";
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

// Every file labelsweep writes goes through here: write a sibling temp file,
// then rename over the target, so a reader (or a crash) never sees half a file.

function tempPathFor(target: string): string {
  return join(
    dirname(target),
    `.labelsweep-tmp-${basename(target)}.${process.pid}.${randomBytes(4).toString("hex")}`,
  );
}

export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const tmp = tempPathFor(target);
  try {
    await writeFile(tmp, data);
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export function writeFileAtomicSync(target: string, data: string | Uint8Array): void {
  mkdirSync(dirname(target), { recursive: true });
  const tmp = tempPathFor(target);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

export async function writeJsonAtomic(target: string, value: unknown): Promise<void> {
  await writeFileAtomic(target, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Points a symbolic link at `target` (relative to the link's folder), replacing
 * any link there in one rename. Links are conveniences for people (readable
 * run names, `latest`): a filesystem without them is not an error.
 */
export function linkAtomicSync(link: string, target: string): boolean {
  const tmp = tempPathFor(link);
  try {
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(target, tmp);
    renameSync(tmp, link);
    return true;
  } catch {
    rmSync(tmp, { force: true });
    return false;
  }
}
