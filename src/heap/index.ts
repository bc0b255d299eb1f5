/** A binary min-heap of (time, value): the earliest of many timers without a scan of all of them. */
export class TimeHeap<T> {
  // parallel arrays rather than {at, value} pairs: no object per entry
  private readonly ats: number[] = [];
  private readonly values: T[] = [];

  get size(): number {
    return this.ats.length;
  }

  /** The earliest time, or undefined when empty. */
  peek(): number | undefined {
    return this.ats[0];
  }

  /** The value at the earliest time, or undefined when empty. */
  peekValue(): T | undefined {
    return this.values[0];
  }

  push(at: number, value: T): void {
    let i = this.ats.length;
    this.ats.push(at);
    this.values.push(value);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.ats[parent] <= at) break;
      this.ats[i] = this.ats[parent];
      this.values[i] = this.values[parent];
      i = parent;
    }
    this.ats[i] = at;
    this.values[i] = value;
  }

  /** Removes the earliest entry. */
  pop(): void {
    const lastAt = this.ats.pop();
    const lastValue = this.values.pop() as T;
    const n = this.ats.length;
    if (lastAt === undefined || n === 0) return;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && this.ats[child + 1] < this.ats[child]) child++;
      if (this.ats[child] >= lastAt) break;
      this.ats[i] = this.ats[child];
      this.values[i] = this.values[child];
      i = child;
    }
    this.ats[i] = lastAt;
    this.values[i] = lastValue;
  }
}
