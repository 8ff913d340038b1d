// Public interface of the data stage. Other rooms import from here only.

export { prepareChainSplit, splitImageIds } from "./active-chain.js";
export { prepareActiveCycle } from "./active-split.js";
export { parseCocoBytes, readCocoFile } from "./coco-reader.js";
export { cocoBytes } from "./coco-writer.js";
export { DatasetLoader, type ImageLocation, resolveDataset } from "./dataset-source.js";
export {
  annotationsOf,
  type CategoryInfo,
  CROWD,
  type DatasetFormat,
  type DetectionDataset,
  DIFFICULT,
  type FrequencyGroup,
  IMAGE_LEVEL,
  TRUNCATED,
} from "./detection-dataset.js";
export { type ExportedFile, type ExportLayout, exportSplit } from "./export-split.js";
export {
  decodeImageFile,
  encodePng,
  type ImageSource,
  type ImageTensor,
  imageSource,
  type RgbImage,
  toTensor,
} from "./images.js";
export {
  describeProtocol,
  formatClassTable,
  formatSplitTable,
  inspectSplit,
  type SplitInspection,
} from "./inspect-split.js";
export { DEFAULT_FOLD, normalizeLabels } from "./labels-params.js";
export {
  DATA_GENERATOR_VERSION,
  type OutputRole,
  type SplitCounts,
  type SplitManifest,
  splitManifestHash,
} from "./manifest.js";
export { NumpyLegacyRandom } from "./mt19937.js";
export {
  type MultiLabelFile,
  type MultiLabelView,
  multiLabelBytes,
  multiLabelView,
  NEGATIVE,
  POSITIVE,
  readMultiLabelFile,
  UNKNOWN,
} from "./multilabel.js";
export {
  identifySplitsForRuns,
  type PreparedSplits,
  prepareSplitsForRuns,
  type SplitPaths,
  splitPaths,
} from "./prepare-runs.js";
export {
  type PrepareOptions,
  prepareSplit,
  type SplitArtifact,
  type SplitOutputPath,
} from "./prepare-split.js";
export {
  type Acquisition,
  compareIds,
  DEFAULT_PREFILTER,
  type ImageScore,
  selectImages,
} from "./protocols/acquisition.js";
export { BUILTIN_CLASSES } from "./shapes/classes.js";
export { type ExportResult, exportShapes } from "./shapes/export-shapes.js";
export { ShapesImages, shapesDataset, shapesFileName } from "./shapes/shapes-dataset.js";
export {
  type ResolvedShapesSpec,
  resolveShapesSpec,
  SHAPES_GENERATOR_VERSION,
} from "./shapes/shapes-spec.js";
export { hasSplit, type SplitSpecProblem, splitSpecProblems } from "./split-check.js";
export { imagesOf, loadMultiLabelOutput, loadSplitOutput, outputOf } from "./split-loader.js";
export { type DataSplits, dataSplits } from "./split-provider.js";
export { readVocList, readVocOutput, vocAsCoco, vocGroundTruth } from "./voc-ground-truth.js";
export { readVoc, VOC_CLASSES } from "./voc-reader.js";
