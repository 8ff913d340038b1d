// Choosing and pinning a Vulkan adapter: the policy (auto never on a
// software adapter), the pin plan for a runner slot's GPU, and what the
// Vulkan environment reader reports. No adapter needed, except for the last
// test, which checks the policy on the real adapter where one exists.

import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { autoRefuses } from "../../src/engine/backend.js";
import { describeAdapter } from "../../src/engine/webgpu/dawn.js";
import { driPrimeTag, planPin, sameGpuName } from "../../src/engine/webgpu/pin.js";
import { probeWebgpu } from "../../src/engine/webgpu/start.js";
import { explainNoAdapter, vulkanEnvironment } from "../../src/engine/webgpu/vulkan-env.js";
import { webgpuUnavailable } from "./webgpu-helpers.js";

// Adapter infos as Dawn reports them (GPUAdapterInfo: normalised device names).
const LAVAPIPE = {
  vendor: "mesa",
  architecture: "software",
  device: "llvmpipe-llvm-15-0-6-256-bits-",
  description: "llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1",
  isFallbackAdapter: true,
};
const SWIFTSHADER = {
  vendor: "google",
  architecture: "",
  device: "swiftshader-device-subzero",
  description: "SwiftShader driver",
  isFallbackAdapter: false,
};
const NVIDIA = {
  vendor: "nvidia",
  architecture: "ampere",
  device: "nvidia-a100-sxm4-40gb",
  description: "NVIDIA: 550.54.15 550.54.15.0",
  isFallbackAdapter: false,
};

