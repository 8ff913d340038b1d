import { describe, expect, it } from "vitest";
import { expandTemplate, unknownPlaceholders } from "../../src/engine/command/template.js";

const values = {
  named: {
    annotations: "/s/labelled.json",
    unlabeled: "",
    out: "/r/out",
    seed: "3",
    gpus: "0,1",
    num_gpus: "2",
    resume: "",
  },
  config: { method: { name: "csd", weight: 0.5 }, train: { lr: 0.01, augment: { flip: true } } },
};

describe("command engine argv templates", () => {
  it("substitutes placeholders inside arguments and config paths", () => {
    expect(
      expandTemplate(
        [
          "python",
          "train.py",
          "--ann={annotations}",
          "--out",
          "{out}",
          "--seed",
          "{seed}",
          "--lr",
          "{train.lr}",
          "{method.name}",
        ],
        values,
      ),
    ).toEqual([
      "python",
      "train.py",
      "--ann=/s/labelled.json",
      "--out",
      "/r/out",
      "--seed",
      "3",
      "--lr",
      "0.01",
      "csd",
    ]);
  });

  it("leaves out an argument holding an empty optional placeholder, whole", () => {
    expect(
      expandTemplate(["t", "{unlabeled?}", "--resume={resume?}", "--ann={annotations?}", "{seed}"], values),
    ).toEqual(["t", "--ann=/s/labelled.json", "3"]);
  });

  it("refuses an empty placeholder that is not marked optional, naming why it is empty", () => {
    expect(() => expandTemplate(["t", "--unlabeled", "{unlabeled}", "--seed", "{seed}"], values)).toThrow(
      /\{unlabeled\} is empty for this run \(the run's split has no unlabelled images\); write \{unlabeled\?\}/,
    );
    expect(() => expandTemplate(["t", "--resume={resume}"], values)).toThrow(
      /first attempt has no checkpoint/,
    );
    const empty = { ...values, config: { method: { name: "" } } };
    expect(() => expandTemplate(["t", "--m={method.name}"], empty)).toThrow(/\{method\.name\} is empty/);
    expect(expandTemplate(["t", "--m={method.name?}"], empty)).toEqual(["t"]);
  });

  it("keeps shell metacharacters as plain text in one argument", () => {
    const v = { named: { out: "/r/out; rm -rf /" }, config: {} };
    expect(expandTemplate(["echo", "{out}"], v)).toEqual(["echo", "/r/out; rm -rf /"]);
  });

  it("reports unknown placeholders and config paths that name nothing", () => {
    expect(
      unknownPlaceholders([
        "x",
        "{annotation}",
        "{method.name}",
        "{foo.bar}",
        "{seed}",
        "{resume?}",
        "{out?x}",
      ]),
    ).toEqual(["annotation", "foo.bar"]);
    expect(() => expandTemplate(["{annotation}"], values)).toThrow(/unknown placeholder \{annotation\}/);
    expect(() => expandTemplate(["{method.lambda}"], values)).toThrow(/names no value/);
  });
});
