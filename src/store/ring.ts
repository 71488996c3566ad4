/** Fixed-capacity history with gaps (NaN): memory stays flat however long sov runs. */
export class Ring {
  private buf: Float64Array;
  private next = 0;
  private count = 0;
  constructor(readonly capacity: number) { this.buf = new Float64Array(capacity); }
  push(v: number | undefined): void {
    this.buf[this.next] = v === undefined || !Number.isFinite(v) ? NaN : v;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }
  get length(): number { return this.count; }
  /** oldest → newest, the last `n` points (gaps are NaN) */
  values(n = this.count): number[] {
    const k = Math.min(n, this.count);
    const out = new Array<number>(k);
    for (let i = 0; i < k; i++) out[i] = this.buf[(this.next - k + i + this.capacity) % this.capacity]!;
    return out;
  }
  /** an independent copy (a frozen view keeps the history it had) */
  clone(): Ring {
    const r = new Ring(this.capacity);
    r.buf.set(this.buf);
    r.next = this.next;
    r.count = this.count;
    return r;
  }
  last(): number | undefined {
    if (!this.count) return undefined;
    const v = this.buf[(this.next - 1 + this.capacity) % this.capacity]!;
    return Number.isNaN(v) ? undefined : v;
  }
}
