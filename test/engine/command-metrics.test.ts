import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  parseDetectron2,
  parseJsonLines,
  parseMmengineScalars,
  parsePycocotools,
} from "../../src/engine/command/metrics-parsers.js";

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/command/${name}`, import.meta.url), "utf8");

describe("metrics parsers for external trainers", () => {
  it("reads the last complete pycocotools summary block; -1 becomes null", () => {
    const m = parsePycocotools(fixture("pycocotools.log"));
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

  it("reads detectron2 copypaste lines of the requested task, as fractions", () => {
    const m = parseDetectron2(fixture("detectron2.log"));
    expect(m.AP).toBeCloseTo(0.402123, 12);
    expect(m.AP50).toBeCloseTo(0.612345, 12);
    expect(m.APl).toBeCloseTo(0.52, 12);
    expect(() => parseDetectron2(fixture("detectron2.log"), "keypoints")).toThrow(/Task: keypoints/);
  });

  it("reads the last evaluation line of mmengine scalars.json", () => {
    const m = parseMmengineScalars(fixture("mmengine-scalars.json"));
    expect(m).toEqual({ AP: 0.374, AP50: 0.568, AP75: 0.398, APs: 0.212, APm: 0.41, APl: null });
  });

  it("merges numeric fields of JSON lines, later lines winning", () => {
    const m = parseJsonLines(
      '{"iter": 1, "loss": 2}\n\n{"metrics": {"mAP": 0.61, "F1": 0.5}}\n{"mAP": 0.62}\n',
    );
    expect(m).toEqual({ iter: 1, loss: 2, mAP: 0.62, F1: 0.5 });
    expect(() => parseJsonLines("{not json}\n")).toThrow(/line 1 is not JSON/);
  });
});
