import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { selectBackend } from "../../src/engine/backend.js";
import { tf } from "../../src/engine/tf.js";
import { UserError } from "../../src/util/errors.js";

async function nativeInstalled(): Promise<boolean> {
  for (const pkg of ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"]) {
    try {
      const specifier: string = pkg;
      await import(specifier);
      return true;
    } catch {
      // absent or broken: the selector must say so and move on
    }
  }
  return false;
}

describe("selectBackend", () => {
  it("rejects an unknown backend name", async () => {
    await expect(selectBackend("gpu" as never)).rejects.toThrow(
      /unknown backend 'gpu'.*auto, tensorflow, webgpu, wasm, cpu/,
    );
  });

  it("explains why 'tensorflow' cannot be used when the native packages are missing", async () => {
    if (await nativeInstalled()) return; // covered by the auto case below on machines that have them
    const err = await selectBackend("tensorflow").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(String((err as Error).message)).toMatch(/@tensorflow\/tfjs-node.*neither loaded/s);
  });

  it("auto falls through to wasm with the fast kernels (or native TensorFlow / a hardware GPU where present)", async () => {
    const chosen = await selectBackend("auto");
    expect(tf.getBackend()).toBe(chosen.name);
    if (chosen.name === "webgpu") {
      // Only ever on a hardware adapter.
      expect(chosen.adapter?.software).toBe(false);
    } else if (chosen.name === "wasm") {
      expect(chosen.skipped.map((s) => s.name)).toEqual([
        "@tensorflow/tfjs-node-gpu",
        "@tensorflow/tfjs-backend-webgpu + webgpu (Dawn)",
        "@tensorflow/tfjs-node",
      ]);
      expect(chosen.fastKernels).toContain("Conv2DBackpropFilter");
      expect(chosen.threads).toBe(1);
      expect(chosen.reason).toMatch(/wasm/);
    } else {
      expect(chosen.name).toBe("tensorflow");
    }
  });

  it("switches to cpu on request and says it is slow", async () => {
    const chosen = await selectBackend("cpu");
    expect(chosen.name).toBe("cpu");
    expect(tf.getBackend()).toBe("cpu");
    expect(chosen.reason).toMatch(/slow/);
  });
});

describe("heap kernel binary", () => {
  it("is up to date with heap-kernels.as", async () => {
    const r = await execa(process.execPath, ["src/engine/wasm/build-heap-kernels.mjs", "--check"], {
      reject: false,
    });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
  });
});
