/** Robust summaries for a noisy machine: medians, quantiles and paired ratios. */

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Linear-interpolated quantile, `q` in [0, 1]; NaN for an empty list. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * The ratio of two contenders measured in the same rounds: the median of the per-round
 * ratios, so a slow patch of the machine that hits both contenders of a round cancels out.
 */
export function pairedRatio(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  const ratios: number[] = [];
  for (let i = 0; i < n; i++) if (b[i]! > 0) ratios.push(a[i]! / b[i]!);
  return median(ratios);
}

/** Relative spread: (max - min) / median, a quick noise indicator. */
export function spread(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = median(values);
  return m === 0 ? 0 : (Math.max(...values) - Math.min(...values)) / m;
}

/** Fisher-Yates shuffle with a seeded generator, so the order of a run is reproducible. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** mulberry32: a small deterministic PRNG. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Latency samples in a fixed-size log histogram (1 µs to ~100 s, 2% buckets), cheap to merge. */
export class LatencyHistogram {
  static readonly BASE = 1.02;
  readonly counts: number[] = [];
  total = 0;

  record(micros: number): void {
    const b =
      micros <= 1
        ? 0
        : Math.min(1000, Math.floor(Math.log(micros) / Math.log(LatencyHistogram.BASE)));
    this.counts[b] = (this.counts[b] ?? 0) + 1;
    this.total++;
  }

  merge(other: { counts: (number | null)[] }): void {
    other.counts.forEach((c, b) => {
      if (c) {
        this.counts[b] = (this.counts[b] ?? 0) + c;
        this.total += c;
      }
    });
  }

  /** The upper edge of the bucket holding quantile `q`, in microseconds. */
  quantile(q: number): number {
    if (this.total === 0) return Number.NaN;
    const target = Math.ceil(q * this.total);
    let seen = 0;
    for (let b = 0; b < this.counts.length; b++) {
      seen += this.counts[b] ?? 0;
      if (seen >= target) return LatencyHistogram.BASE ** (b + 1);
    }
    return Number.NaN;
  }
}
