import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { expandTemplate, unknownPlaceholders } from "../../src/engine/command/template.js";
import { shellTemplateProblems } from "../../src/spec/shell-script.js";

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

  it("drops an argument that is only an empty placeholder", () => {
    expect(expandTemplate(["t", "{unlabeled}", "--resume={resume}", "{resume}"], values)).toEqual([
      "t",
      "--resume=",
    ]);
  });

  it("keeps shell metacharacters as plain text in one argument", () => {
    const v = { named: { out: "/r/out; rm -rf /" }, config: {} };
    expect(expandTemplate(["echo", "{out}"], v)).toEqual(["echo", "/r/out; rm -rf /"]);
  });

  it("reports unknown placeholders and config paths that name nothing", () => {
    expect(unknownPlaceholders(["x", "{annotation}", "{method.name}", "{foo.bar}", "{seed}"])).toEqual([
      "annotation",
      "foo.bar",
    ]);
    expect(() => expandTemplate(["{annotation}"], values)).toThrow(/unknown placeholder \{annotation\}/);
    expect(() => expandTemplate(["{method.lambda}"], values)).toThrow(/names no value/);
  });
});

describe("shell -c templates", () => {
  const v = {
    named: { out: "/r/out dir", seed: "3" },
    config: { detector: { arch: "x;touch /tmp/pwned;#" }, method: { name: "it's" } },
  };

  it("quotes every value substituted into the script for the shell", () => {
    expect(expandTemplate(["sh", "-c", "train --arch {detector.arch} --out {out} --seed {seed}"], v)).toEqual(
      ["sh", "-c", "train --arch 'x;touch /tmp/pwned;#' --out '/r/out dir' --seed '3'"],
    );
    expect(expandTemplate(["/bin/bash", "-ec", "run {method.name}"], v)).toEqual([
      "/bin/bash",
      "-ec",
      "run 'it'\\''s'",
    ]);
    expect(expandTemplate(["env", "A=1", "bash", "-o", "pipefail", "-c", "a {seed} | b"], v)[6]).toBe(
      "a '3' | b",
    );
    // Arguments after the script are argv (no shell parses them): left as they are.
    expect(expandTemplate(["sh", "-c", 'train "$1"', "sh", "{detector.arch}"], v)).toEqual([
      "sh",
      "-c",
      'train "$1"',
      "sh",
      "x;touch /tmp/pwned;#",
    ]);
    // ${NAME} is the shell's own expansion; a program that is no shell gets no quoting.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell's own ${HOME}, not a JS template
    expect(expandTemplate(["sh", "-c", "echo ${HOME} {seed}"], v)[2]).toBe("echo ${HOME} '3'");
    expect(expandTemplate(["python", "-c", "print({seed})"], v)[2]).toBe("print(3)");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell's own ${HOME}, not a JS template
    expect(unknownPlaceholders(["sh", "-c", "echo ${HOME} {nope}"])).toEqual(["nope"]);
  });

  it("the quoted script runs the value as one word in a real sh", () => {
    const out = execFileSync(
      "sh",
      expandTemplate(["sh", "-c", "printf '%s\\n' {detector.arch} {method.name}"], v).slice(1),
      { encoding: "utf8" },
    );
    expect(out).toBe("x;touch /tmp/pwned;#\nit's\n");
  });

  it("refuses a placeholder the script quotes itself", () => {
    expect(() => expandTemplate(["sh", "-c", "train --arch '{detector.arch}'"], v)).toThrow(
      /\{detector\.arch\} is single-quoted in a shell -c script: write it without quotes/,
    );
    expect(shellTemplateProblems(["bash", "-c", 'train "{out}" {seed}'])).toEqual([
      { index: 2, message: expect.stringMatching(/^\{out\} is double-quoted/) },
    ]);
    expect(shellTemplateProblems(["python", "-c", "'{out}'"])).toEqual([]);
  });
});
