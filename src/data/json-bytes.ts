import { UserError } from "../util/errors.js";

// A validating, allocation-light JSON scanner over the bytes of a file. COCO
// and LVIS annotation files are mostly segmentation polygons that a detector
// never reads; JSON.parse of a 450 MB file builds a multi-GB object graph for
// them. This scanner walks the bytes once, checks the JSON grammar on the way,
// decodes only the fields a caller asks for, and remembers where each record
// starts and ends so writers can copy records byte-for-byte.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const MINUS = 0x2d;
const DOT = 0x2e;

const IS_WS = new Uint8Array(256);
IS_WS[0x20] = 1;
IS_WS[0x09] = 1;
IS_WS[0x0a] = 1;
IS_WS[0x0d] = 1;

/** Powers of ten that are exact doubles (10^0 … 10^22). */
const EXACT_POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/** A record label, built only when an error is reported (building it per record is measurable). */
export type Label = string | (() => string);

function labelText(label: Label): string {
  return typeof label === "string" ? label : label();
}

export class JsonBytes {
  /** Interned object keys by hash slot, so a file's millions of repeated keys are not decoded one by one. */
  private readonly keyCache: (string | undefined)[] = new Array(1024).fill(undefined);
  /** The value read by the last readNumber/numberAt (returned through a field: no tuple per number). */
  number = 0;
  /** The value read by the last stringAt. */
  string = "";
  /** The record being walked, named in errors that arise inside it (e.g. in a skipped polygon). */
  private context: Label | null = null;

  constructor(
    readonly buf: Buffer,
    /** Shown in every error message. */
    readonly file: string,
  ) {}

  /** Throws a UserError that names the file, line and column of byte `pos`. */
  fail(pos: number, what: string): never {
    let line = 1;
    let lineStart = 0;
    const end = Math.min(pos, this.buf.length);
    for (let i = 0; i < end; i++) {
      if (this.buf[i] === 0x0a) {
        line++;
        lineStart = i + 1;
      }
    }
    const context = this.context === null ? "" : labelText(this.context);
    const prefix = context && !what.startsWith(context) ? `${context}: ` : "";
    throw new UserError(`${this.file}:${line}:${pos - lineStart + 1}: ${prefix}${what}`);
  }

