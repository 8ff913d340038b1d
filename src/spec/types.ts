// The experiment spec: the contract a user writes in YAML. These types mirror
// schemas/experiment.schema.json (snake_case keys, as users of mmdetection and
// detectron2 configs expect). They are plain data: every room downstream
// (sweep, data, engine, eval, exec, results) receives these objects, never the
// YAML document or the loader's internals.

export type JsonPrimitive = null | boolean | number | string;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Built-in dataset names; any other name must be registered (or used by the command engine). */
export type DatasetName = "shapes" | "coco" | "voc" | "lvis";

export interface ShapesDatasetSpec {
  name: "shapes";
  /** Generator seed (the scenes themselves, not the label split). */
  seed?: number;
  train_images?: number;
  eval_images?: number;
  image_size?: number;
  /** Number of classes, or explicit class names drawn from the built-in shape × colour list. */
  classes?: number | string[];
  objects_per_image?: [number, number];
  /** Object side as a fraction of the image side: [smallest, largest]. */
  scale?: [number, number];
  class_frequency?: "uniform" | { zipf: number };
  /** Class pairs that tend to appear together (multi-label structure). */
  cooccurrence?: { pairs: [number, number][]; probability: number };
  /** One dominant object per image (image-level "extra" data). */
  object_centric?: boolean;
  background?: "plain" | "noise" | "texture";
}

export interface FileDatasetSpec {
  name: "coco" | "voc" | "lvis" | (string & {});
  /** Folder that relative paths below are resolved against. */
  root?: string;
  /** Training annotations (COCO/LVIS JSON, or VOC `year/split`, e.g. `2007/trainval`). */
  train?: string;
  /** Evaluation annotations. */
  eval?: string;
  /** Unlabelled image source, when the protocol needs one (e.g. VOC12 trainval for CSD). */
  unlabeled?: string;
  train_images?: string;
  eval_images?: string;
}

export type DatasetSpec = ShapesDatasetSpec | FileDatasetSpec;

export type SparseLevel = "easy" | "hard" | "extreme" | "missing50p" | { keep: number };

export interface ExtraSpec {
  /** Number of object-centric images that carry image-level labels only (whole-image coarse boxes). */
  images?: number;
  /** Real datasets: a COCO-style JSON of extra images with image-level labels (pos_category_ids). */
  annotations?: string;
  images_dir?: string;
  /** Which classes the extra images show. */
  classes?: "all" | "rare" | "tail";
}

interface ProtocolBase {
  /** Data split index; seeds every sampling step of the protocol (kept apart from the training seed). */
  fold?: number;
  extra?: ExtraSpec;
}

export interface FullLabels extends ProtocolBase {
  protocol: "full";
}

export interface BudgetLabels extends ProtocolBase {
  protocol: "budget";
  fraction?: number;
  count?: number;
  nested?: boolean;
  /** `mmdet` reproduces mmdetection's split_coco.py draw (NumPy MT19937, with replacement). */
  compat?: "labelsweep" | "mmdet";
}

export interface SparseLabels extends ProtocolBase {
  protocol: "sparse";
  level: SparseLevel;
  /** Keep at least one box in every image that had one (missing50p default: true). */
  keep_at_least_one?: boolean;
  /** Crowd regions: always kept (labelsweep's rule, default) or counted and dropped like instances. */
  crowd?: "keep" | "as-instance";
}

export interface SinglePositiveLabels extends ProtocolBase {
  protocol: "single-positive";
  /** Whose draw: labelsweep's own, or the exact observed labels of Cole et al.'s or Scob's code. */
  compat?: "labelsweep" | "cole" | "scob";
  /** Whether a crowd annotation makes its class positive (default) or not. */
  crowd?: "positive" | "ignore";
  /** compat cole: fraction of training images held out with full labels (default 0.2). */
  holdout?: number;
}

export interface ActiveLabels extends ProtocolBase {
  protocol: "active";
  initial: { fraction?: number; count?: number };
  per_cycle: { fraction?: number; count?: number };
  cycles: number;
  acquisition: "random" | "entropy" | "consistency" | "combined";
  /** combined: how many times the budget the entropy prefilter keeps (default 3, AL-SSL's 3000 / 1000). */
  prefilter?: number;
  /** Which model scores cycle 0's pool: the trained one (paper, default) or an untrained one (AL-SSL's code). */
  first_round?: "trained" | "code";
  /** AL-SSL's auto-labelling of confident unselected pool images (paper: predicted boxes; code: ground truth). */
  pseudo_labels?: { threshold: number; pseudo_boxes?: "paper" | "code" };
  /** Each cycle starts from fresh weights (AL-SSL's code, default) or from the previous cycle's final ones. */
  cycle_init?: "reinit" | "continue";
  /** `al-ssl`: AL-SSL's initial set (Python random.seed(314), shuffle, first `initial`). */
  compat?: "labelsweep" | "al-ssl";
}

