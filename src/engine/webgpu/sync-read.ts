// Synchronous tensor reads (dataSync, arraySync) on the webgpu backend in Node.
//
// tfjs-backend-webgpu reads synchronously through OffscreenCanvas, which only
// browsers have; in Node its readSync throws. The engine reads synchronously
// in places (the SSD loss's hard-negative mining inside the gradient tape,
// decoding, checkpoints), so the same model code could not run there.
//
// Dawn node resolves buffer maps when its device processes events, and it
// schedules that processing with the global setImmediate
// (dawn/node/binding/AsyncRunner.cpp: QueueTick/ScheduleProcessEvents call
// `setImmediate(fn)` with a native fn that ticks the device; measured with
// webgpu 0.6.2: the global is looked up at every tick). So a read can be made
// synchronous: setImmediate becomes a wrapper that schedules every callback as
// usual and also remembers Dawn's (a native function with no name and no
// parameters, what Napi::Function::New makes); a synchronous read copies the
// tensor's buffer into a staging buffer, asks for the map, and runs the
// remembered callbacks itself until the buffer reports mapState 'mapped',
// sleeping a few microseconds between polls (on a software Vulkan the GPU
// work runs on CPU threads that need the core). Each callback runs at most
// once, either here or later from the real event loop. activate (start.ts)
// checks the whole mechanism once with a tiny read, so a dawn.node that works
// differently fails at start with a clear error, not with a hang mid-run.
//
// Reads still stall the GPU pipeline; the training loop reads asynchronously
// where it can (train/loop.ts).

const kInstalled = Symbol.for("labelsweep.webgpuSyncRead");

interface Pending {
  done: boolean;
  run(): void;
}

const pending = new Set<Pending>();

/** A function dawn.node made with Napi::Function::New: native, no name, no declared parameters. */
function isDawnCallback(fn: unknown): fn is () => void {
  if (typeof fn !== "function") return false;
  const f = fn as (...a: unknown[]) => unknown;
  return (
    f.length === 0 && f.name === "" && /\{\s*\[native code\]\s*\}$/.test(Function.prototype.toString.call(f))
  );
}

/** Wraps the global setImmediate (once) so Dawn's event ticks can also be run in place. */
export function captureDawnTicks(): void {
  const g = globalThis as unknown as Record<symbol, boolean> & { setImmediate: typeof setImmediate };
  if (g[kInstalled]) return;
  g[kInstalled] = true;
  const real = g.setImmediate;
  g.setImmediate = ((fn: unknown, ...args: unknown[]) => {
    if (!isDawnCallback(fn)) return (real as (...a: unknown[]) => NodeJS.Immediate)(fn, ...args);
    const entry: Pending = {
      done: false,
      run() {
        if (this.done) return;
        this.done = true;
        pending.delete(this);
        fn();
      },
    };
    pending.add(entry);
    return real(() => entry.run());
  }) as typeof setImmediate;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** How long a synchronous read may take before it fails (a whole queued training step on a slow adapter fits). */
let timeoutMs = 300_000;

/** Runs `read` (a tiny synchronous read) with a short timeout: proves the mechanism at start. */
export function checkSyncRead(read: () => void, limitMs = 30_000): void {
  const saved = timeoutMs;
  timeoutMs = limitMs;
  try {
    read();
  } finally {
    timeoutMs = saved;
  }
}

interface MappableBuffer {
  mapState: string;
  size: number;
  mapAsync(mode: number): Promise<void>;
  getMappedRange(): ArrayBuffer;
  unmap(): void;
}

/** Blocks until `buffer` is mapped, running Dawn's event processing in place. */
function waitMapped(buffer: MappableBuffer): void {
  const t0 = performance.now();
  let polls = 0;
  while (buffer.mapState !== "mapped") {
    for (const e of [...pending]) e.run();
    if (buffer.mapState === "mapped") break;
    if (performance.now() - t0 > timeoutMs) {
      throw new Error(
        `webgpu: a synchronous read did not complete in ${timeoutMs / 1000} s ` +
          `(Dawn's event processing was not reachable: ${pending.size} pending); use await tensor.data()`,
      );
    }
    // Short sleeps first (small reads finish in microseconds), then 0.2 ms.
    Atomics.wait(sleeper, 0, 0, polls++ < 50 ? 0.01 : 0.2);
  }
}

interface TensorData {
  values: unknown;
  dtype: string;
  resource: MappableBuffer;
}

interface WebGPUBackendLike {
  tensorMap: { get(id: object): TensorData };
  bufferManager: {
    acquireBuffer(size: number, usage: number): MappableBuffer;
    releaseBuffer(b: MappableBuffer): void;
  };
  commandEncoder: { copyBufferToBuffer(a: unknown, ao: number, b: unknown, bo: number, n: number): void };
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  convertAndCacheOnCPU(id: object, values: unknown): unknown;
}

/**
 * Replaces WebGPUBackend.prototype.readSync with a staging-buffer read that
 * works in Node (same steps as the backend's own async read, getBufferData).
 */
export function installSyncRead(
  backendClass: { prototype: object },
  convert: (data: ArrayBuffer, dtype: string) => unknown,
  globals: { GPUBufferUsage: Record<string, number>; GPUMapMode: Record<string, number> },
): void {
  captureDawnTicks();
  const proto = backendClass.prototype as Record<string | symbol, unknown>;
  if (proto[kInstalled]) return;
  proto[kInstalled] = true;
  const usage = globals.GPUBufferUsage.COPY_DST! | globals.GPUBufferUsage.MAP_READ!;
  const read = globals.GPUMapMode.READ!;
  proto.readSync = function readSync(this: WebGPUBackendLike, dataId: object) {
    const data = this.tensorMap.get(dataId);
    if (data.values != null || data.dtype === "string") return data.values;
    if (data.dtype === "complex64")
      throw new Error("webgpu: synchronous reads of complex64 are not supported");
    const source = data.resource;
    const staging = this.bufferManager.acquireBuffer(source.size, usage);
    this.ensureCommandEncoderReady();
    this.endComputePassEncoder();
    this.commandEncoder.copyBufferToBuffer(source, 0, staging, 0, source.size);
    this.submitQueue();
    // The promise settles too; its rejection (a lost device) surfaces through mapState never becoming 'mapped'.
    staging.mapAsync(read).catch(() => {});
    waitMapped(staging);
    const bytes = staging.getMappedRange().slice(0);
    staging.unmap();
    this.bufferManager.releaseBuffer(staging);
    return this.convertAndCacheOnCPU(dataId, convert(bytes, data.dtype));
  };
}
