import { createHash } from "node:crypto";
import { mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";
import { CROWD, type DetectionDataset, DIFFICULT, IMAGE_LEVEL } from "./detection-dataset.js";

// Writes a subset of a dataset as COCO/LVIS JSON. Datasets read from a file
// are written by copying each kept record's bytes verbatim (json-bytes.ts
// recorded where they lie), so every field labelsweep does not model —
// segmentation, licences, LVIS synsets — survives, and the output is a pure
// function of the input bytes and the chosen indices. Datasets made in code
// (`shapes`, VOC) are serialised field by field in a fixed key order.
// One record per line, so the files diff and grep well.

export interface CocoSubset {
  /** Image indices, in output order. */
  images: ArrayLike<number>;
  /** Annotation indices, in output order. */
  annotations: ArrayLike<number>;
}

/**
 * A file's content as a list of pieces: literal text, or [start, end) slices
 * of a source buffer. A sparse split of COCO is ~700k records; one Buffer per
 * record (plus Buffer.concat) costs more than the copying itself, and one
 * 400 MB result buffer per split costs page faults. Pieces are copied into
 * one buffer (small files) or streamed to disk in 8 MB chunks (writeParts).
 */
export interface ByteParts {
  source: Buffer;
  texts: (Buffer | null)[];
  starts: number[];
  ends: number[];
  size: number;
}

export function cocoBytes(ds: DetectionDataset, subset: CocoSubset, description?: string): Buffer {
  return partsToBuffer(cocoParts(ds, subset, description));
}

export function cocoParts(ds: DetectionDataset, subset: CocoSubset, description?: string): ByteParts {
  if (ds.raw) return rawParts(ds, subset);
  const data = serialisedBytes(ds, subset, description ?? ds.source);
  return { source: data, texts: [null], starts: [0], ends: [data.length], size: data.length };
}

/**
 * A subset with exactly the top-level keys `keys`, in that order (those the
 * input has): the layout another tool writes, e.g. mmdetection's split_coco.py
 * dumps {images, annotations, licenses, categories, info}.
 */
export function cocoPartsWithKeys(
  ds: DetectionDataset,
  subset: CocoSubset,
  keys: readonly string[],
): ByteParts {
  if (ds.raw) return rawParts(ds, subset, keys);
  const doc = JSON.parse(serialisedBytes(ds, subset, ds.source).toString("utf8")) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of keys) if (k in doc) out[k] = doc[k];
  const data = Buffer.from(`${JSON.stringify(out)}\n`, "utf8");
  return { source: data, texts: [null], starts: [0], ends: [data.length], size: data.length };
}

export function partsToBuffer(parts: ByteParts): Buffer {
  const out = Buffer.allocUnsafe(parts.size);
  let at = 0;
  for (let p = 0; p < parts.texts.length; p++) {
    const t = parts.texts[p];
    if (t) at += t.copy(out, at);
    else at += parts.source.copy(out, at, parts.starts[p] as number, parts.ends[p] as number);
  }
  return out;
}

const CHUNK = 8 << 20;

/** Writes the pieces to `path` in chunks, hashing on the way; returns the sha256 and size. */
export async function writeParts(path: string, parts: ByteParts): Promise<{ sha256: string; bytes: number }> {
  await mkdir(dirname(path), { recursive: true });
  const hash = createHash("sha256");
  const chunk = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(1, parts.size)));
  const file = await open(path, "w");
  try {
    let fill = 0;
    const flush = async () => {
      if (fill === 0) return;
      const view = chunk.subarray(0, fill);
      hash.update(view);
      let done = 0;
      while (done < fill) done += (await file.write(view, done, fill - done)).bytesWritten;
      fill = 0;
    };
    for (let p = 0; p < parts.texts.length; p++) {
      const t = parts.texts[p];
      const src = t ?? parts.source;
      let from = t ? 0 : (parts.starts[p] as number);
      const to = t ? t.length : (parts.ends[p] as number);
      while (from < to) {
        const n = Math.min(to - from, chunk.length - fill);
        src.copy(chunk, fill, from, from + n);
        fill += n;
        from += n;
        if (fill === chunk.length) await flush();
      }
    }
    await flush();
  } finally {
    await file.close();
  }
  return { sha256: hash.digest("hex"), bytes: parts.size };
}

