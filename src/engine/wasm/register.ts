// Registers the project's wasm kernels over the stock ones (and restores the
// stock set, for side-by-side benchmarks). Must run after the wasm backend has
// initialised: the stock kernels we delegate to are set up at that moment.

import { getKernel, type KernelConfig, registerKernel, unregisterKernel } from "@tensorflow/tfjs-core";
import { convBackpropKernels } from "./conv-backprop.js";
import { reduceAndMatMulKernels } from "./reduce-and-matmul.js";
import { captureStockKernels } from "./wasm-ops.js";

let replaced: Map<string, KernelConfig | undefined> | null = null;

/** Installs the fast kernels (idempotent) and returns their names. */
export function registerFastWasmKernels(): string[] {
  if (replaced) return [...replaced.keys()];
  const stock = captureStockKernels();
  const configs = [...convBackpropKernels(stock), ...reduceAndMatMulKernels(stock)];
  replaced = new Map();
  for (const config of configs) {
    const old = getKernel(config.kernelName, "wasm");
    replaced.set(config.kernelName, old);
    if (old) unregisterKernel(config.kernelName, "wasm");
    registerKernel(config);
  }
  return [...replaced.keys()];
}

/** Puts back the kernels tfjs-backend-wasm shipped with (Conv2DBackpropFilter is then missing again). */
export function restoreStockWasmKernels(): void {
  if (!replaced) return;
  for (const [name, old] of replaced) {
    unregisterKernel(name, "wasm");
    if (old) registerKernel(old);
  }
  replaced = null;
}
