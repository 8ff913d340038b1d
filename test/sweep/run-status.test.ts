import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readRunStatus, readRunStatuses } from "../../src/sweep/run-status.js";

describe("run status", () => {
  const results = mkdtempSync(join(tmpdir(), "sweep-status-"));
  const write = (key: string, state: object | string) => {
    const dir = join(results, "exp", "runs", key);
    mkdirSync(dir, { recursive: true });
    if (state !== "")
      writeFileSync(join(dir, "state.json"), typeof state === "string" ? state : JSON.stringify(state));
  };
  const updated = new Date().toISOString();
  write("k-done", { status: "done", attempt: 1, restarts: 0, updated });
  write("k-failed", { status: "failed", attempt: 2, restarts: 0, updated });
  write("k-running", {
    status: "running",
    attempt: 1,
    restarts: 0,
    updated,
    pid: process.pid,
    host: hostname(),
  });
  write("k-gone", {
    status: "running",
    attempt: 1,
    restarts: 0,
    updated,
    pid: 2 ** 22 + 17,
    host: hostname(),
  });
  write("k-nostate", "");

  it("reads results/<experiment>/runs/<key>/state.json; a missing directory or state is new", () => {
    expect(readRunStatus(results, "exp", "k-done")).toBe("done");
    expect(readRunStatus(results, "exp", "k-failed")).toBe("failed");
    expect(readRunStatus(results, "exp", "k-running")).toBe("running");
    expect(readRunStatus(results, "exp", "k-gone")).toBe("interrupted");
    expect(readRunStatus(results, "exp", "k-nostate")).toBe("new");
    expect(readRunStatus(results, "exp", "k-missing")).toBe("new");
  });

  it("reads many keys with one directory listing, in order; an experiment without results is all new", () => {
    const keys = ["k-missing", "k-done", "k-failed", "k-running", "k-nostate"];
    expect(readRunStatuses(results, "exp", keys)).toEqual(["new", "done", "failed", "running", "new"]);
    expect(readRunStatuses(results, "other", keys)).toEqual(["new", "new", "new", "new", "new"]);
    expect(readRunStatuses(join(results, "nowhere"), "exp", ["k-done"])).toEqual(["new"]);
  });
});