  describe(pos: number): string {
    if (pos >= this.buf.length) return "end of file";
    const c = this.buf[pos] as number;
    return c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16)}`;
  }

  ws(pos: number): number {
    const buf = this.buf;
    while (IS_WS[buf[pos] as number] === 1) pos++;
    return pos;
  }

  expect(pos: number, byte: number, what: string): number {
    if (this.buf[pos] !== byte) this.fail(pos, `expected ${what}, found ${this.describe(pos)}`);
    return pos + 1;
  }

  /** Position after the string that starts (with its quote) at pos. */
  skipString(pos: number): number {
    const buf = this.buf;
    if (buf[pos] !== QUOTE) this.fail(pos, `expected a string, found ${this.describe(pos)}`);
    let p = pos + 1;
    const n = buf.length;
    for (;;) {
      if (p >= n) this.fail(pos, "unterminated string");
      const c = buf[p] as number;
      if (c === QUOTE) return p + 1;
      if (c === BACKSLASH) p += 2;
      else if (c < 0x20) this.fail(p, "control character inside a string");
      else p++;
    }
  }

  /** Decodes the string that starts at pos (quote included) and ends at `end`. */
  readString(pos: number, end = this.skipString(pos)): string {
    const buf = this.buf;
    for (let p = pos + 1; p < end - 1; p++) {
      const c = buf[p] as number;
      if (c === BACKSLASH || c >= 0x80) {
        try {
          return JSON.parse(buf.toString("utf8", pos, end)) as string;
        } catch {
          return this.fail(pos, "invalid escape sequence in a string");
        }
      }
    }
    return buf.toString("latin1", pos + 1, end - 1);
  }

  /** Decodes an object key, interning short ASCII keys. */
  private readKey(pos: number, end: number): string {
    const len = end - pos - 2;
    if (len > 40) return this.readString(pos, end);
    const buf = this.buf;
    let h = len;
    for (let p = pos + 1; p < end - 1; p++) {
      const c = buf[p] as number;
      if (c === BACKSLASH || c >= 0x80) return this.readString(pos, end);
      h = Math.imul(h ^ c, 16777619);
    }
    const slot = h & 1023;
    const cached = this.keyCache[slot];
    if (cached !== undefined && cached.length === len) {
      let same = true;
      for (let k = 0; k < len; k++) {
        if (cached.charCodeAt(k) !== buf[pos + 1 + k]) {
          same = false;
          break;
        }
      }
      if (same) return cached;
    }
    const key = buf.toString("latin1", pos + 1, end - 1);
    this.keyCache[slot] = key;
    return key;
  }

  /** Position after the number at pos; checks the JSON number grammar byte by byte (no allocation). */
  skipNumber(pos: number): number {
    const buf = this.buf;
    let p = pos;
    if (buf[p] === MINUS) p++;
    const intStart = p;
    let c = buf[p] as number;
    while (c >= 0x30 && c <= 0x39) c = buf[++p] as number;
    if (p === intStart) this.fail(pos, "malformed number: no digits");
    if (c === DOT) {
      const fracStart = ++p;
      c = buf[p] as number;
      while (c >= 0x30 && c <= 0x39) c = buf[++p] as number;
      if (p === fracStart) this.fail(pos, "malformed number: no digits after '.'");
    }
    if (c === 0x65 || c === 0x45) {
      c = buf[++p] as number;
      if (c === 0x2b || c === MINUS) c = buf[++p] as number;
      const expStart = p;
      while (c >= 0x30 && c <= 0x39) c = buf[++p] as number;
      if (p === expStart) this.fail(pos, "malformed number: no digits in the exponent");
    }
    return p;
  }

  /**
   * Reads the number at pos; returns [value, end]. Decimals with at most 15
   * significant digits and no exponent are computed as mantissa / 10^k, which
   * is correctly rounded (both operands are exact doubles), so the value is
   * the same as Number(text); anything else goes through Number(text).
   */
  readNumber(pos: number): number {
    const buf = this.buf;
    const end = this.skipNumber(pos);
    let p = pos;
    const negative = buf[p] === MINUS;
    if (negative) p++;
    let mantissa = 0;
    let digits = 0;
    let scale = 0;
    let fast = true;
    for (; p < end; p++) {
      const c = buf[p] as number;
      if (c === DOT) {
        scale = end - p - 1;
        continue;
      }
      if (c < 0x30 || c > 0x39) {
        fast = false;
        break;
      }
      mantissa = mantissa * 10 + (c - 0x30);
      if (mantissa !== 0) digits++;
    }
    if (!fast || digits > 15 || scale > 22) {
      this.number = Number(buf.toString("latin1", pos, end));
      return end;
    }
    const value = scale ? mantissa / (EXACT_POW10[scale] as number) : mantissa;
    this.number = negative ? -value : value;
    return end;
  }

  /** Position after the JSON value that starts at pos. Validates its grammar. */
  skipValue(pos: number): number {
    const buf = this.buf;
    const c = buf[pos] as number;
    if ((c >= 0x30 && c <= 0x39) || c === MINUS) return this.skipNumber(pos);
    switch (c) {
      case QUOTE:
        return this.skipString(pos);
      case LBRACKET: {
        let p = this.ws(pos + 1);
        if (buf[p] === RBRACKET) return p + 1;
        for (;;) {
          const d = buf[p] as number;
          // Polygons are long runs of numbers: take them without the generic dispatch.
          p = (d >= 0x30 && d <= 0x39) || d === MINUS ? this.skipNumber(p) : this.skipValue(p);
          while (IS_WS[buf[p] as number] === 1) p++;
          const e = buf[p];
          if (e === COMMA) {
            p++;
            while (IS_WS[buf[p] as number] === 1) p++;
          } else if (e === RBRACKET) return p + 1;
          else this.fail(p, `expected ',' or ']' in an array, found ${this.describe(p)}`);
        }
      }
      case LBRACE: {
        let p = this.ws(pos + 1);
        if (buf[p] === RBRACE) return p + 1;
        for (;;) {
          p = this.skipString(p);
          p = this.ws(this.expect(this.ws(p), COLON, "':' after an object key"));
          p = this.ws(this.skipValue(p));
          if (buf[p] === COMMA) p = this.ws(p + 1);
          else if (buf[p] === RBRACE) return p + 1;
          else this.fail(p, `expected ',' or '}' in an object, found ${this.describe(p)}`);
        }
      }
      case 0x74: // true
        return this.literal(pos, "true");
      case 0x66: // false
        return this.literal(pos, "false");
      case 0x6e: // null
        return this.literal(pos, "null");
      default:
        return this.fail(pos, `expected a JSON value, found ${this.describe(pos)}`);
    }
  }

  private literal(pos: number, word: string): number {
    if (this.buf.toString("latin1", pos, pos + word.length) !== word) {
      this.fail(pos, `expected a JSON value, found ${this.describe(pos)}`);
    }
    return pos + word.length;
  }

  /**
   * Walks the members of the object at pos. `onMember(key, valueStart)` must
   * return the position after the value (e.g. by calling skipValue). Returns
   * the position after the closing brace.
   */
  forEachMember(
    pos: number,
    what: Label,
    onMember: (key: string, valueStart: number) => number,
    isRecord = true,
  ): number {
    const buf = this.buf;
    if (buf[pos] !== LBRACE)
      this.fail(pos, `${labelText(what)}: expected an object, found ${this.describe(pos)}`);
    let p = this.ws(pos + 1);
    if (buf[p] === RBRACE) return p + 1;
    const outer = this.context;
    if (isRecord) this.context = what;
    for (;;) {
      const keyEnd = this.skipString(p);
      const key = this.readKey(p, keyEnd);
      p = this.ws(this.expect(this.ws(keyEnd), COLON, "':' after an object key"));
      p = this.ws(onMember(key, p));
      if (buf[p] === COMMA) p = this.ws(p + 1);
      else if (buf[p] === RBRACE) {
        this.context = outer;
        return p + 1;
      } else this.fail(p, `${labelText(what)}: expected ',' or '}', found ${this.describe(p)}`);
    }
  }

  /** Walks the elements of the array at pos; `onElement(index, start)` returns the element's end. */
  forEachElement(pos: number, what: Label, onElement: (index: number, start: number) => number): number {
    const buf = this.buf;
    if (buf[pos] !== LBRACKET)
      this.fail(pos, `${labelText(what)}: expected an array, found ${this.describe(pos)}`);
    let p = this.ws(pos + 1);
    if (buf[p] === RBRACKET) return p + 1;
    for (let i = 0; ; i++) {
      p = this.ws(onElement(i, p));
      if (buf[p] === COMMA) p = this.ws(p + 1);
      else if (buf[p] === RBRACKET) return p + 1;
      else
        this.fail(p, `${labelText(what)}: expected ',' or ']' after element ${i}, found ${this.describe(p)}`);
    }
  }

  /** Reads a number into `this.number` (returns its end), or fails naming the record and field. */
  numberAt(pos: number, what: Label, field: string): number {
    const c = this.buf[pos] as number;
    if (c !== MINUS && !(c >= 0x30 && c <= 0x39)) {
      this.fail(pos, `${labelText(what)}: "${field}" must be a number, found ${this.describe(pos)}`);
    }
    const end = this.readNumber(pos);
    // JSON has no infinity, but 1e999 parses as one: the evaluator refuses it, so the data stage must too.
    if (!Number.isFinite(this.number)) {
      const text = this.buf.toString("latin1", pos, Math.min(end, pos + 40));
      this.fail(
        pos,
        `${labelText(what)}: "${field}" must be a finite number, got ${text} (beyond a double's range)`,
      );
    }
    return end;
  }

  /** Reads an array of numbers (a bbox, a category id list) into `out`; returns the end. */
  numbersAt(pos: number, what: Label, field: string, out: number[]): number {
    const buf = this.buf;
    if (buf[pos] !== LBRACKET) {
      this.fail(
        pos,
        `${labelText(what)}: "${field}" must be an array of numbers, found ${this.describe(pos)}`,
      );
    }
    let p = this.ws(pos + 1);
    if (buf[p] === RBRACKET) return p + 1;
    for (;;) {
      p = this.ws(this.numberAt(p, what, `${field}[]`));
      out.push(this.number);
      if (buf[p] === COMMA) p = this.ws(p + 1);
      else if (buf[p] === RBRACKET) return p + 1;
      else this.fail(p, `${labelText(what)}: "${field}": expected ',' or ']', found ${this.describe(p)}`);
    }
  }

  /** Reads a string into `this.string` (returns its end), or fails naming the record and field. */
  stringAt(pos: number, what: Label, field: string): number {
    if (this.buf[pos] !== QUOTE) {
      this.fail(pos, `${labelText(what)}: "${field}" must be a string, found ${this.describe(pos)}`);
    }
    const end = this.skipString(pos);
    this.string = this.readString(pos, end);
    return end;
  }
}
