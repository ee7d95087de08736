/**
 * A recording's power and VRAM over time at bounded size, for charts of sessions too large to hold
 * (the HTML report): per GPU, the mean per time bucket; when the buckets fill up, neighbours merge and
 * the bucket doubles, so an hour or a week costs the same. A stretch without samples (longer than the
 * gap limit) stays a break in the line, never a drop to 0.
 */
import type { Reading } from '../../probes/types.js';
import type { SeriesPoint } from '../series/series.js';

interface Bucket {
  sum: number;
  n: number;
  /** A gap ends in this bucket: the line breaks before it. */
  brk: boolean;
}

class Track {
  buckets: Bucket[] = [];
  lastMs: number | undefined;
}

export interface DigestSeries {
  power: SeriesPoint[];
  vram: SeriesPoint[];
}

export class SampleDigest {
  private originMs: number | undefined;
  private bucketMs: number;
  private readonly power = new Map<string, Track>();
  private readonly vram = new Map<string, Track>();
  firstMs: number | undefined;
  lastMs: number | undefined;

  constructor(
    gpuIds: readonly string[],
    private readonly gapLimitMs: number,
    private readonly maxBuckets = 2048,
    initialBucketMs = 100,
  ) {
    this.bucketMs = initialBucketMs;
    for (const id of gpuIds) {
      this.power.set(id, new Track());
      this.vram.set(id, new Track());
    }
  }

  add(r: Reading): void {
    const p = this.power.get(r.deviceId);
    if (!p || !Number.isFinite(r.tMs)) return;
    this.firstMs = Math.min(this.firstMs ?? r.tMs, r.tMs);
    this.lastMs = Math.max(this.lastMs ?? r.tMs, r.tMs);
    this.originMs ??= r.tMs;
    if (r.powerWatts !== undefined) this.put(p, r.tMs, r.powerWatts);
    if (r.vramUsedBytes !== undefined) this.put(this.vram.get(r.deviceId)!, r.tMs, r.vramUsedBytes);
  }

  private put(t: Track, tMs: number, v: number): void {
    if (tMs < this.originMs!) return; // earlier than the first sample: out of order, dropped from the chart only
    let idx = Math.floor((tMs - this.originMs!) / this.bucketMs);
    while (idx >= this.maxBuckets) {
      this.coarsen();
      idx = Math.floor((tMs - this.originMs!) / this.bucketMs);
    }
    while (t.buckets.length <= idx) t.buckets.push({ sum: 0, n: 0, brk: false });
    const b = t.buckets[idx];
    if (t.lastMs !== undefined && tMs - t.lastMs > this.gapLimitMs) b.brk = true;
    b.sum += v;
    b.n++;
    t.lastMs = tMs;
  }

  private coarsen(): void {
    for (const tracks of [this.power, this.vram]) {
      for (const t of tracks.values()) {
        const merged: Bucket[] = [];
        for (let i = 0; i < t.buckets.length; i += 2) {
          const a = t.buckets[i];
          const b = t.buckets[i + 1];
          merged.push(b ? { sum: a.sum + b.sum, n: a.n + b.n, brk: a.brk || b.brk } : a);
        }
        t.buckets = merged;
      }
    }
    this.bucketMs *= 2;
  }

  private points(t: Track): SeriesPoint[] {
    const out: SeriesPoint[] = [];
    t.buckets.forEach((b, i) => {
      const start = this.originMs! + i * this.bucketMs;
      if (b.brk) out.push({ tMs: start, value: undefined });
      if (b.n > 0) out.push({ tMs: start + this.bucketMs / 2, value: b.sum / b.n });
    });
    return out;
  }

  /** Per GPU: bucket means, a point without a value where a gap breaks the line. */
  result(): Map<string, DigestSeries> {
    const out = new Map<string, DigestSeries>();
    for (const [id, p] of this.power) out.set(id, { power: this.points(p), vram: this.points(this.vram.get(id)!) });
    return out;
  }

  get resolutionMs(): number {
    return this.bucketMs;
  }
}