/** A released split file (Co-mining's sparse annotations, a STAC/mmdetection split) as the labelled set. */
export interface FileLabels extends ProtocolBase {
  protocol: "file";
  /** COCO-format JSON, relative to dataset.root. */
  annotations: string;
}

export type LabelsSpec =
  | FullLabels
  | BudgetLabels
  | SparseLabels
  | SinglePositiveLabels
  | ActiveLabels
  | FileLabels;
export type LabelProtocol = LabelsSpec["protocol"];

export type DetectorArch = "ssd-lite" | "retinanet-lite" | "mlc-lite";

export interface DetectorSpec {
  arch: DetectorArch | (string & {});
  [param: string]: JsonValue;
}

export type MethodName =
  | "supervised"
  | "csd"
  | "co-mining"
  | "sed"
  | "richsem"
  | "scob"
  | "mean-teacher"
  | "pseudo-label"
  | "an"
  | "role";

export interface MethodSpec {
  name: MethodName;
  [param: string]: JsonValue;
}

export interface TrainSpec {
  iterations?: number;
  /** Passes over the labelled images; replaces iterations when set. */
  epochs?: number;
  batch?: number;
  lr?: number;
  optimizer?: "sgd" | "adam" | "adamw";
  momentum?: number;
  weight_decay?: number;
  schedule?: { type: "constant" | "step" | "cosine"; steps?: number[]; gamma?: number; warmup?: number };
  image_size?: number;
  augment?: { flip?: boolean; scale_jitter?: [number, number]; color_jitter?: number };
  eval_every?: number;
  checkpoint_every?: number;
  /** Unlabelled images per labelled image in a batch (semi-supervised methods). */
  unlabeled_ratio?: number;
  /** Clip each step's gradient to this global L2 norm (off when absent). */
  grad_clip_norm?: number;
}

/** The scale a trainer prints its metrics in (fraction: 0.412; percent: 41.2); undeclared: detected. */
export type MetricsScale = "fraction" | "percent";

export type MetricsSource = { scale?: MetricsScale } & (
  | { from: "predictions"; file: string }
  | { from: "pycocotools"; file?: string }
  | { from: "detectron2"; file?: string; task?: string }
  | { from: "mmengine"; file: string }
  | { from: "jsonl"; file: string }
);

export interface CommandEngineSpec {
  command: string[];
  /** Appended to the argv when a run restarts from its checkpoint (e.g. ["--resume"]). */
  resume_args?: string[];
  metrics: MetricsSource;
  env?: Record<string, string>;
  cwd?: string;
  timeout?: number;
  /**
   * Globs (relative to the spec's folder) of further files whose content is
   * part of the runs' code identity, tracked by git or not (configs, a
   * trainer outside any repository).
   */
  code?: string[];
}

/** The tfjs engine's backends (engine/backend.ts chooses among them; schema: engine.backend). */
export const BACKEND_CHOICES = ["auto", "tensorflow", "webgpu", "wasm", "cpu"] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export interface TfjsEngineSpec {
  name: "tfjs";
  backend?: BackendChoice;
}

export type EngineSpec = TfjsEngineSpec | CommandEngineSpec;

export type EvalType = "coco" | "lvis" | "voc07" | "voc" | "multilabel";

export interface EvalSpec {
  type: EvalType;
  iou_thresholds?: number[];
  max_dets?: number[];
  /** LVIS frequency groups by training-image count: rare ≤ rare_max, common ≤ common_max. */
  rare_max?: number;
  common_max?: number;
  /** Multi-label decision threshold for F1/precision/recall. */
  threshold?: number;
  /** Whose numbers: the type's reference tool by default (see EVAL_COMPAT in src/eval/compat.ts). */
  compat?: EvalCompat;
  /** multilabel: whether a crowd annotation makes its class positive (default) or not. */
  crowd?: "positive" | "ignore";
}

export type EvalCompat = "pycocotools" | "lvis-api" | "detectron2" | "ssd-pytorch" | "scob" | "corrected";

export type SweepValue = JsonValue;

