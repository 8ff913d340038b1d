// Overrides of two stock wasm kernels on paths that training hits constantly:
//
// - Sum / Mean over leading axes (bias and batch-norm gradients reduce an NHWC
//   tensor over [0, 1, 2]). The stock kernels first run a naive element-wise
//   transpose to bring the axes last; colSum reads the tensor once instead.
// - BatchMatMul with transposeA / transposeB. The stock kernel sends only the
//   untransposed, batch-1 form to XNNPACK and runs everything else through a
//   naive loop (~5x slower); here the operand is transposed explicitly first.
// Every other case goes to the stock kernel unchanged.

import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import {
  type BatchMatMulAttrs,
  type KernelConfig,
  type KernelFunc,
  type NamedTensorInfoMap,
  type SumAttrs,
  type TensorInfo,
  util,
} from "@tensorflow/tfjs-core";
import { heapKernels, heapOffset } from "./heap-kernels.js";
import { alloc, asShape, free, matMul2d, type StockKernels } from "./wasm-ops.js";

/** Number k such that the reduced axes are exactly 0..k-1, or 0 when they are not a leading run. */
function leadingAxes(axis: number | number[], shape: number[]): number {
  const axes = [...new Set(util.parseAxisParam(axis, shape))].sort((p, q) => p - q);
  return axes.every((a, i) => a === i) ? axes.length : 0;
}

function reduceLeading(
  backend: BackendWasm,
  x: TensorInfo,
  k: number,
  keepDims: boolean,
  mean: boolean,
): TensorInfo {
  const rows = util.sizeFromShape(x.shape.slice(0, k));
  const cols = util.sizeFromShape(x.shape.slice(k));
  const outShape = keepDims ? x.shape.map((d, i) => (i < k ? 1 : d)) : x.shape.slice(k);
  const out = alloc(backend, outShape);
  const tmp = alloc(backend, [cols]);
  heapKernels(backend).colSum(
    heapOffset(backend, x),
    heapOffset(backend, out),
    heapOffset(backend, tmp),
    rows,
    cols,
    mean ? 1 / rows : 1,
  );
  free(backend, tmp);
  return out;
}

function reduceKernel(stock: StockKernels, mean: boolean): KernelFunc {
  const fallback = mean ? stock.mean : stock.sum;
  return (args) => {
    const { x } = args.inputs as NamedTensorInfoMap;
    const { axis, keepDims } = args.attrs as unknown as SumAttrs;
    const k = x && x.dtype === "float32" && x.shape.length > 0 ? leadingAxes(axis, x.shape) : 0;
    if (!x || k === 0 || util.sizeFromShape(x.shape) === 0) return fallback(args);
    return reduceLeading(args.backend as BackendWasm, x, k, keepDims, mean);
  };
}

function transposed(backend: BackendWasm, t: TensorInfo, rows: number, cols: number): TensorInfo {
  const out = alloc(backend, [cols, rows]);
  heapKernels(backend).transpose2d(heapOffset(backend, t), heapOffset(backend, out), rows, cols);
  return out;
}

function batchMatMulKernel(stock: StockKernels): KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as NamedTensorInfoMap;
    const { transposeA, transposeB } = args.attrs as unknown as BatchMatMulAttrs;
    if (!a || !b || !(transposeA || transposeB) || a.dtype !== "float32" || b.dtype !== "float32") {
      return stock.batchMatMul(args);
    }
    const ra = a.shape.length;
    const rb = b.shape.length;
    const batchA = util.sizeFromShape(a.shape.slice(0, -2));
    const batchB = util.sizeFromShape(b.shape.slice(0, -2));
    if (ra < 2 || rb < 2 || batchA !== 1 || batchB !== 1) return stock.batchMatMul(args);
    const backend = args.backend as BackendWasm;
    const [a0, a1] = a.shape.slice(-2) as [number, number];
    const [b0, b1] = b.shape.slice(-2) as [number, number];
    const aa = transposeA ? transposed(backend, a, a0, a1) : asShape(a, [a0, a1]);
    const bb = transposeB ? transposed(backend, b, b0, b1) : asShape(b, [b0, b1]);
    const m = aa.shape[0]!;
    const n = bb.shape[1]!;
    if (aa.shape[1] !== bb.shape[0]) {
      throw new Error(`matMul: inner shapes of [${a.shape}] and [${b.shape}] do not match`);
    }
    const out = matMul2d(stock, backend, aa, bb);
    if (transposeA) free(backend, aa);
    if (transposeB) free(backend, bb);
    const lead = ra >= rb ? a.shape.slice(0, -2) : b.shape.slice(0, -2);
    return { dataId: out.dataId, shape: [...lead, m, n], dtype: "float32" };
  };
}

export function reduceAndMatMulKernels(stock: StockKernels): KernelConfig[] {
  return [
    { kernelName: "Sum", backendName: "wasm", kernelFunc: reduceKernel(stock, false) },
    { kernelName: "Mean", backendName: "wasm", kernelFunc: reduceKernel(stock, true) },
    { kernelName: "BatchMatMul", backendName: "wasm", kernelFunc: batchMatMulKernel(stock) },
  ];
}
