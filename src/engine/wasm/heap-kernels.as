// Data-movement kernels that run directly on the tfjs wasm backend's heap.
//
// AssemblyScript source, compiled by build-heap-kernels.mjs into
// heap-kernels-binary.ts. The module imports the backend's own
// WebAssembly.Memory, so every pointer below is a byte offset that the
// backend reports for a tensor (dataIdMap.get(dataId).memoryOffset).
//
// Why these exist: tfjs-backend-wasm does its arithmetic in XNNPACK (fast),
// but it has no Conv2DBackpropFilter, a naive Conv2DBackpropInput, and naive
// element-by-element transposes. The gradient kernels in this folder hand all
// multiply-adds to XNNPACK (matmul, conv) and use these SIMD loops for the
// reshuffling between them (im2col, col2im, transposes, column sums).
// All tensors are float32, row-major, NHWC.

// Transposes the 4x4 block a0..a3 (rows) and stores its columns at d0..d3.
@inline
function store4x4T(a0: v128, a1: v128, a2: v128, a3: v128, d0: usize, d1: usize, d2: usize, d3: usize): void {
  const t0 = v128.shuffle<i32>(a0, a1, 0, 4, 1, 5);
  const t1 = v128.shuffle<i32>(a2, a3, 0, 4, 1, 5);
  const t2 = v128.shuffle<i32>(a0, a1, 2, 6, 3, 7);
  const t3 = v128.shuffle<i32>(a2, a3, 2, 6, 3, 7);
  v128.store(d0, v128.shuffle<i64>(t0, t1, 0, 2));
  v128.store(d1, v128.shuffle<i64>(t0, t1, 1, 3));
  v128.store(d2, v128.shuffle<i64>(t2, t3, 0, 2));
  v128.store(d3, v128.shuffle<i64>(t2, t3, 1, 3));
}

/** dst (C x R) = transpose of src (R x C). Blocked 32x32 with 4x4 SIMD tiles. */
export function transpose2d(src: usize, dst: usize, R: i32, C: i32): void {
  const B: i32 = 32;
  const rowBytes = <usize>C << 2;
  const colBytes = <usize>R << 2;
  for (let r0: i32 = 0; r0 < R; r0 += B) {
    const r1 = min(r0 + B, R);
    for (let c0: i32 = 0; c0 < C; c0 += B) {
      const c1 = min(c0 + B, C);
      const c4 = c0 + ((c1 - c0) & ~3);
      let r = r0;
      for (; r + 4 <= r1; r += 4) {
        const s = src + <usize>r * rowBytes;
        for (let c = c0; c < c4; c += 4) {
          const sc = s + (<usize>c << 2);
          const d = dst + <usize>c * colBytes + (<usize>r << 2);
          store4x4T(
            v128.load(sc),
            v128.load(sc + rowBytes),
            v128.load(sc + 2 * rowBytes),
            v128.load(sc + 3 * rowBytes),
            d,
            d + colBytes,
            d + 2 * colBytes,
            d + 3 * colBytes,
          );
        }
        for (let c = c4; c < c1; c++) {
          for (let rr = r; rr < r + 4; rr++) {
            store<f32>(dst + <usize>c * colBytes + (<usize>rr << 2), load<f32>(src + <usize>rr * rowBytes + (<usize>c << 2)));
          }
        }
      }
      for (; r < r1; r++) {
        for (let c = c0; c < c1; c++) {
          store<f32>(dst + <usize>c * colBytes + (<usize>r << 2), load<f32>(src + <usize>r * rowBytes + (<usize>c << 2)));
        }
      }
    }
  }
}

/**
 * Transposed im2col: colT[(kh*KW + kw)*C + c][m] = x[n, oy*sh + kh - pt, ox*sw + kw - pl, c]
 * with m = (n*OH + oy)*OW + ox, and 0 where the window falls in the padding.
 * colT (KH*KW*C x N*OH*OW) times dy (N*OH*OW x Cout) is the filter gradient.
 */
