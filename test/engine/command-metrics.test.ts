import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  parseDetectron2,
  parseJsonLines,
  parseMmengineScalars,
  parsePycocotools,
} from "../../src/engine/command/metrics-parsers.js";
import { toFractions } from "../../src/engine/command/metrics-scale.js";

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/command/${name}`, import.meta.url), "utf8");

describe("metrics parsers for external trainers", () => {
  it("reads the last complete pycocotools summary block; -1 becomes null", () => {
    const { metrics: m, scale } = parsePycocotools(fixture("pycocotools.log"));
    expect(scale).toBe("fraction");
    expect(m).toEqual({
      AP: 0.363,
      AP50: 0.554,
      AP75: 0.386,
      APs: 0.208,
      APm: 0.4,
      APl: 0.476,
      AR1: 0.308,
      AR10: 0.491,
      AR100: 0.521,
      ARs: 0.325,
      ARm: 0.566,
      ARl: null,
    });
  });

  it("refuses a log without a summary block", () => {
    expect(() => parsePycocotools("training...\nloss 0.3\n")).toThrow(/no pycocotools summary block/);
  });

  it("reads detectron2 copypaste lines of the requested task, as the percentages they are", () => {
    const parsed = parseDetectron2(fixture("detectron2.log"));
    expect(parsed.scale).toBe("percent");
    const m = toFractions(parsed, undefined).metrics;
    expect(m.AP).toBeCloseTo(0.402123, 12);
    expect(m.AP50).toBeCloseTo(0.612345, 12);
    expect(m.APl).toBeCloseTo(0.52, 12);
    expect(() => parseDetectron2(fixture("detectron2.log"), "keypoints")).toThrow(/Task: keypoints/);
  });

  it("reads the last evaluation line of mmengine scalars.json", () => {
    const m = parseMmengineScalars(fixture("mmengine-scalars.json")).metrics;
    expect(m).toEqual({ AP: 0.374, AP50: 0.568, AP75: 0.398, APs: 0.212, APm: 0.41, APl: null });
  });

  it("merges numeric fields of JSON lines, later lines winning", () => {
    const m = parseJsonLines(
      '{"iter": 1, "loss": 2, "mode": "val"}\n\n{"metrics": {"mAP": 0.61, "F1": 0.5}}\n{"mAP": 0.62}\n',
    ).metrics;
    expect(m).toEqual({ iter: 1, loss: 2, mAP: 0.62, F1: 0.5 });
    expect(() => parseJsonLines("{not json}\n")).toThrow(/line 1 is not JSON: "\{not json\}"/);
  });
});

describe("a metric that is not a number fails the run, quoting it", () => {
  const coco = fixture("pycocotools.log");

  it("pycocotools: a value that is not a number (its −1 is the only 'undefined')", () => {
    const bad = coco.replace(/(IoU=0\.50:0\.95 \| area= {3}all \| maxDets=100 \] = )0\.363/, "$1nan");
    expect(bad).not.toBe(coco);
    expect(() => parsePycocotools(bad)).toThrow(
      /pycocotools summary line ".*maxDets=100 \] = nan": the metric value "nan" is not a number/,
    );
  });

  it("detectron2: nan is its 'undefined' (null); other text is an error", () => {
    const log = "copypaste: Task: bbox\ncopypaste: AP,AP50,APs\ncopypaste: 40.1,nan,n/a\n";
    expect(() => parseDetectron2(log)).toThrow(
      /detectron2 copypaste line "40\.1,nan,n\/a": the metric value "n\/a" is not a number/,
    );
    const ok = parseDetectron2("copypaste: Task: bbox\ncopypaste: AP,APs\ncopypaste: 40.1,nan\n");
    expect(ok.metrics).toEqual({ AP: 40.1, APs: null });
  });

  it("mmengine and JSON lines: a metric that is a string, or not finite", () => {
    expect(() => parseMmengineScalars('{"coco/bbox_mAP": "0.4"}\n')).toThrow(
      /coco\/bbox_mAP is "0\.4", not a number/,
    );
    expect(() => parseJsonLines('{"metrics": {"AP": "n/a"}}\n')).toThrow(
      /line 1: metric AP is "n\/a", not a number/,
    );
    expect(() => parseJsonLines('{"AP": 1e999}\n')).toThrow(/AP is Infinity, not a finite number/);
    // A top-level text field that is no metric is not one.
    expect(parseJsonLines('{"mode": "val", "AP": 0.4}\n').metrics).toEqual({ AP: 0.4 });
  });
});

describe("the scale of parsed metrics", () => {
  it("is declared, fixed by the format, or detected — and reported", () => {
    expect(toFractions({ metrics: { AP: 41.2, loss: 2 } }, undefined)).toEqual({
      metrics: { AP: expect.closeTo(0.412, 12), loss: 2 },
      scale: { scale: "percent", how: "detected", evidence: "AP = 41.2 > 1" },
    });
    expect(toFractions({ metrics: { AP: 0.412 } }, undefined).scale).toEqual({
      scale: "fraction",
      how: "detected",
      evidence: "every AP/AR value ≤ 1",
    });
    expect(toFractions({ metrics: { AP: 0.9 } }, "percent")).toEqual({
      metrics: { AP: expect.closeTo(0.009, 12) },
      scale: { scale: "percent", how: "declared" },
    });
    expect(toFractions({ metrics: { AP: 0.4 }, scale: "fraction" }, undefined).scale.how).toBe("format");
  });

  it("never gives a 3000.0 AP: a value that is no fraction after scaling fails the run", () => {
    expect(() => toFractions({ metrics: { AP: 3000 } }, undefined)).toThrow(
      /metric AP = 3000 is not a percentage \(0–100\) \(detected percent\); set engine\.metrics\.scale/,
    );
    expect(() => toFractions({ metrics: { AP: 41.2 } }, "fraction")).toThrow(
      /metric AP = 41\.2 is not a fraction \(0–1\) \(engine\.metrics\.scale is fraction\)/,
    );
    expect(() => toFractions({ metrics: { AP: 41.2 }, scale: "fraction" }, undefined)).toThrow(
      /this format prints fractions/,
    );
  });
});
