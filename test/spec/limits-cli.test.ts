import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MAX_SPEC_BYTES } from "../../src/spec/yaml-limits.js";
import { runCli } from "../helpers/cli.js";

// The spec parser's limits through the built CLI, for the cases too large to
// keep as fixtures in the corpus (test/fixtures/specs/bad/ has the small ones).

const dir = mkdtempSync(join(tmpdir(), "labelsweep-limits-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEAD =
  "name: big\ndataset: {name: shapes}\nlabels: {protocol: full}\ndetector: {arch: ssd-lite}\nmethod: {name: supervised}\n";

describe("spec size limits", () => {
  it("refuses a spec above the size limit, stating the limit, without parsing it", async () => {
    const file = join(dir, "huge.yaml");
    writeFileSync(file, `${HEAD}description: "${"x".repeat(MAX_SPEC_BYTES)}"\n`);
    const r = await runCli(["validate", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `cannot read spec file ${file}: it is 1.0 MiB; a spec may be at most 1.0 MiB (${MAX_SPEC_BYTES} bytes)`,
    );
  });

  it("shows the real typo of a large spec without aliases (no alias-bomb message)", async () => {
    // 150,000 list items: more nodes than the alias budget, but no alias among them.
    const file = join(dir, "large.yaml");
    writeFileSync(
      file,
      `${HEAD}sweep:\n  seeds: [${Array.from({ length: 150_000 }, () => "1").join(",")}]\nmethd: 1\n`,
    );
    const r = await runCli(["validate", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain("alias");
    expect(r.stderr).toMatch(/large\.yaml:8:1 {2}methd {2}unknown key "methd"/);
  });

  it("refuses a spec that is a folder or a device, in one line", async () => {
    const r = await runCli(["validate", "/dev/null", dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "cannot read spec file /dev/null: it is a character device, not a regular file; expected a YAML file",
    );
    expect(r.stderr).toContain(`cannot read spec file ${dir}: it is a folder; expected a YAML file`);
  });
});
