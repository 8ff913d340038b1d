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

  it("names a missing spec file with exit 2", async () => {
    const r = await runCli(["train", "no-such-spec.yaml"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot read spec file .*no-such-spec\.yaml: no such file/);
  });
});
