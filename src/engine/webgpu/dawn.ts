// Dawn (Google's WebGPU implementation) in Node through the optional npm
// package `webgpu` (dawn.node, prebuilt for linux-x64 inside the tarball,
// glibc ≥ 2.34). Loaded by a guarded dynamic import: when the package is
// absent or its binary cannot load, the caller gets a sentence saying so.
//
// Dawn node's API (dawn/node/binding/GPU.cpp): create(flags) makes an
// instance; requestAdapter() returns the first adapter of the Vulkan backend
// (sorted by power preference; `adapter=<name>` filters by device name); an
// unknown name rejects with the list of all adapters, the only way to
// enumerate them from JavaScript.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** The WebGPU objects this project touches (typed loosely: the package's types are optional too). */
export interface GpuAdapterInfoLike {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter?: boolean;
}

export interface GpuAdapterLike {
  info: GpuAdapterInfoLike;
  limits: Record<string, number>;
  features: { has(name: string): boolean };
  requestDevice(descriptor?: Record<string, unknown>): Promise<GpuDeviceLike>;
}

export interface GpuDeviceLike {
  lost: Promise<{ reason?: string; message?: string }>;
  destroy(): void;
  addEventListener(type: string, listener: (event: { error?: { message?: string } }) => void): void;
}

export interface GpuLike {
  requestAdapter(options?: Record<string, unknown>): Promise<GpuAdapterLike | null>;
}

export interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
  version: string;
}

/** An adapter as provenance and `labelsweep doctor` report it. */
export interface AdapterDescription {
  /** Device name (WebGPU normalises it: lower case, dashes), e.g. nvidia-geforce-rtx-4090, llvmpipe-llvm-15-0-6-256-bits. */
  device: string;
  vendor: string;
  architecture: string;
  /** The driver's own description (name and driver version), e.g. "llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)". */
  description: string;
  /** A CPU implementation (Mesa lavapipe/llvmpipe, SwiftShader): WebGPU's isFallbackAdapter, or a known software name. */
  software: boolean;
}

const SOFTWARE_NAMES = /llvmpipe|lavapipe|softpipe|swiftshader/i;

export function isSoftwareAdapter(info: GpuAdapterInfoLike): boolean {
  if (info.isFallbackAdapter) return true;
  return SOFTWARE_NAMES.test(`${info.device} ${info.description} ${info.architecture} ${info.vendor}`);
}

export function describeAdapter(info: GpuAdapterInfoLike): AdapterDescription {
  return {
    device: info.device,
    vendor: info.vendor,
    architecture: info.architecture,
    description: info.description,
    software: isSoftwareAdapter(info),
  };
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split("\n")[0]!.slice(0, 300);
}

function packageVersion(name: string): string {
  try {
    const file = require.resolve(`${name}/package.json`);
    return (JSON.parse(readFileSync(file, "utf8")) as { version?: string }).version ?? "unknown";
  } catch {
    return "unknown";
  }
}

let dawn: DawnModule | null = null;

/** Loads dawn.node, or throws an Error whose message names what is missing. */
export async function loadDawn(): Promise<DawnModule> {
  if (dawn) return dawn;
  const specifier: string = "webgpu";
  let mod: { create: DawnModule["create"]; globals: Record<string, unknown> };
  try {
    mod = (await import(specifier)) as typeof mod;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ERR_MODULE_NOT_FOUND" && /'webgpu'/.test(String((err as Error).message))) {
      throw new Error("the optional npm package 'webgpu' (Dawn) is not installed");
    }
    throw new Error(`the npm package 'webgpu' is installed but dawn.node did not load: ${firstLine(err)}`);
  }
  dawn = { create: mod.create, globals: mod.globals, version: packageVersion("webgpu") };
  return dawn;
}

/**
 * Every adapter Dawn's Vulkan backend offers, with how many share each name
 * (identical GPUs). Each lookup creates a short-lived Dawn instance.
 */
export async function listAdapters(
  d: DawnModule,
): Promise<{ adapter: AdapterDescription | null; name: string; count: number }[]> {
  let names: string[] = [];
  try {
    // A name no adapter has: Dawn rejects with "Available adapters:\n * backend: 'vulkan', name: '…'".
    const none = await d.create(["adapter=\u0001labelsweep: list adapters"]).requestAdapter();
    if (none === null) return [];
  } catch (err) {
    names = [...String((err as Error).message).matchAll(/\* backend: '[^']*', name: '(.*)'$/gm)].map(
      (m) => m[1]!,
    );
  }
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  const out: { adapter: AdapterDescription | null; name: string; count: number }[] = [];
  for (const [name, count] of counts) {
    let adapter: AdapterDescription | null = null;
    try {
      const a = await d.create([`adapter=${name}`]).requestAdapter();
      if (a) adapter = describeAdapter(a.info);
    } catch {
      // listed but not obtainable by name: report the name alone
    }
    out.push({ adapter, name, count });
  }
  return out;
}
