// What the engine can train on here, for `labelsweep doctor`: the optional
// packages, the Vulkan environment (loader, drivers, device nodes, Mesa's
// device-select layer), every adapter Dawn offers, and what `auto` (and an
// explicitly asked backend) would choose, by really selecting it.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { type BackendChoice, type BackendSelection, type SlotGpu, selectBackend } from "./backend.js";
import { type AdapterDescription, listAdapters, loadDawn } from "./webgpu/dawn.js";
import { planPin, type VulkanPin } from "./webgpu/pin.js";
import { gpuDeviceNodes, type VulkanEnvironment, vulkanEnvironment } from "./webgpu/vulkan-env.js";

const require = createRequire(import.meta.url);

export interface DoctorChoice {
  asked: BackendChoice;
  /** The selection, or why it failed (a backend asked for by name that cannot start). */
  selection?: BackendSelection;
  error?: string;
}

export interface EngineDoctorReport {
  node: string;
  platform: string;
  glibc: string | null;
  /** Optional packages: installed version or null. */
  packages: { name: string; version: string | null }[];
  vulkan: VulkanEnvironment & { deviceNodes: string[] };
  /** Adapters Dawn offers (null: Dawn did not load; `dawnError` says why). */
  adapters: { name: string; count: number; adapter: AdapterDescription | null }[] | null;
  dawnError?: string;
  /** How a run in this GPU slot would be pinned. */
  pin?: VulkanPin;
  choices: DoctorChoice[];
}

const OPTIONAL = [
  "@tensorflow/tfjs-node-gpu",
  "@tensorflow/tfjs-node",
  "webgpu",
  "@tensorflow/tfjs-backend-webgpu",
];

function installed(name: string): string | null {
  try {
    return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), "utf8")) as { version: string })
      .version;
  } catch {
    return null;
  }
}

async function choose(asked: BackendChoice, gpu: SlotGpu | undefined): Promise<DoctorChoice> {
  try {
    return { asked, selection: await selectBackend(asked, gpu ? { gpu } : {}) };
  } catch (err) {
    return { asked, error: err instanceof Error ? err.message : String(err) };
  }
}

export async function engineDoctor(
  options: { backend?: BackendChoice; gpu?: SlotGpu } = {},
): Promise<EngineDoctorReport> {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)
    ?.header;
  const vulkan = { ...vulkanEnvironment(), deviceNodes: gpuDeviceNodes() };
  const report: EngineDoctorReport = {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    glibc: header?.glibcVersionRuntime ?? null,
    packages: OPTIONAL.map((name) => ({ name, version: installed(name) })),
    vulkan,
    adapters: null,
    choices: [],
  };
  // Listed before any selection: a selection may pin Dawn to one device for the rest of the process.
  try {
    report.adapters = await listAdapters(await loadDawn());
  } catch (err) {
    report.dawnError = err instanceof Error ? err.message : String(err);
  }
  if (options.gpu) report.pin = planPin(options.gpu, vulkan.deviceSelectLayer);
  // An explicit backend first: `auto` would otherwise settle the process on its choice.
  if (options.backend && options.backend !== "auto")
    report.choices.push(await choose(options.backend, options.gpu));
  report.choices.push(await choose("auto", options.gpu));
  return report;
}
