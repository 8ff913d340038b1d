import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { UserError } from "../util/errors.js";
import { hashFile } from "./file-hash.js";
import { MANIFEST_SCHEMA, type OutputRecord, type SplitManifest, splitManifestHash } from "./manifest.js";
import { treeSha256 } from "./split-files.js";
import type { TreeFile } from "./voc-writer.js";

// `labelsweep data inspect <artifact>`: read a manifest back and check that
// every output file still has the sha256 the manifest records.

export interface OutputCheck {
  role: string;
  path: string;
  status: "ok" | "changed" | "missing" | "not-checked";
  note?: string;
}

export interface SplitInspection {
  dir: string;
  manifest: SplitManifest;
  hash: string;
  checks: OutputCheck[];
}

export async function inspectSplit(artifactPath: string): Promise<SplitInspection> {
  const dir = artifactPath.endsWith("manifest.json") ? join(artifactPath, "..") : artifactPath;
  const manifestPath = join(dir, "manifest.json");
  if (!existsSync(manifestPath))
    throw new UserError(`${artifactPath}: no manifest.json (not a split artifact folder)`);
  let manifest: SplitManifest;
  try {
    manifest = JSON.parse(await readFile(manifestPath, "utf8")) as SplitManifest;
  } catch (err) {
    throw new UserError(`${manifestPath}: not valid JSON: ${(err as Error).message}`);
  }
  if (manifest.schema !== MANIFEST_SCHEMA) {
    throw new UserError(
      `${manifestPath}: "schema" is ${JSON.stringify(manifest.schema)}, expected ${MANIFEST_SCHEMA}`,
    );
  }
  const checks: OutputCheck[] = [];
  for (const o of manifest.outputs) checks.push(await checkOutput(dir, o));
  return { dir, manifest, hash: splitManifestHash(manifest), checks };
}

async function checkOutput(dir: string, o: OutputRecord): Promise<OutputCheck> {
  const path = join(dir, o.path);
  if (o.same_as_input) {
    return {
      role: o.role,
      path: o.path,
      status: "not-checked",
      note: `the ${o.same_as_input} input itself (sha256 ${o.sha256.slice(0, 12)}…)`,
    };
  }
  if (!existsSync(path)) return { role: o.role, path: o.path, status: "missing" };
  let actual: string;
  if (o.format === "voc") {
    actual = treeSha256(await vocTreeFiles(dir, o));
  } else {
    actual = (await hashFile(path)).sha256;
  }
  return actual === o.sha256
    ? { role: o.role, path: o.path, status: "ok" }
    : {
        role: o.role,
        path: o.path,
        status: "changed",
        note: `sha256 ${actual.slice(0, 12)}… ≠ manifest ${o.sha256.slice(0, 12)}…`,
      };
}

/** The files of one VOC output: its ImageSets lists and the XML of every image they list. */
async function vocTreeFiles(dir: string, o: OutputRecord): Promise<TreeFile[]> {
  const files: TreeFile[] = [];
  for (const set of (o.voc_sets ?? "").split("+").filter(Boolean)) {
    const [year, role] = set.split("/") as [string, string];
    const listPath = `VOCdevkit/VOC${year}/ImageSets/Main/${role}.txt`;
    const list = await readFile(join(dir, listPath));
    files.push({ path: listPath, data: list });
    for (const name of list.toString("utf8").split("\n").filter(Boolean)) {
      const xmlPath = `VOCdevkit/VOC${year}/Annotations/${name}.xml`;
      if (!existsSync(join(dir, xmlPath))) continue;
      files.push({ path: xmlPath, data: await readFile(join(dir, xmlPath)) });
    }
  }
  return files;
}

/** A fixed-width table of per-split counts (one row per artifact). */
export function formatSplitTable(rows: { label: string; manifest: SplitManifest; hash: string }[]): string {
  const header = [
    "split",
    "protocol",
    "fold",
    "labeled",
    "unlabeled",
    "extra",
    "boxes",
    "of",
    "zero-label classes",
    "hash",
  ];
  const body = rows.map(({ label, manifest: m, hash }) => [
    label,
    describeProtocol(m),
    String(m.fold),
    String(m.counts.images.labeled),
    String(m.counts.images.unlabeled + m.counts.images.unlabeled_extra),
    String(m.counts.images.extra),
    String(m.counts.boxes.visible),
    String(m.counts.boxes.total),
    String(m.counts.zero_label_classes.length),
    hash.slice(0, 12),
  ]);
  const widths = header.map((h, j) => Math.max(h.length, ...body.map((r) => (r[j] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, j) => (j === 0 || j === 1 ? c.padEnd(widths[j] as number) : c.padStart(widths[j] as number)))
      .join("  ");
  return [line(header), ...body.map(line)].join("\n");
}

export function describeProtocol(m: SplitManifest): string {
  const p = m.params;
  switch (m.protocol) {
    case "budget":
      return `budget ${p.fraction !== undefined ? `${(p.fraction as number) * 100}%` : `${p.count} images`}${p.compat === "mmdet" ? " (mmdet)" : ""}`;
    case "sparse":
      return `sparse ${typeof p.level === "string" ? p.level : `keep ${(p.level as { keep: number }).keep}`}`;
    case "active":
      return `active (${m.details.initial} + ${m.details.cycles}×${m.details.per_cycle})${p.compat === "al-ssl" ? " (al-ssl)" : ""}`;
    case "single-positive":
      return `single-positive${p.compat && p.compat !== "labelsweep" ? ` (${p.compat})` : ""}`;
    case "file":
      return `file ${p.annotations}`;
    default:
      return `${m.protocol}${p.extra ? ` + ${(p.extra as { images: number }).images} extra` : ""}`;
  }
}

/** Per-class counts of one manifest, as a table. */
export function formatClassTable(m: SplitManifest): string {
  const header = ["id", "class", "images", "boxes", "of images", "of boxes"];
  const body = m.counts.per_class.map((c) => [
    String(c.id),
    c.name,
    String(c.images),
    String(c.boxes),
    String(c.total_images),
    String(c.total_boxes),
  ]);
  const widths = header.map((h, j) => Math.max(h.length, ...body.map((r) => (r[j] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, j) => (j === 1 ? c.padEnd(widths[j] as number) : c.padStart(widths[j] as number)))
      .join("  ");
  return [line(header), ...body.map(line)].join("\n");
}
