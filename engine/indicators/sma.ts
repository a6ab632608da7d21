import type { StreamingIndicator } from './types';
import { checkPeriod, invalidInput } from './validate';

/**
 * Simple moving average: the mean of the last `period` inputs (TA-Lib SMA; first value on
 * input number `period`). A ring buffer and a running sum kept exactly as hi + lo (see
 * `exact.ts`), so it never drifts however long it runs.
 */
export class SMA implements StreamingIndicator<number, number> {
  readonly name: string;
  readonly period: number;
  readonly warmUp: number;
  private readonly window: Float64Array;
  private head = 0;
  private seen = 0;
  private hi = 0;
  private lo = 0;
  // What the last update overwrote, so that replace() is an exact O(1) undo + update.
  private undoHi = 0;
  private undoLo = 0;
  private undoEvicted = 0;

  constructor(period: number) {
    this.name = `SMA(${period})`;
    this.period = checkPeriod(this.name, 'period', period);
    this.warmUp = period;
    this.window = new Float64Array(period);
  }

  get count(): number {
    return this.seen;
  }

  get isWarm(): boolean {
    return this.seen >= this.period;
  }

  get value(): number | null {
    return this.seen >= this.period ? this.hi / this.period : null;
  }

  getResult(): number | null {
    return this.value;
  }

  update(value: number): void {
    if (!Number.isFinite(value)) throw invalidInput(this.name, value);
    this.push(value);
  }

  replace(value: number): void {
    if (!Number.isFinite(value)) throw invalidInput(this.name, value);
    if (this.seen > 0) this.undo();
    this.push(value);
  }

  reset(): void {
    this.window.fill(0);
    this.head = 0;
    this.seen = 0;
    this.hi = 0;
    this.lo = 0;
    this.undoHi = 0;
    this.undoLo = 0;
    this.undoEvicted = 0;
  }

  private push(value: number): void {
    const window = this.window;
    const slot = this.head;
    // Slots not yet written hold 0, so the same expression serves the warm-up exactly.
    const evicted = window[slot]!;
    const hi = this.hi;
    const lo = this.lo;
    this.undoHi = hi;
    this.undoLo = lo;
    this.undoEvicted = evicted;
    window[slot] = value;
    this.head = slot + 1 === this.period ? 0 : slot + 1;
    this.seen++;
    // (hi, lo) += value − evicted, exactly: TwoDiff, TwoSum, FastTwoSum (exact.ts).
    const d = value - evicted;
    const dv = d - value;
    const dErr = value - (d - dv) - (evicted + dv);
    const s = hi + d;
    const sv = s - hi;
    const err = hi - (s - sv) + (d - sv) + dErr + lo;
    const sum = s + err;
    this.hi = sum;
    this.lo = err - (sum - s);
  }

  private undo(): void {
    const slot = this.head === 0 ? this.period - 1 : this.head - 1;
    this.window[slot] = this.undoEvicted;
    this.head = slot;
    this.hi = this.undoHi;
    this.lo = this.undoLo;
    this.seen--;
  }
}
