// Instantiates heap-kernels.as against the tfjs wasm backend's own memory, so
// its loops read and write tensors in place (pointers are the byte offsets the
// backend keeps in dataIdMap).

import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { TensorInfo } from "@tensorflow/tfjs-core";
import { HEAP_KERNELS_SHARED_WASM, HEAP_KERNELS_WASM } from "./heap-kernels-binary.js";

/** The exports of heap-kernels.as; see that file for what each loop computes. */
export interface HeapKernels {
  transpose2d(src: number, dst: number, rows: number, cols: number): void;
  im2colT(
    x: number,
    colT: number,
    n: number,
    h: number,
    w: number,
    c: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    padTop: number,
    padLeft: number,
    outH: number,
    outW: number,
  ): void;
  col2im(
    dcol: number,
    dx: number,
    n: number,
    h: number,
    w: number,
    c: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    padTop: number,
    padLeft: number,
    outH: number,
    outW: number,
  ): void;
  colSum(src: number, dst: number, tmp: number, rows: number, cols: number, scale: number): void;
}

interface EmscriptenWithAsm {
  asm?: { memory?: unknown };
  wasmMemory?: unknown;
}

// @types/node 20 does not declare the WebAssembly global (it lives in lib.dom); the slice used here:
interface WasmMemory {
  buffer: ArrayBuffer | SharedArrayBuffer;
}
const WA = (
  globalThis as unknown as {
    WebAssembly: {
      Memory: abstract new () => WasmMemory;
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object, imports: object) => { exports: object };
    };
  }
).WebAssembly;

const instances = new WeakMap<BackendWasm, HeapKernels>();

function backendMemory(backend: BackendWasm): WasmMemory {
  const module = backend.wasm as unknown as EmscriptenWithAsm;
  const memory = module.asm?.memory ?? module.wasmMemory;
  if (!(memory instanceof WA.Memory)) {
    throw new Error(
      "tfjs wasm backend does not expose its WebAssembly.Memory (asm.memory); unsupported version",
    );
  }
  return memory;
}

/** The heap kernels bound to this backend instance (instantiated once per backend). */
export function heapKernels(backend: BackendWasm): HeapKernels {
  const cached = instances.get(backend);
  if (cached) return cached;
  const memory = backendMemory(backend);
  const shared = typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
  const bytes = Buffer.from(shared ? HEAP_KERNELS_SHARED_WASM : HEAP_KERNELS_WASM, "base64");
  const instance = new WA.Instance(new WA.Module(bytes), {
    env: {
      memory,
      abort: () => {
        throw new Error("heap kernel aborted");
      },
    },
  });
  const kernels = instance.exports as unknown as HeapKernels;
  instances.set(backend, kernels);
  return kernels;
}

/** Byte offset of a tensor's data on the wasm heap. */
export function heapOffset(backend: BackendWasm, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset;
}