function rawParts(ds: DetectionDataset, subset: CocoSubset, keys?: readonly string[]): ByteParts {
  const raw = ds.raw!;
  // Records adjacent in the source (kept runs) are one slice with their
  // original separators, so `full`-like subsets are a handful of large copies.
  const starts: number[] = [];
  const ends: number[] = [];
  const texts: (Buffer | null)[] = [];
  const text = (s: string) => {
    texts.push(Buffer.from(s, "utf8"));
    starts.push(0);
    ends.push(0);
  };
  const slice = (from: number, to: number) => {
    texts.push(null);
    starts.push(from);
    ends.push(to);
  };
  const records = (spans: Float64Array, indices: ArrayLike<number>) => {
    text("[");
    let k = 0;
    while (k < indices.length) {
      // Extend the run while the next chosen record is the next record of the file.
      let j = k;
      while (j + 1 < indices.length && indices[j + 1] === (indices[j] as number) + 1) j++;
      text(k ? ",\n" : "\n");
      slice(spans[2 * (indices[k] as number)] as number, spans[2 * (indices[j] as number) + 1] as number);
      k = j + 1;
    }
    text(indices.length ? "\n]" : "]");
  };
  text("{");
  let first = true;
  let wroteAnnotations = false;
  const members = keys ? keys.flatMap((k) => raw.members.filter((m) => m.key === k)) : raw.members;
  for (const m of members) {
    text(`${first ? "" : ",\n"}${JSON.stringify(m.key)}:`);
    first = false;
    if (m.key === "images") records(raw.imageSpans, subset.images);
    else if (m.key === "annotations") {
      records(raw.annotationSpans, subset.annotations);
      wroteAnnotations = true;
    } else slice(m.start, m.end);
  }
  // Image-only inputs (e.g. image_info_unlabeled2017.json) still get an annotations list.
  if (!wroteAnnotations && !keys) {
    text(',\n"annotations":');
    records(raw.annotationSpans, subset.annotations);
  }
  text("}\n");
  let size = 0;
  for (let p = 0; p < texts.length; p++)
    size += texts[p]?.length ?? (ends[p] as number) - (starts[p] as number);
  return { source: raw.bytes, texts, starts, ends, size };
}

function serialisedBytes(ds: DetectionDataset, subset: CocoSubset, description: string): Buffer {
  const { images, annotations } = ds;
  const lines: string[] = [];
  lines.push(`{"info":${JSON.stringify({ description })},`);
  // Image-level labels of extra images, in the LVIS/Detic `pos_category_ids` form (METHODS.md §4b).
  const imageLevel = new Map<number, number[]>();
  for (let k = 0; k < subset.annotations.length; k++) {
    const a = subset.annotations[k] as number;
    if ((annotations.flags[a] as number) & IMAGE_LEVEL) {
      const i = annotations.imageIndex[a] as number;
      const list = imageLevel.get(i) ?? [];
      const id = ds.categories[annotations.categoryIndex[a] as number]!.id;
      if (!list.includes(id)) list.push(id);
      imageLevel.set(i, list);
    }
  }
  const imageLines: string[] = [];
  for (let k = 0; k < subset.images.length; k++) {
    const i = subset.images[k] as number;
    const record: Record<string, unknown> = {
      id: images.ids[i],
      file_name: images.fileNames[i],
      width: images.widths[i],
      height: images.heights[i],
    };
    const pos = imageLevel.get(i);
    if (pos) record.pos_category_ids = pos;
    imageLines.push(JSON.stringify(record));
  }
  lines.push(`"images":[${imageLines.length ? `\n${imageLines.join(",\n")}\n` : ""}],`);
  const annLines: string[] = [];
  for (let k = 0; k < subset.annotations.length; k++) {
    const a = subset.annotations[k] as number;
    const flags = annotations.flags[a] as number;
    const record: Record<string, unknown> = {
      id: annotations.ids[a],
      image_id: images.ids[annotations.imageIndex[a] as number],
      category_id: ds.categories[annotations.categoryIndex[a] as number]!.id,
      bbox: Array.from(annotations.boxes.subarray(4 * a, 4 * a + 4)),
      area: annotations.areas[a],
      iscrowd: flags & CROWD ? 1 : 0,
    };
    if (flags & DIFFICULT) record.difficult = 1;
    if (flags & IMAGE_LEVEL) record.image_level = 1;
    annLines.push(JSON.stringify(record));
  }
  lines.push(`"annotations":[${annLines.length ? `\n${annLines.join(",\n")}\n` : ""}],`);
  const catLines = ds.categories.map((c) => JSON.stringify(c));
  lines.push(`"categories":[\n${catLines.join(",\n")}\n]}\n`);
  return Buffer.from(lines.join("\n"), "utf8");
}
