// A reader for COCO results files (`[{image_id, category_id, bbox, score}, …]`)
// straight from bytes into the columnar DetectionTable, without building half a
// million JavaScript objects first. On a 500k-detection file it replaces
// JSON.parse + parseDetections (≈1 s and most of the garbage collection of an
// evaluation).
//
// It is only a fast path: whenever the bytes are not the plain shape it knows
// (a surprising value, bad JSON, a failed check), it returns null and the caller
// falls back to JSON.parse + parseDetections, which give the exact error
// messages. Numbers come out bit-identical to JSON.parse: simple decimals use the
// exact fast path (an integer ≤ 2^53 divided or multiplied by a power of ten
// ≤ 10^22 is correctly rounded — the same shortcut V8's own strtod takes), and
// anything else goes through Number() on the token text.

import { describe } from "./ground-truth.js";
import type { DetectionTable, GroundTruth, Id } from "./types.js";
import { EMPTY_BOX_MESSAGE, UNKNOWN_CATEGORY_MESSAGE, WarningCounter } from "./warnings.js";

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
const TWO53 = 2 ** 53;

const KEY_IMAGE = 1;
const KEY_CATEGORY = 2;
const KEY_BBOX = 3;
const KEY_SCORE = 4;
const KEY_OTHER = 0;

class Surprise extends Error {}

function keyOf(b: Uint8Array, s: number, e: number): number {
  const n = e - s;
  // image_id, category_id, bbox, score — compared byte by byte.
  if (n === 8 && b[s] === 105 && match(b, s, "image_id")) return KEY_IMAGE;
  if (n === 11 && b[s] === 99 && match(b, s, "category_id")) return KEY_CATEGORY;
  if (n === 4 && b[s] === 98 && match(b, s, "bbox")) return KEY_BBOX;
  if (n === 5 && b[s] === 115 && match(b, s, "score")) return KEY_SCORE;
  return KEY_OTHER;
}

function match(b: Uint8Array, s: number, word: string): boolean {
  for (let i = 0; i < word.length; i++) if (b[s + i] !== word.charCodeAt(i)) return false;
  return true;
}

/** Parses the detections file bytes, or returns null when the slow path must decide. */
export function readDetectionBytes(
  bytes: Uint8Array,
  gt: GroundTruth,
  source: string,
  emptyBoxMessage?: string,
): DetectionTable | null {
  try {
    return read(bytes, gt, source, emptyBoxMessage);
  } catch (err) {
    if (err instanceof Surprise) return null;
    throw err;
  }
}

/** Byte scanner over one JSON text; `p` is the read position. */
class Scanner {
  p = 0;
  readonly len: number;
  private readonly latin1 = new TextDecoder("latin1");
  constructor(readonly b: Uint8Array) {
    this.len = b.length;
  }

  ws(): void {
    const b = this.b;
    let p = this.p;
    while (p < this.len) {
      const c = b[p]!;
      if (c === 32 || c === 10 || c === 13 || c === 9) p++;
      else break;
    }
    this.p = p;
  }

  /** Consumes one byte, which must be `c`. */
  expect(c: number): void {
    if (this.b[this.p++] !== c) throw new Surprise();
  }

  number(): number {
    const b = this.b;
    let p = this.p;
    const start = p;
    let neg = false;
    if (b[p] === 45) {
      neg = true;
      p++;
    }
    let m = 0;
    let frac = 0;
    let c = b[p];
    if (c === undefined || c < 48 || c > 57) throw new Surprise();
    if (c === 48 && b[p + 1]! >= 48 && b[p + 1]! <= 57) throw new Surprise(); // leading zero: invalid JSON
    while (c !== undefined && c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      c = b[++p];
    }
    if (c === 46) {
      c = b[++p];
      if (c === undefined || c < 48 || c > 57) throw new Surprise();
      while (c !== undefined && c >= 48 && c <= 57) {
        m = m * 10 + (c - 48);
        frac++;
        c = b[++p];
      }
    }
    let exp = 0;
    if (c === 101 || c === 69) {
      c = b[++p];
      let eneg = false;
      if (c === 43 || c === 45) {
        eneg = c === 45;
        c = b[++p];
      }
      if (c === undefined || c < 48 || c > 57) throw new Surprise();
      let e = 0;
      while (c !== undefined && c >= 48 && c <= 57) {
        if (e < 100000) e = e * 10 + (c - 48);
        c = b[++p];
      }
      exp = eneg ? -e : e;
    }
    this.p = p;
    const k = exp - frac;
    // m < 2^53 means every step of m * 10 + digit was exact.
    if (m < TWO53 && k >= -22 && k <= 22) {
      const v = k < 0 ? m / POW10[-k]! : m * POW10[k]!;
      return neg ? -v : v;
    }
    return Number(this.latin1.decode(b.subarray(start, p)));
  }

  /** A number where one is required (a score or a box coordinate). */
  requiredNumber(): number {
    const c = this.b[this.p];
    if (c !== 45 && (c === undefined || c < 48 || c > 57)) throw new Surprise();
    return this.number();
  }

  /** The byte span of a string without escapes (keys, ids); escapes go the slow way. */
  stringSpan(): number {
    const b = this.b;
    if (b[this.p] !== 34) throw new Surprise();
    let p = ++this.p;
    while (p < this.len) {
      const c = b[p]!;
      if (c === 34) {
        const start = this.p;
        this.p = p + 1;
        return start;
      }
      if (c === 92 || c < 32) throw new Surprise();
      p++;
    }
    throw new Surprise();
  }

