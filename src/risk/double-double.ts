/**
 * Double-double arithmetic (a value is hi + lo, |lo| ≤ ulp(hi)/2): about 32 significant digits
 * from float64 operations only. Prefix sums over a large book keep their digits this way, so that a
 * range sum (a difference of two prefixes) is as exact as summing the range itself.
 *
 * Results go into a caller's two-slot array, so hot loops allocate nothing.
 */

/** out = a + b exactly (Knuth's TwoSum). */
export function twoSum(a: number, b: number, out: Float64Array): void {
  const s = a + b;
  const bb = s - a;
  out[0] = s;
  out[1] = a - (s - bb) + (b - bb);
}

const SPLITTER = 134217729; // 2^27 + 1 (Dekker/Veltkamp split)

/** out = a · b exactly (Dekker's TwoProduct; no FMA in JavaScript). */
export function twoProduct(a: number, b: number, out: Float64Array): void {
  const p = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  out[0] = p;
  out[1] = ah * bh - p + ah * bl + al * bh + al * bl;
}

/** out = (ah + al) + (bh + bl), renormalised. */
export function ddAdd(ah: number, al: number, bh: number, bl: number, out: Float64Array): void {
  const s = ah + bh;
  const bb = s - ah;
  const e = ah - (s - bb) + (bh - bb) + al + bl;
  out[0] = s + e;
  out[1] = e - (out[0] - s);
}

/** out = (ah + al) · b. */
export function ddMulNumber(ah: number, al: number, b: number, out: Float64Array): void {
  twoProduct(ah, b, out);
  const p = out[0];
  const e = out[1] + al * b;
  out[0] = p + e;
  out[1] = e - (out[0] - p);
}
