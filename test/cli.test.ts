import { describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";

describe("labelsweep CLI", () => {
  it("prints its version and help", async () => {
    const version = await runCli(["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = await runCli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("validate");
    expect(help.stdout).toContain("plan");
  });

  it("exits 2 on an unknown command", async () => {
    const r = await runCli(["frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command");
  });

  it("fails loudly for a stage that is not built yet", async () => {
    const r = await runCli(["train", "x.yaml"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("not implemented yet: labelsweep train");
  });
});
