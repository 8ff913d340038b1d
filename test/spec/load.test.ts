import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SpecError } from "../../src/spec/diagnostics.js";
import { type LoadOptions, loadSpec } from "../../src/spec/load.js";
import type { JsonObject } from "../../src/spec/types.js";
import { UserError } from "../../src/util/errors.js";
import { REPO_ROOT } from "../helpers/cli.js";

// loadSpec as the other rooms call it: extends, --set / --sweep overrides,
// defaults, and where every value was written.

const DIR = join(REPO_ROOT, "test", "fixtures", "specs", "load");
const fixture = (name: string): string => join(DIR, name);
const load = (name: string, options?: LoadOptions) => loadSpec(fixture(name), options);
const value = (name: string, options?: LoadOptions) => load(name, options).spec as unknown as JsonObject;

/** Line and column (1-based) of `needle` in a fixture, plus `shift` characters. */
function at(name: string, needle: string, shift = 0): { file: string; line: number; column: number } {
  const text = readFileSync(fixture(name), "utf8");
  const offset = text.indexOf(needle);
  if (offset < 0) throw new Error(`${needle} not in ${name}`);
  const before = text.slice(0, offset + shift).split("\n");
  return { file: fixture(name), line: before.length, column: before.at(-1)!.length + 1 };
}

describe("extends", () => {
  const child = load("child.yaml").spec;

  it("merges maps key by key, the extending file winning", () => {
    expect(child.name).toBe("child");
    expect(child.description).toBe("from base-a");
    expect(child.dataset).toMatchObject({ name: "shapes", classes: 6, objects_per_image: [1, 3] });
    expect(child.detector).toMatchObject({ arch: "retinanet-lite", width: 16 });
    // Nested maps merge too: type and gamma from base-a, steps from base-b.
    expect(child.train.schedule).toEqual({ type: "step", steps: [0.9], gamma: 0.5, warmup: 100 });
  });

  it("lets later entries of an extends list win over earlier ones", () => {
    expect((child.dataset as { train_images: number }).train_images).toBe(200);
    expect(child.train.batch).toBe(4);
  });

  it("replaces lists instead of merging them", () => {
    expect(child.detector.anchor_ratios).toEqual([1]);
  });

  it("removes an inherited value set to null (the default comes back)", () => {
    expect(child.train.lr).toBe(0.01);
    expect(child.table).toBeUndefined();
    expect("table" in child).toBe(false);
  });

  it("resolves extends paths against the file that names them, through chains", () => {
    const r = load("sub/grandchild.yaml");
    expect(r.spec.name).toBe("grandchild");
    expect(r.spec.labels).toMatchObject({ protocol: "budget", fraction: 0.05 });
    expect(r.spec.detector.width).toBe(16);
    expect(r.files).toEqual(["sub/grandchild.yaml", "child.yaml", "base-a.yaml", "base-b.yaml"].map(fixture));
  });

  it("keeps neither extends nor $schema in the loaded spec", () => {
    expect("extends" in child).toBe(false);
    expect("$schema" in child).toBe(false);
  });

  it("locates each value in the file it was written in", () => {
    const { locate } = load("sub/grandchild.yaml");
    expect(locate(["dataset", "train_images"])).toEqual(at("base-b.yaml", "train_images:"));
    expect(locate(["dataset", "objects_per_image"], "value")).toEqual(at("base-a.yaml", "[1, 3]"));
    expect(locate(["detector", "anchor_ratios"], "value")).toEqual(at("base-b.yaml", "[1]"));
    expect(locate(["train", "schedule", "gamma"], "value")).toEqual(at("base-a.yaml", "gamma: 0.5", 7));
    expect(locate(["detector", "width"])).toEqual(at("child.yaml", "width: 16"));
    expect(locate(["labels", "fraction"], "value")).toEqual(at("sub/grandchild.yaml", "0.05"));
    // A key removed by null (its default then fills it) points at the null that removed it.
    expect(locate(["train", "lr"])).toEqual(at("child.yaml", "lr:"));
  });
});

describe("YAML anchors", () => {
  it("expands aliases and << merge keys, explicit keys winning", () => {
    const spec = value("anchors.yaml");
    const include = (spec.sweep as { include: JsonObject[] }).include[0]!;
    expect(include.train).toEqual({ lr: 0.05, batch: 4 });
    expect(include.detector).toEqual({ arch: "retinanet-lite", width: 8 });
  });
});

