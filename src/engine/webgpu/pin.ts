// Pinning a webgpu run to its slot's GPU.
//
// CUDA_VISIBLE_DEVICES (how the runner pins external trainers and
// tfjs-node-gpu) means nothing to Vulkan: the Vulkan driver lists every GPU.
// Two mechanisms select one, in order of preference:
//
// 1. Mesa's device-select layer (VK_LAYER_MESA_device_select, an implicit
//    layer shipped with mesa-vulkan-drivers; it wraps every driver, NVIDIA's
//    too). `DRI_PRIME=pci-DDDD_BB_DD_F!` makes it expose only the device at
//    that PCI address (Mesa src/vulkan/device-select-layer/device_select.c:
//    device_select_find_dri_prime_tag_default; the trailing "!" exposes only
//    that one). PCI addresses differ even between identical GPUs, so this
//    pins exactly. It needs the driver to report VK_EXT_pci_bus_info (NVIDIA,
//    AMD and Intel drivers do).
// 2. Dawn's own `adapter=<name>` flag (dawn/node/binding/GPU.cpp: the first
//    adapter whose device name contains the string). Identical GPUs share a
//    name, so with several of them every run lands on the first one: we warn.
//
// The environment must be set before Dawn creates its Vulkan instance (the
// layer reads it in vkCreateInstance); backend.ts does that once per process.

/** The GPU of a runner slot as nvidia-smi describes it. */
export interface SlotGpu {
  /** The id the slot was given (nvidia-smi index, or a GPU-… UUID). */
  id: string;
  name: string;
  /** nvidia-smi's pci.bus_id, e.g. 00000000:01:00.0. */
  pciBusId?: string;
  /** How many GPUs of the machine carry this exact name (identical GPUs). */
  sameName: number;
}

export interface VulkanPin {
  how: "device-select-layer" | "adapter-name" | "user-environment" | "none";
  /** Environment variables to set before the Dawn instance exists. */
  env: Record<string, string>;
  /** Flags for webgpu's create() (Dawn node options). */
  dawnFlags: string[];
  /** One sentence for provenance. */
  detail: string;
  warnings: string[];
}

/** nvidia-smi's "00000000:01:00.0" (or lspci's "0000:01:00.0") → Mesa's "pci-0000_01_00_0". */
export function driPrimeTag(pciBusId: string): string | null {
  const m = /^([0-9a-f]{4,8}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i.exec(pciBusId.trim());
  if (!m) return null;
  const domain = Number.parseInt(m[1]!, 16).toString(16).padStart(4, "0");
  return `pci-${domain}_${m[2]!.toLowerCase()}_${m[3]!.toLowerCase()}_${m[4]}`;
}

export function planPin(
  gpu: SlotGpu | undefined,
  deviceSelectLayer: string | null,
  env: NodeJS.ProcessEnv = process.env,
): VulkanPin {
  if (!gpu)
    return {
      how: "none",
      env: {},
      dawnFlags: [],
      detail: "no GPU slot: Dawn's default adapter",
      warnings: [],
    };
  if (env.MESA_VK_DEVICE_SELECT || env.DRI_PRIME) {
    return {
      how: "user-environment",
      env: {},
      dawnFlags: [],
      detail: `MESA_VK_DEVICE_SELECT/DRI_PRIME already set by the user (${env.MESA_VK_DEVICE_SELECT ?? env.DRI_PRIME}); left as is`,
      warnings: [],
    };
  }
  const tag = gpu.pciBusId ? driPrimeTag(gpu.pciBusId) : null;
  if (deviceSelectLayer && tag) {
    return {
      how: "device-select-layer",
      env: { DRI_PRIME: `${tag}!`, MESA_VK_DEVICE_SELECT_FORCE_DEFAULT_DEVICE: "1" },
      dawnFlags: [],
      detail: `GPU ${gpu.id} (${gpu.name}, PCI ${gpu.pciBusId}) through Mesa's device-select layer (DRI_PRIME=${tag}!)`,
      warnings: [],
    };
  }
  const warnings: string[] = [];
  if (gpu.sameName > 1) {
    warnings.push(
      `GPU ${gpu.id} is one of ${gpu.sameName} identical '${gpu.name}': Vulkan cannot tell them apart by name and ` +
        `Mesa's device-select layer (package mesa-vulkan-drivers), which selects by PCI address, is ` +
        `${deviceSelectLayer ? "installed but the GPU's PCI address is unknown" : "not installed"}; ` +
        "this run uses the first of them, which may be another slot's GPU.",
    );
  }
  return {
    how: "adapter-name",
    env: {},
    dawnFlags: [`adapter=${gpu.name}`],
    detail: `GPU ${gpu.id} (${gpu.name}) by adapter name (Dawn's adapter= flag)`,
    warnings,
  };
}

/** Whether an adapter's (normalised) device name is the slot GPU's name. */
export function sameGpuName(adapterDevice: string, gpuName: string): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, "");
  const a = norm(adapterDevice);
  const g = norm(gpuName);
  return a.length > 0 && g.length > 0 && (a.includes(g) || g.includes(a));
}