describe("auto's adapter policy", () => {
  it("never takes a software adapter, whether or not Dawn flags it as a fallback", () => {
    expect(autoRefuses(describeAdapter(LAVAPIPE))).toMatch(
      /software one \('llvmpipe: Mesa 25.*auto never trains/,
    );
    expect(autoRefuses(describeAdapter(SWIFTSHADER))).toMatch(/software/);
    expect(autoRefuses(describeAdapter(NVIDIA))).toBeNull();
  });

  it("refuses the adapter this machine really has when it is a software one", async () => {
    const why = await webgpuUnavailable();
    if (why) {
      console.warn(`skipped (no Vulkan adapter here): ${why}`);
      return;
    }
    const probe = await probeWebgpu();
    expect(probe.adapter).not.toBeNull();
    if (probe.adapter!.software)
      expect(autoRefuses(probe.adapter!)).toMatch(/auto never trains on a software adapter/);
    else expect(autoRefuses(probe.adapter!)).toBeNull();
  });
});

describe("pinning a run to its slot's GPU", () => {
  const gpu = { id: "1", name: "NVIDIA A100-SXM4-40GB", pciBusId: "00000000:41:00.0", sameName: 4 };

  it("turns nvidia-smi's PCI bus id into Mesa's DRI_PRIME tag", () => {
    expect(driPrimeTag("00000000:41:00.0")).toBe("pci-0000_41_00_0");
    expect(driPrimeTag("0001:C1:1F.7")).toBe("pci-0001_c1_1f_7");
    expect(driPrimeTag("not a bus id")).toBeNull();
  });

  it("selects by PCI address through Mesa's device-select layer, so identical GPUs are told apart", () => {
    const pin = planPin(gpu, "/usr/share/vulkan/implicit_layer.d/VkLayer_MESA_device_select.json", {});
    expect(pin.how).toBe("device-select-layer");
    expect(pin.env).toEqual({
      DRI_PRIME: "pci-0000_41_00_0!",
      MESA_VK_DEVICE_SELECT_FORCE_DEFAULT_DEVICE: "1",
    });
    expect(pin.warnings).toEqual([]);
  });

  it("falls back to Dawn's adapter name without the layer, and warns when identical GPUs share the name", () => {
    const pin = planPin(gpu, null, {});
    expect(pin.how).toBe("adapter-name");
    expect(pin.dawnFlags).toEqual(["adapter=NVIDIA A100-SXM4-40GB"]);
    expect(pin.warnings[0]).toMatch(
      /one of 4 identical 'NVIDIA A100-SXM4-40GB'.*not installed.*may be another slot's GPU/,
    );
    expect(planPin({ ...gpu, sameName: 1 }, null, {}).warnings).toEqual([]);
  });

  it("leaves a selection the user made in the environment alone, and does nothing without a slot", () => {
    expect(planPin(gpu, "/layer.json", { MESA_VK_DEVICE_SELECT: "10de:20b0!" })).toMatchObject({
      how: "user-environment",
      env: {},
    });
    expect(planPin(undefined, "/layer.json", {})).toMatchObject({ how: "none", env: {}, dawnFlags: [] });
  });

  it("matches an adapter's normalised device name to nvidia-smi's name", () => {
    expect(sameGpuName("nvidia-a100-sxm4-40gb", "NVIDIA A100-SXM4-40GB")).toBe(true);
    expect(sameGpuName("llvmpipe-llvm-15-0-6-256-bits-", "NVIDIA A100-SXM4-40GB")).toBe(false);
  });
});

describe("the Vulkan environment", () => {
  function fakeRoot(): string {
    const root = mkdtempSync(join(tmpdir(), "ls-vk-"));
    mkdirSync(join(root, "vulkan", "icd.d"), { recursive: true });
    mkdirSync(join(root, "vulkan", "implicit_layer.d"), { recursive: true });
    writeFileSync(
      join(root, "vulkan", "icd.d", "nvidia_icd.json"),
      JSON.stringify({ file_format_version: "1.0.0", ICD: { library_path: "libGLX_nvidia.so.0" } }),
    );
    writeFileSync(
      join(root, "vulkan", "implicit_layer.d", "VkLayer_MESA_device_select.json"),
      JSON.stringify({ layer: { name: "VK_LAYER_MESA_device_select" } }),
    );
    return root;
  }

  it("finds driver manifests and Mesa's device-select layer where the Vulkan loader looks", () => {
    const root = fakeRoot();
    const env = { XDG_DATA_DIRS: root, XDG_CONFIG_DIRS: join(root, "none"), HOME: join(root, "home") };
    const v = vulkanEnvironment(env);
    expect(v.drivers.map((d) => d.library)).toContain("libGLX_nvidia.so.0");
    expect(v.deviceSelectLayer).toBe(
      join(root, "vulkan", "implicit_layer.d", "VkLayer_MESA_device_select.json"),
    );
    // NODEVICE_SELECT=1 is the layer's own off switch.
    expect(vulkanEnvironment({ ...env, NODEVICE_SELECT: "1" }).deviceSelectLayer).toBeNull();
    // VK_DRIVER_FILES replaces the search.
    expect(vulkanEnvironment({ ...env, VK_DRIVER_FILES: "/nonexistent.json" }).drivers).toEqual([]);
  });

  it("names what is missing when no adapter appears", () => {
    const none = explainNoAdapter({
      loader: null,
      drivers: [],
      driverDirs: ["/etc/vulkan/icd.d"],
      deviceSelectLayer: null,
    });
    expect(none).toMatch(/libvulkan.so.1 .*libvulkan1\) was not found/);
    expect(none).toMatch(
      /no Vulkan driver manifest \(ICD\) was found in \/etc\/vulkan\/icd.d.*NVIDIA_DRIVER_CAPABILITIES must include graphics/s,
    );
    const old = explainNoAdapter({
      loader: "/usr/lib/x86_64-linux-gnu/libvulkan.so.1",
      drivers: [{ file: "/usr/share/vulkan/icd.d/lvp_icd.json", library: "libvulkan_lvp.so" }],
      driverDirs: [],
      deviceSelectLayer: null,
    });
    expect(old).toMatch(
      /drivers found \(libvulkan_lvp.so\) but none gave Dawn an adapter.*Mesa 22.3 is refused/s,
    );
  });
});
