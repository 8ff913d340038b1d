// Public interface of the tfjs engine. Other rooms import from here only.

export {
  type AugmentOptions,
  augmentBatch,
  type BoxedImages,
  colorJitter,
  flipImages,
  scaleImages,
} from "./augment.js";
export {
  BACKEND_CHOICES,
  type BackendChoice,
  type BackendSelection,
  type SlotGpu,
  selectBackend,
} from "./backend.js";
export { MLC_LITE_DEFAULTS, MlcLite, type MlcLiteConfig, type MlcOutputs } from "./classify/mlc-lite.js";
export { type CommandContext, type CommandOutcome, runCommandEngine } from "./command/index.js";
export {
  type ColumnarDataset,
  detectionSamples,
  multiLabelSamples,
  type RgbImageSource,
} from "./dataset-samples.js";
export { type AnchorSet, makeAnchors, mirrorIndex } from "./detect/anchors.js";
export { type Box, BoxCoder, iou, xywhToXyxy, xyxyToXywh } from "./detect/boxes.js";
export type {
  AnchorTargets,
  DecodeOptions,
  Detector,
  DetectorOutputs,
  ImageTargets,
  LevelOutputs,
  RawDetection,
} from "./detect/detector.js";
export { sigmoidFocalLoss, smoothL1Loss } from "./detect/losses.js";
export { BACKGROUND, IGNORE, type MatcherOptions, matchAnchors } from "./detect/matcher.js";
export { classwiseNms } from "./detect/nms.js";
export { RETINANET_LITE_DEFAULTS, RetinaNetLite, type RetinaNetLiteConfig } from "./detect/retinanet-lite.js";
export { SSD_LITE_DEFAULTS, SsdLite, type SsdLiteConfig } from "./detect/ssd-lite.js";
export { type DoctorChoice, type EngineDoctorReport, engineDoctor } from "./doctor.js";
export { createModel, type EngineModel } from "./models.js";
export { conv2d } from "./nn/conv.js";
export { ParamStore } from "./nn/params.js";
export { Rng } from "./nn/rng.js";
export { predictDetections } from "./predict.js";
export { type CocoResult, toCocoResults } from "./predictions.js";
export {
  runTfjsEngine,
  type ScoreResult,
  type TfjsOutcome,
  type TfjsRunContext,
  type TfjsRunInputs,
} from "./run-tfjs.js";
export {
  arraySource,
  type DetectionSample,
  type ImageMeta,
  loadDetectionBatch,
  loadImages,
  type MultiLabelSample,
  type SampleSource,
} from "./samples.js";
export { scorePredictions } from "./score.js";
export { splitInputs } from "./split-inputs.js";
export { tf } from "./tf.js";
export {
  composeDetectionBatch,
  type DetectionBatch,
  detectionTask,
  OUTPUTS,
} from "./train/detection-task.js";
export {
  type HookState,
  type IterRecord,
  type ProgressEvent,
  type TrainConfig,
  type TrainContext,
  type TrainEvent,
  type TrainHook,
  type TrainResult,
  type TrainTask,
  train,
} from "./train/loop.js";
export { Optimizer, type OptimizerConfig } from "./train/optimizer.js";
export { epochBatch, stepRng } from "./train/sampling.js";
export { learningRate, type ScheduleSpec } from "./train/schedule.js";
export { type TrainOneOptions, type TrainOneResult, trainOne } from "./train-one.js";
