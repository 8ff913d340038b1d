// Checkpoints: everything needed to continue a run exactly — parameters,
// optimiser slots, random-stream states and hook state — as a JSON header
// plus one float32 blob, written atomically. `latest.json` names the newest
// complete checkpoint and is replaced last, so a crash mid-write leaves the
// previous checkpoint in force.

import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { JsonValue } from "../../spec/types.js";
import { writeFileAtomicSync } from "../../util/atomic-write.js";

export interface NamedArray {
  name: string;
  shape: number[];
  values: Float32Array;
}

export interface CheckpointData {
  /** Iterations completed. */
  iter: number;
  params: NamedArray[];
  optimizer: { kind: string; step: number; slots: NamedArray[] };
  rng: Record<string, number>;
  hooks: Record<string, { json?: JsonValue; arrays?: NamedArray[] }>;
  meta?: JsonValue;
}

interface Header {
  format: "labelsweep-checkpoint";
  version: 1;
  iter: number;
  rng: Record<string, number>;
  meta?: JsonValue;
  optimizer: { kind: string; step: number };
  hookJson: Record<string, JsonValue | undefined>;
  /** Where each array lies in the blob, in float32 elements. */
  arrays: { group: string; name: string; shape: number[]; offset: number; length: number }[];
}

const KEEP = 2;

function fileNames(iter: number): { header: string; blob: string } {
  const stem = `ckpt-${String(iter).padStart(8, "0")}`;
  return { header: `${stem}.json`, blob: `${stem}.bin` };
}

export function saveCheckpoint(dir: string, data: CheckpointData): string {
  const groups: [string, NamedArray[]][] = [
    ["params", data.params],
    ["optimizer", data.optimizer.slots],
    ...Object.entries(data.hooks).map(([h, s]): [string, NamedArray[]] => [`hook:${h}`, s.arrays ?? []]),
  ];
  let total = 0;
  const arrays: Header["arrays"] = [];
  for (const [group, list] of groups) {
    for (const a of list) {
      arrays.push({ group, name: a.name, shape: a.shape, offset: total, length: a.values.length });
      total += a.values.length;
    }
  }
  const blob = new Float32Array(total);
  let i = 0;
  for (const [, list] of groups) for (const a of list) blob.set(a.values, arrays[i++]!.offset);
  const header: Header = {
    format: "labelsweep-checkpoint",
    version: 1,
    iter: data.iter,
    rng: data.rng,
    meta: data.meta,
    optimizer: { kind: data.optimizer.kind, step: data.optimizer.step },
    hookJson: Object.fromEntries(Object.entries(data.hooks).map(([h, s]) => [h, s.json ?? null])),
    arrays,
  };
  const names = fileNames(data.iter);
  writeFileAtomicSync(join(dir, names.blob), new Uint8Array(blob.buffer));
  writeFileAtomicSync(join(dir, names.header), `${JSON.stringify(header)}\n`);
  writeFileAtomicSync(
    join(dir, "latest.json"),
    `${JSON.stringify({ iter: data.iter, header: names.header })}\n`,
  );
  // Drop older checkpoints beyond the newest KEEP.
  const old = readdirSync(dir)
    .filter((f) => /^ckpt-\d{8}\.json$/.test(f))
    .sort()
    .slice(0, -KEEP);
  for (const f of old) {
    rmSync(join(dir, f), { force: true });
    rmSync(join(dir, f.replace(/\.json$/, ".bin")), { force: true });
  }
  return join(dir, names.header);
}

/** The newest checkpoint in `dir`, or null when there is none. */
export function loadLatestCheckpoint(dir: string): CheckpointData | null {
  const pointer = join(dir, "latest.json");
  if (!existsSync(pointer)) return null;
  const { header: headerName } = JSON.parse(readFileSync(pointer, "utf8")) as { header: string };
  const header = JSON.parse(readFileSync(join(dir, headerName), "utf8")) as Header;
  if (header.format !== "labelsweep-checkpoint" || header.version !== 1) {
    throw new Error(`${join(dir, headerName)}: not a labelsweep checkpoint (version 1)`);
  }
  const raw = readFileSync(join(dir, headerName.replace(/\.json$/, ".bin")));
  const blob = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const byGroup = new Map<string, NamedArray[]>();
  for (const a of header.arrays) {
    const list = byGroup.get(a.group) ?? [];
    list.push({ name: a.name, shape: a.shape, values: blob.slice(a.offset, a.offset + a.length) });
    byGroup.set(a.group, list);
  }
  const hooks: CheckpointData["hooks"] = {};
  for (const [h, json] of Object.entries(header.hookJson))
    hooks[h] = { json, arrays: byGroup.get(`hook:${h}`) ?? [] };
  return {
    iter: header.iter,
    params: byGroup.get("params") ?? [],
    optimizer: { ...header.optimizer, slots: byGroup.get("optimizer") ?? [] },
    rng: header.rng,
    hooks,
    meta: header.meta,
  };
}
