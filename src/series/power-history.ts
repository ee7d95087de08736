/**
 * Whole-run power history at bounded memory, for the history chart: mean power per bucket; when
 * the buckets fill up, neighbours merge and the bucket doubles, so an hour or a day costs the same.
 */

export interface HistoryBucket {
  startMs: number;
  /** Mean power over the samples in the bucket; null when only gaps fell in it. */
  meanWatts: number | null;
  maxWatts: number | null;
}

interface Acc {
  startMs: number;
  sum: number;
  n: number;
  max: number;
}

export class PowerHistory {
  private buckets: Acc[] = [];
  private bucketMs: number;

  constructor(
    readonly originMs: number,
    initialBucketMs = 1000,
    readonly maxBuckets = 1024,
  ) {
    this.bucketMs = initialBucketMs;
  }

  get bucketDurationMs(): number {
    return this.bucketMs;
  }

  add(tMs: number, watts: number): void {
    if (tMs < this.originMs || !Number.isFinite(watts)) return;
    let idx = Math.floor((tMs - this.originMs) / this.bucketMs);
    while (idx >= this.maxBuckets) {
      this.coarsen();
      idx = Math.floor((tMs - this.originMs) / this.bucketMs);
    }
    while (this.buckets.length <= idx) this.buckets.push({ startMs: this.originMs + this.buckets.length * this.bucketMs, sum: 0, n: 0, max: -Infinity });
    const b = this.buckets[idx];
    b.sum += watts;
    b.n++;
    if (watts > b.max) b.max = watts;
  }

  private coarsen(): void {
    const merged: Acc[] = [];
    for (let i = 0; i < this.buckets.length; i += 2) {
      const a = this.buckets[i];
      const b = this.buckets[i + 1];
      merged.push(b ? { startMs: a.startMs, sum: a.sum + b.sum, n: a.n + b.n, max: Math.max(a.max, b.max) } : a);
    }
    this.buckets = merged;
    this.bucketMs *= 2;
  }

  /** Buckets up to (not including) `untilMs`. */
  snapshot(untilMs = Infinity): HistoryBucket[] {
    const out: HistoryBucket[] = [];
    for (const b of this.buckets) {
      if (b.startMs >= untilMs) break;
      out.push({ startMs: b.startMs, meanWatts: b.n ? b.sum / b.n : null, maxWatts: b.n ? b.max : null });
    }
    return out;
  }
}
