// Small helpers for writing tfjs wasm kernels out of other kernels: allocate
// and free scratch tensors on the heap, and call the stock XNNPACK-backed
// kernels (captured before any override) on plain TensorInfos.

import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { getKernel, type KernelFunc, type NamedAttrMap, type TensorInfo } from "@tensorflow/tfjs-core";

/** A TensorInfo that shares `t`'s data under another shape (no copy; the caller must not free it). */
export function asShape(t: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: t.dataId, shape, dtype: t.dtype };
}

/** A fresh float32 tensor on the heap; its contents are undefined until written. */
export function alloc(backend: BackendWasm, shape: number[]): TensorInfo {
  return backend.makeOutput(shape, "float32");
}

export function free(backend: BackendWasm, ...ts: TensorInfo[]): void {
  for (const t of ts) backend.disposeData(t.dataId);
}

/** The stock wasm kernels this folder builds on, looked up once before any override is registered. */
export interface StockKernels {
  batchMatMul: KernelFunc;
  conv2d: KernelFunc;
  sum: KernelFunc;
  mean: KernelFunc;
}

export function captureStockKernels(): StockKernels {
  const find = (name: string): KernelFunc => {
    const config = getKernel(name, "wasm");
    if (!config) throw new Error(`tfjs wasm backend has no ${name} kernel; unsupported version`);
    return config.kernelFunc;
  };
  return { batchMatMul: find("BatchMatMul"), conv2d: find("Conv2D"), sum: find("Sum"), mean: find("Mean") };
}

function single(out: TensorInfo | TensorInfo[]): TensorInfo {
  if (Array.isArray(out)) throw new Error("expected a single output");
  return out;
}

/**
 * a (m x k) times b (k x n) with no transposes: the only form tfjs's wasm
 * BatchMatMul sends to XNNPACK (any transpose or batch > 1 takes a naive loop).
 */
export function matMul2d(
  stock: StockKernels,
  backend: BackendWasm,
  a: TensorInfo,
  b: TensorInfo,
): TensorInfo {
  const attrs: NamedAttrMap = { transposeA: false, transposeB: false };
  return single(stock.batchMatMul({ inputs: { a, b }, backend, attrs }));
}

/** Stride-1 convolution with explicit padding through the stock XNNPACK Conv2D kernel. */
export function conv2dExplicit(
  stock: StockKernels,
  backend: BackendWasm,
  x: TensorInfo,
  filter: TensorInfo,
  pads: [number, number, number, number],
): TensorInfo {
  const [top, bottom, left, right] = pads;
  const attrs: NamedAttrMap = {
    strides: [1, 1],
    pad: [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ],
    dataFormat: "NHWC",
    dilations: [1, 1],
  };
  return single(stock.conv2d({ inputs: { x, filter }, backend, attrs }));
}
