// ResizeNearestNeighborGrad for the cpu backend.
//
// tfjs-backend-cpu 4.22's kernel is wrong for a batch of more than one image:
// the gradient of every image after the first is garbage (checked against the
// definition — each input pixel collects the output gradients of the pixels
// that copied it — and against the wasm backend, which gets it right). An FPN's
// top-down path runs through this op, so on cpu every gradient below it was
// corrupted. This kernel scatters dy back to the source pixel that tfjs's
// forward nearest-neighbour rule reads.

import {
  getKernel,
  type KernelConfig,
  type KernelFunc,
  type NamedTensorInfoMap,
  type ResizeNearestNeighborGradAttrs,
  registerKernel,
  type TensorInfo,
  unregisterKernel,
} from "@tensorflow/tfjs-core";

/** Source index per output index, as tfjs's forward resizeNearestNeighbor picks it. */
export function nearestSources(
  inSize: number,
  outSize: number,
  alignCorners: boolean,
  halfPixelCenters: boolean,
): Int32Array {
  const effIn = alignCorners && outSize > 1 ? inSize - 1 : inSize;
  const effOut = alignCorners && outSize > 1 ? outSize - 1 : outSize;
  const ratio = effIn / effOut;
  const out = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const frac = halfPixelCenters ? ratio * (o + 0.5) : ratio * o;
    let src = Math.min(inSize - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
    if (halfPixelCenters) src = Math.max(0, src);
    out[o] = src;
  }
  return out;
}

/** dx [n, inH, inW, c] from dy [n, outH, outW, c] (NHWC, flat arrays). */
export function resizeNearestGrad(
  dy: ArrayLike<number>,
  dyShape: number[],
  inShape: number[],
  alignCorners: boolean,
  halfPixelCenters: boolean,
): Float32Array {
  const [n, inH, inW, c] = inShape as [number, number, number, number];
  const [, outH, outW] = dyShape as [number, number, number, number];
  const rows = nearestSources(inH, outH, alignCorners, halfPixelCenters);
  const cols = nearestSources(inW, outW, alignCorners, halfPixelCenters);
  const dx = new Float32Array(n * inH * inW * c);
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < outH; y++) {
      const srcRow = (i * inH + rows[y]!) * inW;
      const dyRow = (i * outH + y) * outW;
      for (let x = 0; x < outW; x++) {
        const d = (srcRow + cols[x]!) * c;
        const s = (dyRow + x) * c;
        for (let k = 0; k < c; k++) dx[d + k]! += dy[s + k]!;
      }
    }
  }
  return dx;
}

interface CpuBackendLike {
  readSync(dataId: object): ArrayLike<number>;
  makeTensorInfo(shape: number[], dtype: "float32", values: Float32Array): TensorInfo;
}

const cpuKernel: KernelConfig = {
  kernelName: "ResizeNearestNeighborGrad",
  backendName: "cpu",
  kernelFunc: (({ inputs, backend, attrs }) => {
    const b = backend as unknown as CpuBackendLike;
    const { images, dy } = inputs as NamedTensorInfoMap;
    const { alignCorners, halfPixelCenters } = attrs as unknown as ResizeNearestNeighborGradAttrs;
    const dx = resizeNearestGrad(
      b.readSync(dy!.dataId),
      dy!.shape,
      images!.shape,
      alignCorners,
      halfPixelCenters,
    );
    return b.makeTensorInfo([...images!.shape], "float32", dx);
  }) as KernelFunc,
};

let installed = false;

/** Replaces the cpu backend's ResizeNearestNeighborGrad (idempotent). */
export function fixCpuResizeNearestGrad(): void {
  if (installed) return;
  if (getKernel("ResizeNearestNeighborGrad", "cpu")) unregisterKernel("ResizeNearestNeighborGrad", "cpu");
  registerKernel(cpuKernel);
  installed = true;
}