  key(): number {
    const s = this.stringSpan();
    return keyOf(this.b, s, this.p - 1);
  }

  id(): Id {
    const c = this.b[this.p];
    if (c === 34) {
      const s = this.stringSpan();
      const e = this.p - 1;
      for (let i = s; i < e; i++) if (this.b[i]! >= 128) throw new Surprise(); // non-ASCII ids: slow path
      return this.latin1.decode(this.b.subarray(s, e));
    }
    if (c === 45 || (c !== undefined && c >= 48 && c <= 57)) return this.number();
    throw new Surprise();
  }

  skipValue(depth: number): void {
    if (depth > 64) throw new Surprise();
    this.ws();
    const b = this.b;
    const c = b[this.p];
    if (c === 34) {
      let p = this.p + 1;
      while (p < this.len && b[p] !== 34) {
        if (b[p]! < 32) throw new Surprise();
        p += b[p] === 92 ? 2 : 1;
      }
      if (p >= this.len) throw new Surprise();
      this.p = p + 1;
    } else if (c === 123 || c === 91) {
      const close = c === 123 ? 125 : 93;
      this.p++;
      this.ws();
      if (b[this.p] === close) {
        this.p++;
        return;
      }
      for (;;) {
        if (c === 123) {
          this.ws();
          this.stringSpan();
          this.ws();
          this.expect(58);
        }
        this.skipValue(depth + 1);
        this.ws();
        const d = b[this.p++];
        if (d === close) return;
        if (d !== 44) throw new Surprise();
      }
    } else if (c === 116 && match(b, this.p, "true")) this.p += 4;
    else if (c === 102 && match(b, this.p, "false")) this.p += 5;
    else if (c === 110 && match(b, this.p, "null")) this.p += 4;
    else this.number();
  }
}

function read(b: Uint8Array, gt: GroundTruth, source: string, emptyBoxMessage?: string): DetectionTable {
  const sc = new Scanner(b);
  sc.ws();
  sc.expect(91);
  // Grow-as-you-go columns; the count is unknown until the end.
  let cap = Math.max(1024, Math.ceil(b.length / 64));
  let image = new Int32Array(cap);
  let category = new Int32Array(cap);
  let bbox = new Float64Array(4 * cap);
  let score = new Float64Array(cap);
  let n = 0;
  const warnings = new WarningCounter();
  const { imageIndex, categoryIndex } = gt;
  sc.ws();
  if (b[sc.p] === 93) sc.p++;
  else {
    for (;;) {
      sc.ws();
      sc.expect(123);
      if (n === cap) {
        cap *= 2;
        image = growI(image, cap);
        category = growI(category, cap);
        bbox = growF(bbox, 4 * cap);
        score = growF(score, cap);
      }
      let seen = 0;
      let img: Id | undefined;
      let cat: Id | undefined;
      for (;;) {
        sc.ws();
        const key = sc.key();
        sc.ws();
        sc.expect(58);
        sc.ws();
        if (key === KEY_OTHER) sc.skipValue(0);
        else {
          if (seen & (1 << key)) throw new Surprise(); // a repeated key: JSON.parse keeps the last
          seen |= 1 << key;
          if (key === KEY_IMAGE) img = sc.id();
          else if (key === KEY_CATEGORY) cat = sc.id();
          else if (key === KEY_SCORE) score[n] = sc.requiredNumber() + 0;
          else {
            sc.expect(91);
            for (let j = 0; j < 4; j++) {
              sc.ws();
              bbox[4 * n + j] = sc.requiredNumber();
              sc.ws();
              sc.expect(j < 3 ? 44 : 93);
            }
          }
        }
        sc.ws();
        const d = b[sc.p++];
        if (d === 125) break;
        if (d !== 44) throw new Surprise();
      }
      if (seen !== 0b11110) throw new Surprise();
      const ii = imageIndex.get(img!);
      if (ii === undefined) throw new Surprise();
      image[n] = ii;
      const x = bbox[4 * n]!;
      const y = bbox[4 * n + 1]!;
      const w = bbox[4 * n + 2]!;
      const h = bbox[4 * n + 3]!;
      if (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(w) || !Number.isFinite(h)) {
        throw new Surprise();
      }
      if (!(w >= 0 && h >= 0) || !Number.isFinite(score[n]!)) throw new Surprise();
      const ci = categoryIndex.get(cat!);
      if (ci === undefined) {
        warnings.add("dt-unknown-category", UNKNOWN_CATEGORY_MESSAGE, `[${n}] category_id ${describe(cat)}`);
        category[n] = -1;
      } else category[n] = ci;
      if (w === 0 || h === 0) warnings.add("dt-empty-box", emptyBoxMessage ?? EMPTY_BOX_MESSAGE, `[${n}]`);
      n++;
      sc.ws();
      const d = b[sc.p++];
      if (d === 93) break;
      if (d !== 44) throw new Surprise();
    }
  }
  sc.ws();
  if (sc.p !== b.length) throw new Surprise();
  return {
    source,
    length: n,
    image: image.subarray(0, n),
    category: category.subarray(0, n),
    bbox: bbox.subarray(0, 4 * n),
    score: score.subarray(0, n),
    warnings: warnings.list(),
  };
}

function growI(a: Int32Array, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}

function growF(a: Float64Array, n: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(n);
  b.set(a);
  return b;
}
