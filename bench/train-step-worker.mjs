// One configuration of bench/train-step.mjs, in its own process (the wasm
// backend can be initialised once per process, with a fixed thread count).
// Prints one JSON line: {model, backend, threads, kernels, msPerStep: [...],
// hostMsPerStep: [...], dispatchesPerStep, adapter}. hostMsPerStep is the time
// until the step's ops are issued (before the loss is read back): on a GPU
// backend that is the per-op dispatch cost (tfjs + Dawn encoding), which a
// faster GPU does not reduce; dispatchesPerStep counts webgpu compute passes.
//
//   node bench/train-step-worker.mjs '{"model":"net5","backend":"wasm","threads":1,"steps":10,"warmup":3}'

import { selectBackend } from "../dist/engine/backend.js";
import { xywhToXyxy } from "../dist/engine/detect/boxes.js";
import { createModel } from "../dist/engine/models.js";
import { conv2d } from "../dist/engine/nn/conv.js";
import { ParamStore } from "../dist/engine/nn/params.js";
import { Rng } from "../dist/engine/nn/rng.js";
import { tf } from "../dist/engine/tf.js";
import { Optimizer } from "../dist/engine/train/optimizer.js";
import { restoreStockWasmKernels } from "../dist/engine/wasm/register.js";

const cfg = JSON.parse(process.argv[2]);

/** The bench's plain conv net; bench/train-step.py builds the same layers from this description. */
export const NET5 = {
  input: [32, 64, 64, 3],
  convs: [
    { cin: 3, cout: 16, k: 3, stride: 1 },
    { cin: 16, cout: 32, k: 3, stride: 2 },
    { cin: 32, cout: 64, k: 3, stride: 2 },
    { cin: 64, cout: 64, k: 3, stride: 2 },
    { cin: 64, cout: 128, k: 3, stride: 2 },
  ],
  classes: 10,
};

function net5Step(rng) {
  const arch = cfg.arch ?? NET5;
  const params = new ParamStore(rng);
  const convs = arch.convs.map((c, i) => ({
    w: params.convKernel(`c${i}.w`, c.k, c.k, c.cin, c.cout),
    b: params.constant(`c${i}.b`, [c.cout], 0),
    stride: c.stride,
  }));
  const last = arch.convs[arch.convs.length - 1].cout;
  const wd = params.dense("fc.w", last, arch.classes);
  const bd = params.constant("fc.b", [arch.classes], 0);
  const [n, h, w, c] = arch.input;
  const xs = new Float32Array(n * h * w * c);
  for (let i = 0; i < xs.length; i++) xs[i] = rng.normal();
  const x = tf.tensor(xs, arch.input);
  const labels = tf.oneHot(
    tf.tensor(
      Array.from({ length: n }, () => rng.int(arch.classes)),
      [n],
      "int32",
    ),
    arch.classes,
  );
  const opt = tf.train.momentum(0.01, 0.9);
  const plain = cfg.plainOps === true;
  const loss = () => {
    let hid = x;
    convs.forEach((l, i) => {
      hid = plain
        ? tf.relu(tf.add(tf.conv2d(hid, l.w, l.stride, "same"), l.b))
        : conv2d(hid, l.w, l.b, { stride: l.stride, activation: "relu", inputGrad: i > 0 });
    });
    const pooled = tf.mean(hid, [1, 2]);
    return tf.losses.softmaxCrossEntropy(labels, tf.add(tf.matMul(pooled, wd), bd));
  };
  return () => opt.minimize(loss, true, params.trainable());
}

/**
 * Stock tfjs-backend-wasm has no Conv2DBackpropFilter, so training cannot run
 * at all. The "stock" configuration composes it from stock wasm kernels the
 * way a tfjs user could (dW as a dilated convolution of transposed x and dy:
 * three naive transposes and an XNNPACK conv); the cpu backend's kernel would
 * take about a minute per call on this net.
 */
function registerComposedFilterGradient() {
  const transpose = tf.getKernel("Transpose", "wasm").kernelFunc;
  const conv = tf.getKernel("Conv2D", "wasm").kernelFunc;
  tf.registerKernel({
    kernelName: "Conv2DBackpropFilter",
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs;
      const info = tf.backend_util.computeConv2DInfo(
        x.shape,
        attrs.filterShape,
        attrs.strides,
        1,
        attrs.pad,
        attrs.dimRoundingMode,
      );
      const xT = transpose({ inputs: { x }, backend, attrs: { perm: [3, 1, 2, 0] } });
      const dyT = transpose({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } });
      const { top, bottom, left, right } = info.padInfo;
      const r = conv({
        inputs: { x: xT, filter: dyT },
        backend,
        attrs: {
          strides: [1, 1],
          pad: [
            [0, 0],
            [top, bottom],
            [left, right],
            [0, 0],
          ],
          dataFormat: "NHWC",
          dilations: [info.strideHeight, info.strideWidth],
        },
      });
      const kh = info.filterHeight;
      const kw = info.filterWidth;
      // Valid padding with leftover rows makes the result larger than the kernel; the extra rows are not gradients.
      const cropped =
        r.shape[1] === kh && r.shape[2] === kw
          ? r
          : tf.getKernel("Slice", "wasm").kernelFunc({
              inputs: { x: r },
              backend,
              attrs: { begin: [0, 0, 0, 0], size: [r.shape[0], kh, kw, r.shape[3]] },
            });
      const out = transpose({ inputs: { x: cropped }, backend, attrs: { perm: [1, 2, 0, 3] } });
      for (const t of new Set([xT, dyT, r, cropped])) backend.disposeData(t.dataId);
      return out;
    },
  });
}

