import { probeWebgpu } from "../../src/engine/webgpu/start.js";

/**
 * Why the webgpu tests cannot run here (null: they can): the optional
 * packages are missing, or Dawn finds no Vulkan adapter (CI installs Mesa's
 * lavapipe from bookworm-backports; see .ci/run).
 */
export async function webgpuUnavailable(): Promise<string | null> {
  try {
    const probe = await probeWebgpu();
    return probe.adapter ? null : `no Vulkan adapter: ${probe.why.replace(/\n/g, " ")}`;
  } catch (err) {
    return (err as Error).message;
  }
}
