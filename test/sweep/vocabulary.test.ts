import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SCHEMA_URL } from "../../src/spec/schema.js";
import type { JsonValue } from "../../src/spec/types.js";
import { buildVocabulary, unknownPath } from "../../src/sweep/vocabulary.js";
import { specWith } from "./spec-fixture.js";

const schema = JSON.parse(readFileSync(SCHEMA_URL, "utf8")) as { [k: string]: JsonValue };

describe("sweep path vocabulary", () => {
  const vocab = buildVocabulary(schema, specWith());

  it("knows every variant's parameters, nested blocks and paths the base spec sets", () => {
    for (const path of [
      "method.weight",
      "method.name",
      "labels.level.keep",
      "train.schedule.gamma",
      "seed",
    ]) {
      expect(unknownPath(path, vocab), path).toBeUndefined();
    }
  });

  it("says which block lacks the key, and suggests the closest", () => {
    const bad = unknownPath("train.schedule.gama", vocab)!;
    expect(bad.message).toContain('train.schedule has no key "gama"');
    expect(bad.hint).toBe('did you mean "train.schedule.gamma"?');
    expect(unknownPath("labels.fractoin.x", vocab)?.hint).toBe('did you mean "labels.fraction.x"?');
  });

  it("accepts any key where the schema does: command-engine env, a detector arch only the command engine knows", () => {
    expect(unknownPath("engine.env.CUDA_LAUNCH_BLOCKING", vocab)).toBeUndefined();
    expect(unknownPath("detector.depth", vocab)).toBeDefined();
    const free = buildVocabulary(schema, specWith(undefined, { detector: { arch: "faster_rcnn_r50" } }));
    expect(unknownPath("detector.depth", free)).toBeUndefined();
  });
});
