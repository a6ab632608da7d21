/**
 * The last `capacity` values, kept both in arrival order (to evict the oldest) and sorted
 * (for the median and the MAD). Push is O(capacity) by shifting, median O(1), MAD O(capacity)
 * by merging the two sorted halves of deviations; nothing is allocated after construction.
 */
export class RobustWindow {
  private readonly ring: Float64Array;
  private readonly sorted: Float64Array;
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 3) throw new RangeError(`window capacity must be an integer ≥ 3, got ${capacity}`);
    this.ring = new Float64Array(capacity);
    this.sorted = new Float64Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }

  push(value: number): void {
    const sorted = this.sorted;
    let n = this.count;
    if (n === this.capacity) {
      const oldest = this.ring[this.head]!;
      let i = this.lowerBound(oldest, n);
      // Equal values are interchangeable, so removing the first equal one is exact.
      for (; i < n - 1; i++) sorted[i] = sorted[i + 1]!;
      n--;
    }
    const j = this.lowerBound(value, n);
    for (let k = n; k > j; k--) sorted[k] = sorted[k - 1]!;
    sorted[j] = value;
    this.ring[this.head] = value;
    this.head = (this.head + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  median(): number {
    const n = this.count;
    if (n === 0) return Number.NaN;
    const s = this.sorted;
    const mid = n >> 1;
    return n % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  }

  /** Median absolute deviation from the median (unscaled). */
  mad(): number {
    const n = this.count;
    if (n === 0) return Number.NaN;
    const s = this.sorted;
    const m = this.median();
    // Deviations grow walking left from the first value ≥ m and walking right from it:
    // merge the two ascending runs until the middle rank is reached.
    let right = this.lowerBound(m, n);
    let left = right - 1;
    const target = n >> 1;
    let previous = 0;
    let current = 0;
    for (let rank = 0; rank <= target; rank++) {
      const dl = left >= 0 ? m - s[left]! : Number.POSITIVE_INFINITY;
      const dr = right < n ? s[right]! - m : Number.POSITIVE_INFINITY;
      previous = current;
      if (dl <= dr) {
        current = dl;
        left--;
      } else {
        current = dr;
        right++;
      }
    }
    return n % 2 === 1 ? current : (previous + current) / 2;
  }

  private lowerBound(value: number, n: number): number {
    let lo = 0;
    let hi = n;
    const s = this.sorted;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid]! < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
