// Starting the webgpu backend: Dawn instance (with the slot's Vulkan pin),
// adapter, device, and tfjs-backend-webgpu registered on top of them.
//
// Two steps so that `auto` can look before it leaps: probe() creates the Dawn
// instance and asks for an adapter (cheap, no device, no tfjs package), and
// activate() makes the device and the tfjs backend. The Dawn instance is made
// once per process: the Vulkan pin (environment variables) only takes effect
// at instance creation.

import { tf } from "../tf.js";
import {
  type AdapterDescription,
  type DawnModule,
  describeAdapter,
  type GpuAdapterLike,
  type GpuDeviceLike,
  type GpuLike,
  loadDawn,
} from "./dawn.js";
import { registerFusedElementwise } from "./fused.js";
import { planPin, type SlotGpu, sameGpuName, type VulkanPin } from "./pin.js";
import { captureDawnTicks, checkSyncRead, installSyncRead } from "./sync-read.js";
import { explainNoAdapter, vulkanEnvironment } from "./vulkan-env.js";

export interface WebgpuProbe {
  dawn: DawnModule;
  /** null: Dawn found no adapter; `why` says what is missing. */
  adapter: AdapterDescription | null;
  why: string;
  pin: VulkanPin;
  warnings: string[];
}

interface Instance {
  gpu: GpuLike;
  adapter: GpuAdapterLike | null;
  probe: WebgpuProbe;
  device?: GpuDeviceLike;
  backendVersion?: string;
}

let instance: Instance | null = null;

/** Loads Dawn and asks it for an adapter (once per process). Throws when the package cannot load. */
export async function probeWebgpu(slot?: SlotGpu): Promise<WebgpuProbe> {
  if (instance) {
    const asked = slot?.id ?? null;
    const had = instance.probe.pin.how === "none" ? null : instance.probe.pin.detail;
    if (asked !== null && had === null) {
      instance.probe.warnings.push(
        `webgpu started earlier in this process without a GPU slot; GPU ${asked} not pinned`,
      );
    }
    return instance.probe;
  }
  const dawn = await loadDawn();
  const vulkan = vulkanEnvironment();
  const pin = planPin(slot, vulkan.deviceSelectLayer);
  for (const [k, v] of Object.entries(pin.env)) process.env[k] = v;
  let gpu = dawn.create(pin.dawnFlags);
  let adapter: GpuAdapterLike | null = null;
  const warnings = [...pin.warnings];
  try {
    adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  } catch (err) {
    // adapter=<name> matched nothing: say so and take Dawn's default adapter.
    warnings.push(
      `the slot's GPU was not found by name among the Vulkan adapters (${String((err as Error).message)
        .split("\n")
        .join("; ")})`,
    );
    gpu = dawn.create([]);
    adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  }
  const described = adapter ? describeAdapter(adapter.info) : null;
  if (slot && described && pin.how !== "user-environment" && !sameGpuName(described.device, slot.name)) {
    warnings.push(
      `the slot's GPU ${slot.id} is '${slot.name}' but Vulkan gave '${described.device}' (${described.description}): the run may not be on its slot's GPU`,
    );
  }
  const probe: WebgpuProbe = {
    dawn,
    adapter: described,
    why: described ? "" : explainNoAdapter(vulkan),
    pin,
    warnings,
  };
  instance = { gpu, adapter, probe };
  return probe;
}

/** Makes the device and the tfjs webgpu backend on the probed adapter, and activates it. */
export async function activateWebgpu(): Promise<{ backendVersion: string }> {
  if (!instance?.adapter) throw new Error("webgpu: no adapter (probeWebgpu first)");
  if (instance.device && instance.backendVersion) {
    if (!(await tf.setBackend("webgpu"))) throw new Error("the webgpu backend failed to re-activate");
    return { backendVersion: instance.backendVersion };
  }
  const { dawn, adapter } = { dawn: instance.probe.dawn, adapter: instance.adapter };
  // tfjs-backend-webgpu registers itself on import when navigator.gpu exists; import it
  // first so only our factory (our adapter, our device) is registered.
  const specifier: string = "@tensorflow/tfjs-backend-webgpu";
  let mod: {
    WebGPUBackend: new (device: unknown, info: unknown) => object;
    webgpu_util: Parameters<typeof registerFusedElementwise>[0];
  };
  try {
    mod = (await import(specifier)) as typeof mod;
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new Error(
      code === "ERR_MODULE_NOT_FOUND"
        ? "the optional npm package '@tensorflow/tfjs-backend-webgpu' is not installed"
        : `@tensorflow/tfjs-backend-webgpu did not load: ${String((err as Error).message).split("\n")[0]}`,
    );
  }
  // The backend reads WebGPU's globals (GPUBufferUsage, GPUMapMode…) and checks navigator.gpu.
  Object.assign(globalThis, dawn.globals);
  const g = globalThis as unknown as { navigator?: Record<string, unknown> };
  if (!g.navigator)
    Object.defineProperty(globalThis, "navigator", { value: {}, configurable: true, writable: true });
  Object.defineProperty(g.navigator!, "gpu", { value: instance.gpu, configurable: true, writable: true });
  const limits = adapter.limits;
  // As tfjs-backend-webgpu's own factory (base.ts): the adapter's limits, not WebGPU's small defaults.
  captureDawnTicks();
  const device = await adapter.requestDevice({
    // Kernel timings for tf.profile / tf.time (tfjs reads GPU timestamps only when profiling).
    requiredFeatures: adapter.features.has("timestamp-query") ? ["timestamp-query"] : [],
    requiredLimits: {
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
    },
  });
  // Validation errors would otherwise pass silently and leave garbage in tensors.
  device.addEventListener("uncapturederror", (e) => {
    process.stderr.write(`webgpu: uncaptured device error: ${e.error?.message ?? "unknown"}\n`);
  });
  void device.lost.then((info) => {
    if (info.reason !== "destroyed") process.stderr.write(`webgpu: device lost: ${info.message ?? ""}\n`);
  });
  installSyncRead(
    mod.WebGPUBackend,
    (data, dtype) => tf.util.convertBackendValuesAndArrayBuffer(data, dtype as "float32"),
    dawn.globals as { GPUBufferUsage: Record<string, number>; GPUMapMode: Record<string, number> },
  );
  registerFusedElementwise(mod.webgpu_util);
  const info = adapter.info;
  if (tf.findBackend("webgpu")) tf.removeBackend("webgpu");
  tf.registerBackend("webgpu", () => new mod.WebGPUBackend(device, info) as never, 0);
  if (!(await tf.setBackend("webgpu"))) throw new Error("the webgpu backend failed to initialise");
  // One small computation read back synchronously (2048 elements: above the size under
  // which tfjs-backend-webgpu computes on the CPU): proves kernels, device and sync reads.
  // Dawn's null backend (DAWNNODE_BACKEND=null, for measuring the host's per-dispatch cost alone)
  // computes nothing, so only the read itself is checked there.
  const computes = info.device !== "null-backend";
  checkSyncRead(() => {
    const t = tf.tidy(() => tf.add(tf.fill([2048], 1), 1));
    const v = t.dataSync();
    t.dispose();
    if (computes && (v[0] !== 2 || v[2047] !== 2))
      throw new Error(`webgpu: self-check computed ${v[0]}, expected 2`);
  });
  instance.device = device;
  instance.backendVersion = tf.version_core;
  return { backendVersion: instance.backendVersion };
}

/** Forgets a probed instance that will not be used (auto skipped it), so Dawn can be collected. */
export function dropWebgpuProbe(): void {
  if (instance && !instance.device) instance = null;
}
