import { UserError } from "../util/errors.js";
import { readCocoFile } from "./coco-reader.js";
import type { DetectionDataset } from "./detection-dataset.js";
import { type ImageSource, imageSource } from "./images.js";
import type { OutputRole } from "./manifest.js";
import { type MultiLabelFile, readMultiLabelFile } from "./multilabel.js";
import type { SplitArtifact, SplitOutputPath } from "./prepare-split.js";
import { parseVocSets, readVoc } from "./voc-reader.js";

// What the engine calls to read a split back: the derived annotations of one
// role as a DetectionDataset, and a source for its pixels.

export function outputOf(artifact: SplitArtifact, role: OutputRole): SplitOutputPath | undefined {
  return artifact.outputs.find((o) => o.role === role);
}

export async function loadSplitOutput(output: SplitOutputPath): Promise<DetectionDataset> {
  if (output.format === "voc") {
    const voc = output.voc!;
    return (await readVoc(voc.root, parseVocSets(voc.sets, output.path), `${output.role} split`)).dataset;
  }
  if (output.format === "multilabel") {
    throw new UserError(`${output.path}: a multi-label file; read it with loadMultiLabelOutput`);
  }
  return readCocoFile(output.path, { format: output.format });
}

export function loadMultiLabelOutput(output: SplitOutputPath): Promise<MultiLabelFile> {
  return readMultiLabelFile(output.path);
}

export function imagesOf(output: SplitOutputPath): ImageSource {
  return imageSource(output.images);
}
