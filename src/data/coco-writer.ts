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

export function cocoBytes(ds: DetectionDataset, subset: CocoSubset, description?: string): Buffer {
  return ds.raw ? rawBytes(ds, subset) : serialisedBytes(ds, subset, description ?? ds.source);
}

function rawBytes(ds: DetectionDataset, subset: CocoSubset): Buffer {
  const raw = ds.raw!;
  const parts: Buffer[] = [];
  const text = (s: string) => parts.push(Buffer.from(s, "utf8"));
  const records = (spans: Float64Array, indices: ArrayLike<number>) => {
    text("[");
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k] as number;
      text(k ? ",\n" : "\n");
      parts.push(raw.bytes.subarray(spans[2 * i] as number, spans[2 * i + 1] as number));
    }
    text(indices.length ? "\n]" : "]");
  };
  text("{");
  let first = true;
  let wroteAnnotations = false;
  for (const m of raw.members) {
    text(`${first ? "" : ",\n"}${JSON.stringify(m.key)}:`);
    first = false;
    if (m.key === "images") records(raw.imageSpans, subset.images);
    else if (m.key === "annotations") {
      records(raw.annotationSpans, subset.annotations);
      wroteAnnotations = true;
    } else parts.push(raw.bytes.subarray(m.start, m.end));
  }
  // Image-only inputs (e.g. image_info_unlabeled2017.json) still get an annotations list.
  if (!wroteAnnotations) {
    text(',\n"annotations":');
    records(raw.annotationSpans, subset.annotations);
  }
  text("}\n");
  return Buffer.concat(parts);
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
