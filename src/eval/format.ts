// Text formatting that matches Python's str.format, so summaries read exactly
// like the reference tools' printouts.

/**
 * Python's "{:.Nf}" (round half to even on the exact binary value). JavaScript's
 * toFixed rounds exact ties up instead: 0.0625 → "0.063" where Python prints
 * "0.062". Exact ties at N decimals are the odd multiples of 2^-(N+1).
 */
export function pyFixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return x > 0 ? "inf" : x < 0 ? "-inf" : "nan";
  const half = x * 2 ** (digits + 1);
  if (Number.isInteger(half) && Math.abs(half) < 2 ** 52 && Math.abs(half % 2) === 1) {
    const scaled = (x * 10 ** digits).toFixed(1); // exact: an integer plus one half
    const floor = Math.floor(Math.abs(Number(scaled)));
    const n = floor % 2 === 0 ? floor : floor + 1;
    const s = (n / 10 ** digits).toFixed(digits);
    return x < 0 ? `-${s}` : s;
  }
  return x.toFixed(digits);
}

export function padLeft(s: string, width: number): string {
  return s.length >= width ? s : " ".repeat(width - s.length) + s;
}

export function padRight(s: string, width: number): string {
  return s.length >= width ? s : s + " ".repeat(width - s.length);
}

/** A metric for a text summary: pycocotools prints undefined values as -1.000. */
export function metricText(v: number | null, digits = 3): string {
  return pyFixed(v ?? -1, digits);
}