export interface SweepSpec {
  /** Cartesian product over dotted paths. */
  grid?: Record<string, SweepValue[]>;
  /** Axes that move together: each group's lists must have equal length. */
  zip?: Record<string, SweepValue[]>[];
  /** Training seeds: a count (0..n-1) or an explicit list. */
  seeds?: number | number[];
  /** Data split indices (labels.fold): a count (1..n) or an explicit list. */
  folds?: number | number[];
  /** Cells added on top of the product (each a full assignment of dotted paths). */
  include?: Record<string, SweepValue>[];
  /** Rules that drop cells: a cell is dropped when every listed path matches. */
  exclude?: Record<string, SweepValue | SweepValue[]>[];
}

export interface TableSpec {
  rows: string[];
  columns: string[];
  metric: string | string[];
  aggregate?: "mean_std" | "ci95";
  best?: "max" | "min" | "none";
  formats?: ("md" | "csv" | "latex" | "json")[];
  precision?: number;
  /** Multiply metric values before printing (e.g. 100 for percentages). */
  scale?: number;
  /** Row/column values of the cell each cell is compared with (Δ and Welch's t-test), e.g. {"method.name": "supervised"}. */
  baseline?: Record<string, SweepValue>;
}

export interface ReferenceSpec {
  /** Assignment of dotted paths that names the table cell. */
  cell: Record<string, SweepValue>;
  metric: string;
  value: number;
  source: string;
  verified: boolean;
  /** Tolerance policy: |Δ| ≤ k·std (default k = 2), or an absolute bound. */
  tolerance?: { k?: number; abs?: number };
  note?: string;
}

export interface ExecutorSpec {
  type?: "local" | "slurm";
  jobs?: number;
  gpus_per_run?: number;
  timeout?: number;
  [param: string]: JsonValue | undefined;
}

/** A fully loaded spec (extends merged, overrides applied, defaults filled, validated). */
export interface Spec {
  name: string;
  description?: string;
  dataset: DatasetSpec;
  labels: LabelsSpec;
  detector: DetectorSpec;
  method: MethodSpec;
  train: TrainSpec;
  engine: EngineSpec;
  eval: EvalSpec;
  /** Training seed of a single run; `sweep.seeds` overrides it per run. */
  seed: number;
  /** Free-form hyperparameters of an external trainer ({params.x} in engine.command). */
  params?: { [key: string]: JsonValue };
  sweep?: SweepSpec;
  table?: TableSpec;
  references?: ReferenceSpec[];
  executor?: ExecutorSpec;
}

/**
 * The fields of a Spec that determine a run's result. Everything else (name,
 * description, sweep, table, references, executor) is cosmetic or says where a
 * run executes, and never enters the run key.
 */
export const SEMANTIC_KEYS = [
  "dataset",
  "labels",
  "detector",
  "method",
  "train",
  "engine",
  "eval",
  "seed",
  "params",
] as const;
export type SemanticKey = (typeof SEMANTIC_KEYS)[number];

/**
 * Semantic keys a spec may leave out. An absent one adds nothing to a run's
 * key, so specs without `params` keep the keys they had before it existed.
 */
export const OPTIONAL_SEMANTIC_KEYS: readonly SemanticKey[] = ["params"];

/** One cell of the expanded sweep: the resolved config of exactly one run. */
export type RunConfig = Pick<Spec, SemanticKey>;

/**
 * The files of a run's label split, by role: what the data stage writes
 * (data/prepare-runs.ts), run.json records (sweep/run-record.ts) and the
 * command engine's named placeholders ({annotations}, {unlabeled}, …) expand
 * to. Absent when the split has none, and `images` absent for shapes unless
 * prepared with shapesImages: "files".
 */
export interface SplitFiles {
  /** Labelled training annotations: COCO/LVIS JSON, or for VOC the labelled ImageSets list. */
  annotations?: string;
  /** Unlabelled training images: image-only JSON (VOC: ImageSets list). */
  unlabeled?: string;
  /** More unlabelled images from dataset.unlabeled (CSD's VOC12 beside VOC07): image-only JSON or ImageSets list. */
  unlabeled_extra?: string;
  /** Folder the unlabeled_extra file names resolve against. */
  unlabeled_extra_images?: string;
  /** Folder the training annotations' file names resolve against. */
  images?: string;
  /** Extra images with image-level labels (whole-image boxes), COCO JSON. */
  extra?: string;
  extra_images?: string;
  /** Single-positive labels (labelsweep.multilabel/1). */
  multilabel?: string;
  /** Validation images held out with full labels (single-positive compat cole). */
  holdout?: string;
  /** budget compat mmdet: split_coco.py's labelled and unlabelled files (the latter keeps its annotations). */
  mmdet_labeled?: string;
  mmdet_unlabeled?: string;
  /** Evaluation ground truth: COCO/LVIS JSON, or for VOC the devkit's ImageSets list of the set. */
  eval_annotations?: string;
  eval_images?: string;
}
