import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  loadDetections,
  parseDetections,
  parseGroundTruth,
  readDetectionBytes,
} from "../../src/eval/index.js";
import type { DetectionTable } from "../../src/eval/types.js";
import { listCases, loadCase } from "./cases.js";

// The byte reader must give exactly what JSON.parse + parseDetections give, or step aside.

const enc = new TextEncoder();

function same(a: DetectionTable, b: DetectionTable): void {
  expect(a.length).toBe(b.length);
  for (const k of ["image", "category", "bbox", "score"] as const) {
    const x = a[k];
    const y = b[k];
    expect(x.length).toBe(y.length);
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) expect([k, i, x[i]]).toEqual([k, i, y[i]]);
  }
  expect(a.warnings).toEqual(b.warnings);
}

const gt = parseGroundTruth(
  {
    images: [{ id: 1 }, { id: 2 }, { id: "img-3" }].slice(0, 2),
    categories: [{ id: 1 }, { id: 7 }],
    annotations: [],
  },
  "gt",
  "coco",
);

describe("detections byte reader", () => {
  it("reads every fixture case exactly as JSON.parse does", () => {
    for (const name of [...listCases("coco"), ...listCases("lvis"), ...listCases("voc")]) {
      const c = loadCase(name);
      const g = parseGroundTruth(c.gt, "gt", "coco");
      const fast = readDetectionBytes(
        enc.encode(JSON.stringify(c.dt, null, name.length % 2 ? 1 : 0)),
        g,
        "dt",
      );
      expect(fast, name).not.toBeNull();
      same(fast!, parseDetections(c.dt, g, "dt"));
    }
  });

  it("gives bit-identical numbers for any spelling of a number", () => {
    const num = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
      fc.integer({ min: 0, max: 10 ** 6 }).map((i) => i / 1000),
      fc.constantFrom(0, -0, 1e-7, 123456789012345680000, 0.1, 5e-324, 1.7976931348623157e308),
    );
    const spell = fc.tuple(num, fc.constantFrom("plain", "exp", "padded")).map(([v, how]) => {
      if (how === "exp") return v.toExponential();
      if (how === "padded")
        return `${v}`.includes("e") || !Number.isFinite(v) ? `${v}` : `${v}`.replace(/^(-?\d+)$/, "$1.000");
      return Object.is(v, -0) ? "-0" : `${v}`;
    });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(spell, spell, spell, fc.constantFrom(1, 7, 99), fc.constantFrom("1", "2")), {
          maxLength: 20,
        }),
        (rows) => {
          const text =
            "[" +
            rows
              .map(
                ([s, x, w, cat, img]) =>
                  `{"score":${s}, "image_id":${img},"extra":{"a":[1,"x\\"y",null,true]},"category_id":${cat},` +
                  `"bbox":[${x},\n ${x}, ${w.replace(/^-/, "")}, 3]}`,
              )
              .join(",") +
            "]";
          const slow = parseDetections(JSON.parse(text), gt, "dt");
          const fast = readDetectionBytes(enc.encode(text), gt, "dt");
          expect(fast).not.toBeNull();
          same(fast!, slow);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("steps aside for what it does not handle, and the slow path reports the error", () => {
    const cases = [
      '[{"image_id":1,"category_id":1,"bbox":[0,0,1,1],"score":0.5,"score":0.7}]', // repeated key
      '[{"image\\u005fid":1,"category_id":1,"bbox":[0,0,1,1],"score":0.5}]', // escaped key
      '[{"image_id":5,"category_id":1,"bbox":[0,0,1,1],"score":0.5}]', // unknown image
      '[{"image_id":1,"category_id":1,"bbox":[0,0,-1,1],"score":0.5}]', // negative width
      '[{"image_id":1,"category_id":1,"bbox":[0,0,1,1],"score":01}]', // invalid JSON number
      '[{"image_id":1,"category_id":1,"bbox":[0,0,1,1],"score":0.5},]', // trailing comma
    ];
    for (const text of cases) expect(readDetectionBytes(enc.encode(text), gt, "dt"), text).toBeNull();
    expect(loadDetections({ bytes: enc.encode(cases[0]!) }, gt, "dt").score[0]).toBe(0.7);
    expect(() => loadDetections({ bytes: enc.encode(cases[2]!) }, gt, "d.json")).toThrow(
      '"image_id" 5 is not an image',
    );
    expect(() => loadDetections({ bytes: enc.encode(cases[3]!) }, gt, "d.json")).toThrow("negative width");
    expect(() => loadDetections({ bytes: enc.encode(cases[5]!) }, gt, "d.json")).toThrow(
      "d.json: the predictions file is not valid JSON",
    );
  });
});
