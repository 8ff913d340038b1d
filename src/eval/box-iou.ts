// Box overlap, written with the same floating-point operations in the same
// order as the reference tools, so that a detection sitting exactly on an IoU
// threshold is decided the same way.

/**
 * IoU of detections × ground truths, as pycocotools' bbIou (common/maskApi.c):
 * boxes are [x, y, w, h]; for a crowd ground truth the union is the detection's
 * own area (a crowd region may hold many objects). Detections are the boxes
 * dtFirst … dtFirst + numDt - 1 of dtBox; writes out[d * G + g].
 */
export function cocoIou(
  dtBox: Float64Array,
  dtFirst: number,
  numDt: number,
  gtBox: Float64Array,
  gtRows: ArrayLike<number>,
  numGt: number,
  gtCrowd: Uint8Array | null,
  out: Float64Array,
): void {
  for (let g = 0; g < numGt; g++) {
    const gi = 4 * gtRows[g]!;
    const gx = gtBox[gi]!;
    const gy = gtBox[gi + 1]!;
    const gw = gtBox[gi + 2]!;
    const gh = gtBox[gi + 3]!;
    const ga = gw * gh;
    const crowd = gtCrowd !== null && gtCrowd[gtRows[g]!] === 1;
    for (let d = 0; d < numDt; d++) {
      const di = 4 * (dtFirst + d);
      const dx = dtBox[di]!;
      const dy = dtBox[di + 1]!;
      const dw = dtBox[di + 2]!;
      const dh = dtBox[di + 3]!;
      const da = dw * dh;
      const o = d * numGt + g;
      out[o] = 0;
      // fmin(D[2]+D[0], G[2]+G[0]) - fmax(D[0], G[0])
      const w = Math.min(dw + dx, gw + gx) - Math.max(dx, gx);
      if (w <= 0) continue;
      const h = Math.min(dh + dy, gh + gy) - Math.max(dy, gy);
      if (h <= 0) continue;
      const i = w * h;
      const u = crowd ? da : da + ga - i;
      out[o] = i / u;
    }
  }
}

/**
 * IoU of one detection against ground truths as the PASCAL VOC devkit's Python
 * port (py-faster-rcnn / detectron2 voc_eval) computes it: corners in the
 * devkit's 1-based inclusive pixel convention, hence the "+1" in every width.
 * A [x, y, w, h] box maps to xmin = x + 1, ymin = y + 1, xmax = x + w,
 * ymax = y + h — the inverse of detectron2's VOC loader — which makes the
 * "+1" IoU equal to the plain continuous IoU of the [x, y, w, h] boxes.
 * plusOne false: ssd.pytorch's eval.py, the same formula without the +1.
 */
export function vocOverlap(
  bb: Float64Array,
  gt: Float64Array,
  first: number,
  count: number,
  out: Float64Array,
  plusOne = true,
): void {
  const one = plusOne ? 1 : 0;
  const bx1 = bb[0]!;
  const by1 = bb[1]!;
  const bx2 = bb[2]!;
  const by2 = bb[3]!;
  const bArea = (bx2 - bx1 + one) * (by2 - by1 + one);
  for (let j = 0; j < count; j++) {
    const o = 4 * (first + j);
    const gx1 = gt[o]!;
    const gy1 = gt[o + 1]!;
    const gx2 = gt[o + 2]!;
    const gy2 = gt[o + 3]!;
    // np.maximum / np.minimum with the ground truth as first argument.
    const ixmin = Math.max(gx1, bx1);
    const iymin = Math.max(gy1, by1);
    const ixmax = Math.min(gx2, bx2);
    const iymax = Math.min(gy2, by2);
    const iw = Math.max(ixmax - ixmin + one, 0);
    const ih = Math.max(iymax - iymin + one, 0);
    const inters = iw * ih;
    const uni = bArea + (gx2 - gx1 + one) * (gy2 - gy1 + one) - inters;
    out[j] = inters / uni;
  }
}
