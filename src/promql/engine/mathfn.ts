// Numeric helpers shared by aggregations and functions, with Prometheus' edge cases.

/** Prometheus' quantile over unsorted values: linear interpolation between closest ranks. */
export function quantile(q: number, values: number[] | Float64Array): number {
  const n = values.length;
  if (n === 0 || Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  // Go's sort.Float64s puts NaN first.
  const v = Float64Array.from(values).sort();
  let nan = 0;
  for (let i = 0; i < n; i++) if (Number.isNaN(v[i])) nan++;
  if (nan > 0) v.copyWithin(nan, 0, n - nan).fill(NaN, 0, nan);
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return v[lower] * (1 - weight) + v[upper] * weight;
}

/** Kahan–Babuška summation step: returns [sum, compensation]. */
export function kahanAdd(x: number, sum: number, c: number): [number, number] {
  const t = sum + x;
  // An infinite sum would turn the compensation into NaN.
  if (t === Infinity || t === -Infinity) c = 0;
  else if (Math.abs(sum) >= Math.abs(x)) c += (sum - t) + x;
  else c += (x - t) + sum;
  return [t, c];
}

const MIN_NORMAL = 2.2250738585072014e-308;

/** Go's almost.Equal: relative comparison with a floor for tiny numbers. */
export function almostEqual(a: number, b: number, eps: number): boolean {
  if (a === b) return true;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || absSum < MIN_NORMAL) return diff < eps * MIN_NORMAL;
  return diff / Math.min(absSum, Number.MAX_VALUE) < eps;
}

export interface BucketResult {
  value: number;
  forcedMonotonic: boolean;
}

/**
 * histogram_quantile over classic buckets, as Prometheus computes it. `upper` holds the
 * bucket bounds ascending (equal bounds allowed) and `counts` their cumulative counts;
 * both are scratch space of length n and are overwritten.
 */
export function bucketQuantile(q: number, upper: Float64Array, counts: Float64Array, n: number): BucketResult {
  let forcedMonotonic = false;
  if (Number.isNaN(q)) return { value: NaN, forcedMonotonic };
  if (q < 0) return { value: -Infinity, forcedMonotonic };
  if (q > 1) return { value: Infinity, forcedMonotonic };
  if (n === 0 || upper[n - 1] !== Infinity) return { value: NaN, forcedMonotonic };
  // Buckets with one bound (e.g. le="1" and le="1.0") add up.
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (m > 0 && upper[m - 1] === upper[i]) counts[m - 1] += counts[i];
    else { upper[m] = upper[i]; counts[m++] = counts[i]; }
  }
  let prev = counts[0];
  for (let i = 1; i < m; i++) {
    const cur = counts[i];
    if (cur === prev) continue;
    if (almostEqual(prev, cur, 1e-12)) { counts[i] = prev; continue; }
    if (cur < prev) { counts[i] = prev; forcedMonotonic = true; continue; }
    prev = cur;
  }
  if (m < 2) return { value: NaN, forcedMonotonic };
  const observations = counts[m - 1];
  if (observations === 0) return { value: NaN, forcedMonotonic };
  let rank = q * observations;
  let i = 0;
  while (i < m - 1 && !(counts[i] >= rank)) i++;
  if (i === m - 1) return { value: upper[m - 2], forcedMonotonic };
  if (i === 0 && upper[0] <= 0) return { value: upper[0], forcedMonotonic };
  let start = 0;
  let count = counts[i];
  if (i > 0) {
    start = upper[i - 1];
    count -= counts[i - 1];
    rank -= counts[i - 1];
  }
  return { value: start + (upper[i] - start) * (rank / count), forcedMonotonic };
}

/** Prometheus' mean: a compensated sum, switching to an incremental mean if the sum overflows. */
export function mean(vals: ArrayLike<number>, lo: number, hi: number): number {
  let sum = vals[lo];
  let c = 0;
  let m = 0;
  let incremental = false;
  let count = 1;
  for (let k = lo + 1; k < hi; k++) {
    const f = vals[k];
    count = k - lo + 1;
    if (!incremental) {
      const [ns, nc] = kahanAdd(f, sum, c);
      if (ns !== Infinity && ns !== -Infinity) {
        sum = ns;
        c = nc;
        continue;
      }
      incremental = true;
      m = sum / (count - 1);
      c /= count - 1;
    }
    const q = (count - 1) / count;
    [m, c] = kahanAdd(f / count, q * m, q * c);
  }
  return incremental ? m + c : sum / count + c / count;
}