/**
 * A detector's training step as the engine's loop runs it, minus data loading
 * and augmentation: anchor targets for the batch (JS), forward, loss, backward,
 * SGD update. Images are noise with 1–3 random boxes each.
 */
function detectorStep(rng) {
  const d = cfg.detector;
  const { model: det } = createModel(
    { arch: cfg.model, width: d.width, levels: d.levels },
    d.classes,
    d.size,
  );
  const params = det.createParams(rng);
  const n = d.batch;
  const px = new Float32Array(n * d.size * d.size * 3);
  for (let i = 0; i < px.length; i++) px[i] = rng.next();
  const images = tf.tensor4d(px, [n, d.size, d.size, 3]);
  const targets = Array.from({ length: n }, () => {
    const k = 1 + rng.int(3);
    const boxes = [];
    const classes = [];
    for (let j = 0; j < k; j++) {
      const w = rng.uniform(0.1, 0.8) * d.size;
      const h = rng.uniform(0.1, 0.8) * d.size;
      boxes.push(xywhToXyxy([rng.uniform(0, d.size - w), rng.uniform(0, d.size - h), w, h]));
      classes.push(rng.int(d.classes));
    }
    return { boxes, classes };
  });
  const opt = new Optimizer({ kind: "sgd", momentum: 0.9, weightDecay: 5e-4 }, params);
  const names = new Map(params.trainableNames().map((k) => [params.get(k).name, k]));
  return () => {
    const at = det.assignTargets(targets);
    const { value, grads } = tf.variableGrads(
      () => tf.addN(Object.values(det.loss(det.forward(params, images), at))),
      params.trainable(),
    );
    const byName = new Map(Object.entries(grads).map(([k, g]) => [names.get(k), g]));
    opt.apply(byName, 0.01);
    tf.dispose(Object.values(grads));
    return value;
  };
}

async function main() {
  const chosen = await selectBackend(cfg.backend, { threads: cfg.threads ?? 1 });
  if (cfg.kernels === "stock") {
    restoreStockWasmKernels();
    registerComposedFilterGradient();
  }
  let dispatches = 0;
  if (chosen.name === "webgpu") {
    // Every compute pass tfjs-backend-webgpu encodes goes through runWebGPUProgram.
    const backend = tf.backend();
    const run = backend.runWebGPUProgram.bind(backend);
    backend.runWebGPUProgram = (...args) => {
      dispatches++;
      return run(...args);
    };
  }
  const rng = new Rng(cfg.seed ?? 1);
  const issue = cfg.model === "net5" ? net5Step(rng) : detectorStep(rng);
  const step = async () => {
    const t0 = performance.now();
    const l = issue();
    const t1 = performance.now();
    const v = (await l.data())[0];
    l.dispose();
    return { v, host: t1 - t0 };
  };
  for (let i = 0; i < (cfg.warmup ?? 3); i++) await step();
  const ms = [];
  const host = [];
  let lossValue = 0;
  const d0 = dispatches;
  for (let i = 0; i < (cfg.steps ?? 10); i++) {
    const t0 = performance.now();
    const r = await step();
    ms.push(performance.now() - t0);
    host.push(r.host);
    lossValue = r.v;
  }
  const dispatchesPerStep = (dispatches - d0) / (cfg.steps ?? 10);
  let profile;
  if (cfg.profile) {
    const p = await tf.profile(async () => {
      const l = issue();
      await l.data();
      l.dispose();
    });
    const agg = {};
    for (const k of p.kernels) {
      agg[k.name] = agg[k.name] ?? { ms: 0, calls: 0 };
      agg[k.name].ms += k.kernelTimeMs;
      agg[k.name].calls++;
    }
    profile = Object.entries(agg)
      .sort((a, b) => b[1].ms - a[1].ms)
      .slice(0, 15)
      .map(([name, v]) => ({ name, ms: Number(v.ms.toFixed(2)), calls: v.calls }));
  }
  process.stdout.write(
    `${JSON.stringify({ model: cfg.model, backend: chosen.name, threads: chosen.threads, kernels: cfg.kernels ?? "fast", adapter: chosen.adapter?.description ?? null, loss: lossValue, msPerStep: ms, hostMsPerStep: host, dispatchesPerStep, profile, tensors: tf.memory().numTensors })}\n`,
  );
}

await main();