describe("--set", () => {
  const set = (...s: string[]) => value("minimal.yaml", { set: s });

  it("reads numbers, booleans, lists and maps as YAML, other text as a string", () => {
    const spec = set(
      "train.lr=0.05",
      "seed=3",
      "train.augment.flip=false",
      "detector.anchor_ratios=[1, 2, 0.5]",
      "dataset.classes=[red-circle, blue-square]",
      "description=hello, world",
      "method={name: csd, weight: 2}",
    );
    const train = spec.train as JsonObject;
    expect(train.lr).toBe(0.05);
    expect(spec.seed).toBe(3);
    expect((train.augment as JsonObject).flip).toBe(false);
    expect((spec.detector as JsonObject).anchor_ratios).toEqual([1, 2, 0.5]);
    expect((spec.dataset as JsonObject).classes).toEqual(["red-circle", "blue-square"]);
    expect(spec.description).toBe("hello, world");
    expect(spec.method).toMatchObject({ name: "csd", weight: 2, cls_consistency: true });
  });

  it("creates the maps along a new path, and the defaults around it", () => {
    const train = set("train.schedule.warmup=5").train as JsonObject;
    expect(train.schedule).toMatchObject({ type: "step", warmup: 5 });
    expect(train.iterations).toBe(1000);
  });

  it("wins over the file and over extended files; the last --set of a path wins", () => {
    expect(
      (value("child.yaml", { set: ["dataset.train_images=50"] }).dataset as JsonObject).train_images,
    ).toBe(50);
    expect((set("train.lr=0.5", "train.lr=0.25").train as JsonObject).lr).toBe(0.25);
  });

  it("is located at the command line", () => {
    const { locate } = load("child.yaml", { set: ["train.lr=0.05"] });
    expect(locate(["train", "lr"])).toEqual({ file: "(--set train.lr=0.05)", line: 1, column: 1 });
    expect(locate(["train", "lr"], "value")).toEqual({ file: "(--set train.lr=0.05)", line: 1, column: 1 });
    // The map above it is still where the YAML wrote it.
    expect(locate(["train"])).toEqual(at("child.yaml", "train:"));
  });

  it("reports an invalid value at the command line", () => {
    let error: unknown;
    try {
      set("train.lr=-1");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SpecError);
    const [d] = (error as SpecError).diagnostics;
    expect(d).toMatchObject({ path: ["train", "lr"], location: { file: "(--set train.lr=-1)" } });
  });

  it("refuses text that is not PATH=VALUE", () => {
    expect(() => set("train.lr")).toThrow(/expected PATH=VALUE/);
    expect(() => set("train lr=1")).toThrow(/not a dotted key path/);
    expect(() => set("=1")).toThrow(UserError);
  });
});

describe("--sweep", () => {
  const grid = (...s: string[]) =>
    (value("anchors.yaml", { sweep: s }).sweep as { grid: Record<string, unknown[]> }).grid;

  it("splits values at top-level commas and reads each as YAML", () => {
    const g = grid(
      "labels.fraction=0.01,0.05,0.1",
      "method.name=supervised,csd",
      "train.augment.flip=true,false",
      "seed=3",
    );
    expect(g["labels.fraction"]).toEqual([0.01, 0.05, 0.1]);
    expect(g["method.name"]).toEqual(["supervised", "csd"]);
    expect(g["train.augment.flip"]).toEqual([true, false]);
    expect(g.seed).toEqual([3]);
  });

  it("keeps commas inside brackets, braces and quotes", () => {
    const g = grid(
      "detector.anchor_ratios=[1, 2],[1]",
      "method={name: supervised},{name: csd, weight: 2}",
      'description="a, b",c',
    );
    expect(g["detector.anchor_ratios"]).toEqual([[1, 2], [1]]);
    expect(g.method).toEqual([{ name: "supervised" }, { name: "csd", weight: 2 }]);
    expect(g.description).toEqual(["a, b", "c"]);
  });

  it("adds a grid axis beside what the spec already sweeps", () => {
    const spec = value("anchors.yaml", { sweep: ["labels.fraction=0.1,0.2"] });
    const sweep = spec.sweep as JsonObject;
    expect(sweep.include).toHaveLength(1);
    expect(sweep.grid).toEqual({ "labels.fraction": [0.1, 0.2] });
  });

  it("is located at the command line", () => {
    const { locate } = load("anchors.yaml", { sweep: ["labels.fraction=0.01,0.1"] });
    expect(locate(["sweep", "grid", "labels.fraction"])).toEqual({
      file: "(--sweep labels.fraction=0.01,0.1)",
      line: 1,
      column: 1,
    });
    expect(locate(["sweep", "include"])).toEqual(at("anchors.yaml", "include:"));
  });
});

describe("defaults", () => {
  it("fills every default inside the sections, so writing them out changes nothing", () => {
    expect(value("sections-empty.yaml")).toEqual(value("explicit.yaml"));
  });

  it("reads engine: tfjs as the tfjs engine with its default backend", () => {
    const a = value("sections-empty.yaml", { set: ["engine=tfjs"] }).engine;
    const b = value("sections-empty.yaml", { set: ["engine={name: tfjs, backend: auto}"] }).engine;
    expect(a).toEqual({ name: "tfjs", backend: "auto" });
    expect(b).toEqual(a);
  });

  it("lets the metric family follow the model when eval is left out", () => {
    expect(value("classifier.yaml").eval).toEqual({ type: "multilabel" });
    expect(value("minimal.yaml").eval).toEqual({ type: "coco" });
  });

  // ajv fills a default only where the property's own schema carries it; the
  // loader copies defaults of `$ref` targets next to the `$ref` so these hold.
  it("gives a left-out train or engine section the defaults of an empty one", () => {
    expect(value("minimal.yaml")).toEqual(value("sections-empty.yaml"));
  });

  it("fills defaults that sit behind a $ref (detector.width, labels.fold)", () => {
    expect(value("sections-empty.yaml")).toEqual(
      value("explicit.yaml", { set: ["detector.width=16", "labels.fold=1"] }),
    );
  });
});

describe("files that cannot be loaded", () => {
  it("names a spec file that does not exist", () => {
    expect(() => load("no-such-spec.yaml")).toThrow(
      /cannot read spec file .*no-such-spec\.yaml: no such file/,
    );
  });

  it("locates a problem in an extended file in that file", () => {
    let error: unknown;
    try {
      loadSpec(join(DIR, "..", "bad", "extends-error-in-base.yaml"));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SpecError);
    const [d] = (error as SpecError).diagnostics;
    expect(d?.path).toEqual(["detector", "focal_gama"]);
    expect(d?.hint).toBe('did you mean "focal_gamma"?');
    expect(d?.location).toEqual({
      file: join(DIR, "..", "bad", "_parts", "typo-base.yaml"),
      line: 6,
      column: 3,
    });
  });
});
