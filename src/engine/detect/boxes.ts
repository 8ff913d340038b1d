// Box arithmetic shared by the detectors. Boxes are [x1, y1, x2, y2] in input
// pixels unless a name says otherwise; COCO's [x, y, w, h] appears only at the
// edges (ground truth in, predictions out).

export type Box = [number, number, number, number];

export function xywhToXyxy(b: ArrayLike<number>): Box {
  return [b[0]!, b[1]!, b[0]! + b[2]!, b[1]! + b[3]!];
}

export function xyxyToXywh(b: ArrayLike<number>): Box {
  return [b[0]!, b[1]!, b[2]! - b[0]!, b[3]! - b[1]!];
}

export function area(b: ArrayLike<number>): number {
  return Math.max(0, b[2]! - b[0]!) * Math.max(0, b[3]! - b[1]!);
}

/** Intersection over union of two xyxy boxes (0 when either is empty). */
export function iou(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const iw = Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!);
  const ih = Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = area(a) + area(b) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * The (dx, dy, dw, dh) box parameterisation of Faster R-CNN / SSD / RetinaNet:
 * offsets of the centre in units of the anchor size and log size ratios, each
 * multiplied by a weight. SSD's variances (0.1, 0.2) are weights (10, 10, 5, 5)
 * (METHODS.md §1a); RetinaNet's Box2Box weights are (1, 1, 1, 1) (§2a).
 */
export class BoxCoder {
  constructor(
    readonly weights: [number, number, number, number] = [1, 1, 1, 1],
    /** Clamp on dw, dh before exp, as detectron2 does (log(1000/16)). */
    readonly maxLogRatio = Math.log(1000 / 16),
  ) {}

  static fromVariances(center: number, size: number): BoxCoder {
    return new BoxCoder([1 / center, 1 / center, 1 / size, 1 / size]);
  }

  /** Writes the encoding of `gt` relative to `anchor` into out[o..o+4). */
  encode(anchor: ArrayLike<number>, gt: ArrayLike<number>, out: Float32Array, o: number): void {
    const [wx, wy, ww, wh] = this.weights;
    const aw = anchor[2]! - anchor[0]!;
    const ah = anchor[3]! - anchor[1]!;
    const ax = anchor[0]! + 0.5 * aw;
    const ay = anchor[1]! + 0.5 * ah;
    const gw = Math.max(gt[2]! - gt[0]!, 1e-6);
    const gh = Math.max(gt[3]! - gt[1]!, 1e-6);
    const gx = gt[0]! + 0.5 * gw;
    const gy = gt[1]! + 0.5 * gh;
    out[o] = (wx * (gx - ax)) / aw;
    out[o + 1] = (wy * (gy - ay)) / ah;
    out[o + 2] = ww * Math.log(gw / aw);
    out[o + 3] = wh * Math.log(gh / ah);
  }

  /** Inverse of encode: deltas d[o..o+4) applied to `anchor`, written as xyxy into out[p..p+4). */
  decode(anchor: ArrayLike<number>, d: ArrayLike<number>, o: number, out: Float32Array, p: number): void {
    const [wx, wy, ww, wh] = this.weights;
    const aw = anchor[2]! - anchor[0]!;
    const ah = anchor[3]! - anchor[1]!;
    const ax = anchor[0]! + 0.5 * aw;
    const ay = anchor[1]! + 0.5 * ah;
    const cx = (d[o]! / wx) * aw + ax;
    const cy = (d[o + 1]! / wy) * ah + ay;
    const w = Math.exp(Math.min(d[o + 2]! / ww, this.maxLogRatio)) * aw;
    const h = Math.exp(Math.min(d[o + 3]! / wh, this.maxLogRatio)) * ah;
    out[p] = cx - 0.5 * w;
    out[p + 1] = cy - 0.5 * h;
    out[p + 2] = cx + 0.5 * w;
    out[p + 3] = cy + 0.5 * h;
  }
}
