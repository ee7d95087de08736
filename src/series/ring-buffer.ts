/** A fixed-capacity buffer of the latest values: live-view memory stays bounded however long a run is. */
export class RingBuffer<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!(capacity > 0)) throw new RangeError('capacity must be positive');
    this.items = new Array<T | undefined>(capacity);
  }

  push(item: T): void {
    const end = (this.start + this.count) % this.capacity;
    this.items[end] = item;
    if (this.count < this.capacity) this.count++;
    else this.start = (this.start + 1) % this.capacity;
  }

  get length(): number {
    return this.count;
  }

  /** Oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.items[(this.start + i) % this.capacity] as T);
    return out;
  }

  last(): T | undefined {
    return this.count === 0 ? undefined : this.items[(this.start + this.count - 1) % this.capacity];
  }

  /**
   * The newest items for which `keep` holds, plus the one just before them (a chart needs the value
   * in force at its left edge), oldest first — without copying the rest of the buffer.
   */
  tail(keep: (item: T) => boolean): T[] {
    let n = 0;
    while (n < this.count && keep(this.items[(this.start + this.count - 1 - n) % this.capacity] as T)) n++;
    n = Math.min(this.count, n + 1);
    const out: T[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.items[(this.start + this.count - n + i) % this.capacity] as T;
    return out;
  }
}