export function im2colT(
  x: usize,
  colT: usize,
  N: i32,
  H: i32,
  W: i32,
  C: i32,
  KH: i32,
  KW: i32,
  sh: i32,
  sw: i32,
  pt: i32,
  pl: i32,
  OH: i32,
  OW: i32,
): void {
  const M = N * OH * OW;
  const mBytes = <usize>M << 2;
  const step = <usize>(sw * C) << 2;
  const C4 = C & ~3;
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      const rowBase = (kh * KW + kw) * C;
      // Output columns whose input column is inside the image: oxLo <= ox < oxHi.
      let oxLo = 0;
      while (oxLo < OW && oxLo * sw + kw - pl < 0) oxLo++;
      let oxHi = OW;
      while (oxHi > oxLo && (oxHi - 1) * sw + kw - pl >= W) oxHi--;
      // Channel blocks outermost: each pass writes 4 output rows front to back
      // (4 write streams), instead of C rows a few floats at a time.
      for (let c = 0; c < C; c += 4) {
        const wide = c < C4;
        const d0 = colT + <usize>(rowBase + c) * mBytes;
        for (let n = 0; n < N; n++) {
          for (let oy = 0; oy < OH; oy++) {
            const m0 = (n * OH + oy) * OW;
            const iy = oy * sh + kh - pt;
            const rows = wide ? 4 : min(4, C - c);
            if (iy < 0 || iy >= H) {
              for (let r = 0; r < rows; r++) memory.fill(d0 + <usize>r * mBytes + (<usize>m0 << 2), 0, <usize>OW << 2);
              continue;
            }
            for (let r = 0; r < rows; r++) {
              const d = d0 + <usize>r * mBytes + (<usize>m0 << 2);
              memory.fill(d, 0, <usize>oxLo << 2);
              memory.fill(d + (<usize>oxHi << 2), 0, <usize>(OW - oxHi) << 2);
            }
            const xrow = x + ((<usize>(n * H + iy) * <usize>W * <usize>C) << 2);
            const dm = d0 + (<usize>m0 << 2);
            if (wide) {
              let ox = oxLo;
              for (; ox + 4 <= oxHi; ox += 4) {
                const s = xrow + (<usize>((ox * sw + kw - pl) * C + c) << 2);
                const o = <usize>ox << 2;
                store4x4T(
                  v128.load(s),
                  v128.load(s + step),
                  v128.load(s + 2 * step),
                  v128.load(s + 3 * step),
                  dm + o,
                  dm + mBytes + o,
                  dm + 2 * mBytes + o,
                  dm + 3 * mBytes + o,
                );
              }
              for (; ox < oxHi; ox++) {
                const s = xrow + (<usize>((ox * sw + kw - pl) * C + c) << 2);
                const o = <usize>ox << 2;
                store<f32>(dm + o, load<f32>(s));
                store<f32>(dm + mBytes + o, load<f32>(s, 4));
                store<f32>(dm + 2 * mBytes + o, load<f32>(s, 8));
                store<f32>(dm + 3 * mBytes + o, load<f32>(s, 12));
              }
            } else {
              for (let r = 0; r < rows; r++) {
                const d = dm + <usize>r * mBytes;
                for (let ox = oxLo; ox < oxHi; ox++) {
                  store<f32>(d + (<usize>ox << 2), load<f32>(xrow + (<usize>((ox * sw + kw - pl) * C + c + r) << 2)));
                }
              }
            }
          }
        }
      }
    }
  }
}

/**
 * col2im: dx[n, iy, ix, c] = sum over (oy, ox, kh, kw) with iy = oy*sh + kh - pt, ix = ox*sw + kw - pl
 * of dcol[m][(kh*KW + kw)*C + c], m = (n*OH + oy)*OW + ox. dcol = dy (M x Cout) times the filter
 * reshaped to (Cout x KH*KW*C), so this is the input gradient of a convolution.
 */
export function col2im(
  dcol: usize,
  dx: usize,
  N: i32,
  H: i32,
  W: i32,
  C: i32,
  KH: i32,
  KW: i32,
  sh: i32,
  sw: i32,
  pt: i32,
  pl: i32,
  OH: i32,
  OW: i32,
): void {
  memory.fill(dx, 0, (<usize>N * <usize>H * <usize>W * <usize>C) << 2);
  const K = KH * KW * C;
  const C4 = C & ~3;
  for (let n = 0; n < N; n++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        const src = dcol + (<usize>(((n * OH + oy) * OW + ox) * K) << 2);
        for (let kh = 0; kh < KH; kh++) {
          const iy = oy * sh + kh - pt;
          if (iy < 0 || iy >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const ix = ox * sw + kw - pl;
            if (ix < 0 || ix >= W) continue;
            const s = src + (<usize>((kh * KW + kw) * C) << 2);
            const d = dx + (<usize>(((n * H + iy) * W + ix) * C) << 2);
            let c = 0;
            for (; c < C4; c += 4) {
              const o = <usize>c << 2;
              v128.store(d + o, f32x4.add(v128.load(d + o), v128.load(s + o)));
            }
            for (; c < C; c++) {
              const o = <usize>c << 2;
              store<f32>(d + o, load<f32>(d + o) + load<f32>(s + o));
            }
          }
        }
      }
    }
  }
}

/**
 * dst[c] = scale * sum over r of src[r*C + c] (a reduction over all leading axes). Reads src once,
 * row by row; rows are summed in blocks into tmp (C floats of scratch) and the block sums into dst,
 * so rounding error grows with the number of blocks rather than with R.
 */
export function colSum(src: usize, dst: usize, tmp: usize, R: i32, C: i32, scale: f32): void {
  const bytes = <usize>C << 2;
  const C4 = C & ~3;
  memory.fill(dst, 0, bytes);
  const BLOCK: i32 = 128;
  for (let r0 = 0; r0 < R; r0 += BLOCK) {
    const r1 = min(r0 + BLOCK, R);
    memory.fill(tmp, 0, bytes);
    for (let r = r0; r < r1; r++) {
      const s = src + <usize>r * bytes;
      let c = 0;
      for (; c < C4; c += 4) {
        const o = <usize>c << 2;
        v128.store(tmp + o, f32x4.add(v128.load(tmp + o), v128.load(s + o)));
      }
      for (; c < C; c++) {
        const o = <usize>c << 2;
        store<f32>(tmp + o, load<f32>(tmp + o) + load<f32>(s + o));
      }
    }
    for (let c = 0; c < C; c++) {
      const o = <usize>c << 2;
      store<f32>(dst + o, load<f32>(dst + o) + load<f32>(tmp + o));
    }
  }
  for (let c = 0; c < C; c++) {
    const o = <usize>c << 2;
    store<f32>(dst + o, load<f32>(dst + o) * scale);
  }
}
