// What this machine offers Dawn's Vulkan backend, read from the file system
// the way the Vulkan loader reads it: is the loader library (libvulkan.so.1)
// there, which driver manifests (ICDs) does it find, and is Mesa's
// device-select layer installed (the one way to pick a GPU by PCI address;
// see pin.ts). Used to say what is missing when no adapter appears, and by
// `labelsweep doctor`. Reads only; never loads a driver.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export interface VulkanDriverManifest {
  file: string;
  /** The driver library the manifest names (e.g. libvulkan_lvp.so, libGLX_nvidia.so.0). */
  library: string;
}

export interface VulkanEnvironment {
  /** Where libvulkan.so.1 (the Vulkan loader, Debian: libvulkan1) was found; null: not found. */
  loader: string | null;
  /** Driver manifests the loader would read (VK_DRIVER_FILES / VK_ICD_FILENAMES replace the search). */
  drivers: VulkanDriverManifest[];
  /** The directories searched for driver manifests. */
  driverDirs: string[];
  /** Mesa's device-select layer manifest (mesa-vulkan-drivers ships it), unless disabled by NODEVICE_SELECT=1. */
  deviceSelectLayer: string | null;
}

const LIB_DIRS = [
  "/lib/x86_64-linux-gnu",
  "/usr/lib/x86_64-linux-gnu",
  "/lib/aarch64-linux-gnu",
  "/usr/lib/aarch64-linux-gnu",
  "/lib64",
  "/usr/lib64",
  "/lib",
  "/usr/lib",
  "/usr/local/lib",
];

function ldConfDirs(): string[] {
  const out: string[] = [];
  const dir = "/etc/ld.so.conf.d";
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith(".conf"));
  } catch {
    return out;
  }
  for (const f of files) {
    try {
      for (const line of readFileSync(join(dir, f), "utf8").split("\n")) {
        const t = line.trim();
        if (t.startsWith("/")) out.push(t);
      }
    } catch {
      // unreadable: skip
    }
  }
  return out;
}

function findLoader(env: NodeJS.ProcessEnv): string | null {
  const dirs = [...(env.LD_LIBRARY_PATH ?? "").split(":").filter(Boolean), ...ldConfDirs(), ...LIB_DIRS];
  for (const d of dirs) {
    const p = join(d, "libvulkan.so.1");
    if (existsSync(p)) return p;
  }
  return null;
}

/** The loader's search path for a manifest kind ("icd.d", "implicit_layer.d"), per Vulkan-Loader's LoaderInterfaceArchitecture.md. */
function searchDirs(kind: string, env: NodeJS.ProcessEnv): string[] {
  const config = (env.XDG_CONFIG_DIRS || "/etc/xdg").split(":").filter(Boolean);
  const data = (env.XDG_DATA_DIRS || "/usr/local/share:/usr/share").split(":").filter(Boolean);
  const home = env.HOME || homedir();
  return [
    ...config.map((d) => join(d, "vulkan", kind)),
    join("/etc/vulkan", kind),
    ...data.map((d) => join(d, "vulkan", kind)),
    join(home, ".local/share/vulkan", kind),
  ];
}

function jsonFiles(dirOrFile: string): string[] {
  try {
    if (dirOrFile.endsWith(".json")) return existsSync(dirOrFile) ? [dirOrFile] : [];
    return readdirSync(dirOrFile)
      .filter((f) => f.endsWith(".json"))
      .sort()
      .map((f) => join(dirOrFile, f));
  } catch {
    return [];
  }
}

function readJson(file: string): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch {
    return null;
  }
}

export function vulkanEnvironment(env: NodeJS.ProcessEnv = process.env): VulkanEnvironment {
  const override = env.VK_DRIVER_FILES || env.VK_ICD_FILENAMES;
  const driverDirs = override ? override.split(":").filter(Boolean) : searchDirs("icd.d", env);
  const drivers: VulkanDriverManifest[] = [];
  for (const file of driverDirs.flatMap(jsonFiles)) {
    const icd = readJson(file)?.ICD as { library_path?: string } | undefined;
    if (icd?.library_path) drivers.push({ file, library: icd.library_path });
  }
  let deviceSelectLayer: string | null = null;
  if (env.NODEVICE_SELECT !== "1") {
    for (const file of searchDirs("implicit_layer.d", env).flatMap(jsonFiles)) {
      const layer = readJson(file)?.layer as { name?: string } | undefined;
      if (layer?.name === "VK_LAYER_MESA_device_select") {
        deviceSelectLayer = file;
        break;
      }
    }
  }
  return { loader: findLoader(env), drivers, driverDirs, deviceSelectLayer };
}

/**
 * Device nodes a hardware Vulkan driver opens: /dev/dri/renderD* (Mesa: AMD,
 * Intel…), /dev/nvidia0… (NVIDIA), /dev/dxg (WSL2). Without any, no hardware
 * adapter can exist, so `auto` need not load Dawn at all.
 */
export function gpuDeviceNodes(): string[] {
  const out: string[] = [];
  const list = (dir: string, re: RegExp) => {
    try {
      for (const f of readdirSync(dir)) if (re.test(f)) out.push(join(dir, f));
    } catch {
      // no such directory
    }
  };
  list("/dev/dri", /^renderD\d+$/);
  list("/dev", /^(nvidia\d+|dxg)$/);
  return out;
}

/** One paragraph: what is missing for a Vulkan adapter, from the facts above. */
export function explainNoAdapter(v: VulkanEnvironment): string {
  const lines: string[] = [];
  if (!v.loader) {
    lines.push("libvulkan.so.1 (the Vulkan loader; Debian/Ubuntu package libvulkan1) was not found.");
  }
  if (v.drivers.length === 0) {
    lines.push(
      `no Vulkan driver manifest (ICD) was found in ${v.driverDirs.join(", ")}: ` +
        "install the GPU's Vulkan driver (NVIDIA: the driver's Vulkan ICD, in containers " +
        "NVIDIA_DRIVER_CAPABILITIES must include graphics; AMD/Intel: mesa-vulkan-drivers).",
    );
  } else {
    lines.push(
      `Vulkan drivers found (${v.drivers.map((d) => d.library).join(", ")}) but none gave Dawn an adapter: ` +
        "the driver may be too old for Dawn (Debian bookworm's Mesa 22.3 is refused; Mesa 25 from " +
        "bookworm-backports works) or cannot reach the device (/dev/dri, /dev/nvidia*; in containers " +
        "NVIDIA_DRIVER_CAPABILITIES must include graphics).",
    );
  }
  return lines.join("\n");
}
