// Convolution gradients for the tfjs wasm backend, built from XNNPACK
// (matmul, conv) plus the SIMD reshuffles in heap-kernels.as.
//
// Stock tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter at all and a naive
// Conv2DBackpropInput (10-25x slower than the forward convolution on the
// bench net). Here:
//   dW = im2colT(x) (KH*KW*Cin x M) · dy (M x Cout)          M = N*OH*OW
//   dx = conv(dy, flipped W) for stride 1 (the transposed convolution is a
//        plain stride-1 convolution), else col2im(dy · W^T).

import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import {
  backend_util,
  type Conv2DBackpropFilterAttrs,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type NamedTensorInfoMap,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import { heapKernels, heapOffset } from "./heap-kernels.js";
import { alloc, asShape, conv2dExplicit, free, matMul2d, type StockKernels } from "./wasm-ops.js";

type Conv2DInfo = backend_util.Conv2DInfo;

function convInfo(
  inShape: number[],
  filterShape: number[],
  attrs: Conv2DBackpropFilterAttrs | Conv2DBackpropInputAttrs,
): Conv2DInfo {
  if (attrs.dataFormat !== "NHWC") {
    throw new Error(`wasm conv gradients support dataFormat NHWC only, got ${attrs.dataFormat}`);
  }
  return backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
}

function checkDy(dy: TensorInfo, info: Conv2DInfo): void {
  const want = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  if (dy.shape.join() !== want.join()) {
    throw new Error(`conv gradient: dy has shape [${dy.shape}] but the convolution outputs [${want}]`);
  }
}

function geometry(info: Conv2DInfo): number[] {
  return [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
    info.outHeight,
    info.outWidth,
  ];
}

export function conv2DBackpropFilter(
  stock: StockKernels,
  backend: BackendWasm,
  x: TensorInfo,
  dy: TensorInfo,
  attrs: Conv2DBackpropFilterAttrs,
): TensorInfo {
  const info = convInfo(x.shape, attrs.filterShape, attrs);
  checkDy(dy, info);
  const m = info.batchSize * info.outHeight * info.outWidth;
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  const kernels = heapKernels(backend);
  const colT = alloc(backend, [k, m]);
  const [n, h, w, c, kh, kw, sh, sw, pt, pl, oh, ow] = geometry(info) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  kernels.im2colT(
    heapOffset(backend, x),
    heapOffset(backend, colT),
    n,
    h,
    w,
    c,
    kh,
    kw,
    sh,
    sw,
    pt,
    pl,
    oh,
    ow,
  );
  const out = matMul2d(stock, backend, colT, asShape(dy, [m, info.outChannels]));
  free(backend, colT);
  return { dataId: out.dataId, shape: [...attrs.filterShape], dtype: "float32" };
}

/** filter (KH,KW,Cin,Cout) -> (KH,KW,Cout,Cin) rotated by 180 degrees: the kernel of the transposed conv. */
function flippedFilter(backend: BackendWasm, filter: TensorInfo): TensorInfo {
  const [kh, kw, cin, cout] = filter.shape as [number, number, number, number];
  const out = alloc(backend, [kh, kw, cout, cin]);
  const kernels = heapKernels(backend);
  const taps = kh * kw;
  const tapBytes = cin * cout * 4;
  const src = heapOffset(backend, filter);
  const dst = heapOffset(backend, out);
  for (let t = 0; t < taps; t++)
    kernels.transpose2d(src + t * tapBytes, dst + (taps - 1 - t) * tapBytes, cin, cout);
  return out;
}

export function conv2DBackpropInput(
  stock: StockKernels,
  backend: BackendWasm,
  dy: TensorInfo,
  filter: TensorInfo,
  attrs: Conv2DBackpropInputAttrs,
): TensorInfo {
  const info = convInfo(attrs.inputShape, filter.shape, attrs);
  checkDy(dy, info);
  const { top, bottom, left, right } = info.padInfo;
  const kh = info.filterHeight;
  const kw = info.filterWidth;
  const unitStride = info.strideHeight === 1 && info.strideWidth === 1;
  if (unitStride && top < kh && bottom < kh && left < kw && right < kw) {
    // dx = full correlation of dy with the rotated filter: a stride-1 XNNPACK conv.
    const flipped = flippedFilter(backend, filter);
    const out = conv2dExplicit(stock, backend, dy, flipped, [
      kh - 1 - top,
      kh - 1 - bottom,
      kw - 1 - left,
      kw - 1 - right,
    ]);
    free(backend, flipped);
    return out;
  }
  const m = info.batchSize * info.outHeight * info.outWidth;
  const k = kh * kw * info.inChannels;
  const kernels = heapKernels(backend);
  const filterT = alloc(backend, [info.outChannels, k]);
  kernels.transpose2d(heapOffset(backend, filter), heapOffset(backend, filterT), k, info.outChannels);
  const dcol = matMul2d(stock, backend, asShape(dy, [m, info.outChannels]), filterT);
  free(backend, filterT);
  const dx = alloc(backend, [...attrs.inputShape]);
  const [n, h, w, c, , , sh, sw, pt, pl, oh, ow] = geometry(info) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  kernels.col2im(
    heapOffset(backend, dcol),
    heapOffset(backend, dx),
    n,
    h,
    w,
    c,
    kh,
    kw,
    sh,
    sw,
    pt,
    pl,
    oh,
    ow,
  );
  free(backend, dcol);
  return dx;
}

export function convBackpropKernels(stock: StockKernels): KernelConfig[] {
  const filterKernel: KernelFunc = ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as NamedTensorInfoMap;
    return conv2DBackpropFilter(
      stock,
      backend as BackendWasm,
      x!,
      dy!,
      attrs as unknown as Conv2DBackpropFilterAttrs,
    );
  };
  const inputKernel: KernelFunc = ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as NamedTensorInfoMap;
    return conv2DBackpropInput(
      stock,
      backend as BackendWasm,
      dy!,
      filter!,
      attrs as unknown as Conv2DBackpropInputAttrs,
    );
  };
  return [
    { kernelName: "Conv2DBackpropFilter", backendName: "wasm", kernelFunc: filterKernel },
    { kernelName: "Conv2DBackpropInput", backendName: "wasm", kernelFunc: inputKernel },
  ];
}
