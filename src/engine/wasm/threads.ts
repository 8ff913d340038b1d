// Multi-threaded tfjs wasm backend in Node.
//
// tfjs-backend-wasm ships a threaded SIMD build (XNNPACK on a pthreadpool of
// emscripten workers) but refuses it in Node (flag WASM_HAS_MULTITHREAD_SUPPORT
// is hard-wired to false there, tfjs issue #3830). Three things stand in the way,
// and this file works around each for the duration of backend initialisation:
//   1. The pthread worker script is handed to `new Worker` as a blob: URL, which
//      Node's worker_threads cannot load. We write the same script to a file and
//      answer URL.createObjectURL with that file's path.
//   2. Each worker is told to load the main script from a Blob. The worker file
//      gets a short suffix that swaps the Blob for a file path we wrote as well.
//   3. The thread pool size is capped at os.cpus().length / 2 (tfjs assumes two
//      hyper-threads per core), i.e. 1 thread on a 2-core machine. os.cpus() is
//      made to report enough cores for the requested count while init runs.
// Workers are unref'd afterwards so they do not keep the process alive.

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

interface ThreadFiles {
  workerPath: string;
}

function writeOnce(path: string, text: string): void {
  if (existsSync(path)) return;
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

function threadFiles(): ThreadFiles {
  const base = dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json"));
  const { wasmWorkerContents } = require(
    join(base, "wasm-out", "tfjs-backend-wasm-threaded-simd.worker.js"),
  ) as {
    wasmWorkerContents: string;
  };
  const factory = require(join(base, "wasm-out", "tfjs-backend-wasm-threaded-simd.js")) as () => unknown;
  const main = `var WasmBackendModuleThreadedSimd = ${factory.toString()};\n`;
  const hash = createHash("sha256").update(main).update(wasmWorkerContents).digest("hex").slice(0, 16);
  const dir = join(os.tmpdir(), `labelsweep-wasm-threads-${hash}`);
  mkdirSync(dir, { recursive: true });
  const mainPath = join(dir, "main.cjs");
  const workerPath = join(dir, "worker.cjs");
  writeOnce(mainPath, main);
  // tfjs escapes newlines the same way before making its Blob: the contents hold "\n" inside string literals.
  const worker =
    wasmWorkerContents.replace(/\n/g, "\\n") +
    `\n;(function(){var o=self.onmessage;self.onmessage=function(e){` +
    `if(e.data&&e.data.cmd==="load"&&typeof e.data.urlOrBlob!=="string"){e.data.urlOrBlob=${JSON.stringify(mainPath)};}` +
    `return o(e);};})();\n`;
  writeOnce(workerPath, worker);
  return { workerPath };
}

/**
 * Runs `init` (which must initialise the wasm backend) with the patches above in
 * place, so the backend comes up with `threads` pthreads.
 */
export async function withWasmThreadPatches<T>(threads: number, init: () => Promise<T>): Promise<T> {
  const { workerPath } = threadFiles();
  const originalCreate = URL.createObjectURL;
  const originalCpus = os.cpus;
  URL.createObjectURL = (obj: Blob) =>
    obj instanceof Blob && obj.type === "application/javascript" ? workerPath : originalCreate(obj);
  os.cpus = () => {
    const cpus = originalCpus();
    const first = cpus[0];
    while (first && cpus.length < 2 * threads) cpus.push(first);
    return cpus;
  };
  try {
    return await init();
  } finally {
    URL.createObjectURL = originalCreate;
    os.cpus = originalCpus;
  }
}

interface PThreadPool {
  PThread?: { unusedWorkers?: { unref?: () => void }[]; runningWorkers?: { unref?: () => void }[] };
}

/** Lets the process exit while the backend's pthread workers are idle. */
export function unrefWasmWorkers(module: unknown): void {
  const pool = (module as PThreadPool).PThread;
  for (const w of [...(pool?.unusedWorkers ?? []), ...(pool?.runningWorkers ?? [])]) w.unref?.();
}
