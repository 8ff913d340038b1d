import { join } from "node:path";
import { linkAtomicSync } from "../util/atomic-write.js";

// Readable pointers into results/<experiment>/runs/<key>/, for people:
//   names/<name>  → ../runs/<key>   one per run, named by its swept values
//   latest        → runs/<key>      the run that started last (W&B's latest-run)
// Keys stay the identity; these links only help find a run by hand.

export const NAMES_DIR = "names";
export const LATEST = "latest";

/** A run name as a file name: spaces → "_", slashes → "-", at most 180 characters. */
export function linkName(name: string, key: string): string {
  const safe = name
    .replace(/\s+/g, "_")
    .replace(/[/\\\0]/g, "-")
    .replace(/^\.+/, "");
  if (safe === "") return key.slice(0, 12);
  return safe.length > 180 ? `${safe.slice(0, 160)}…${key.slice(0, 12)}` : safe;
}

export function linkRunName(experimentDir: string, name: string, key: string): void {
  linkAtomicSync(join(experimentDir, NAMES_DIR, linkName(name, key)), join("..", "runs", key));
}

export function linkLatest(experimentDir: string, key: string): void {
  linkAtomicSync(join(experimentDir, LATEST), join("runs", key));
}
