import { MAX_EXACT_INPUT, SPLITTER } from './exact';
import type { BollingerResult, StreamingIndicator } from './types';
import { checkPeriod, invalidInput, outOfRange } from './validate';

export interface BollingerOptions {
  /**
   * The middle band: `sma` (the usual, TA-Lib's default) or `ema` (TA-Lib's MA type 1,
   * EMA seeded with the SMA of the first `period` inputs). The bands' width is always the
   * population standard deviation of the window, as in TA-Lib.
   */
  readonly middle?: 'sma' | 'ema';
}

/**
 * Bollinger bands: middle ± multiplier × population standard deviation of the last
 * `period` inputs (first value on input number `period`).
 *
 * Σx and Σx² of the window are kept exactly as hi + lo pairs (`exact.ts`), and the variance
 * (n·Σx² − (Σx)²) / n² is formed from them, so neither running-sum drift nor the catastrophic
 * cancellation of Σx²/n − mean² (tiny spread against a large price) can creep in; a negative
 * result left by the last rounding is clamped to 0. The middle band equals `SMA` bit for bit.
 * Inputs must lie within ±1e150 (their squares must not overflow).
 */
export class BollingerBands implements StreamingIndicator<number, BollingerResult> {
  readonly name: string;
  readonly period: number;
  readonly multiplier: number;
  readonly warmUp: number;
  private readonly useEma: boolean;
  private readonly k: number;
  private readonly window: Float64Array;
  private head = 0;
  private seen = 0;
  /** Σx as hi + lo. */
  private sumHi = 0;
  private sumLo = 0;
  /** Σx² as hi + lo. */
  private sqHi = 0;
  private sqLo = 0;
  private ema = 0;
  private deviation = 0;
  /** True when `deviation` is out of date (see `sd()`). */
  private stale = false;
  private undoSumHi = 0;
  private undoSumLo = 0;
  private undoSqHi = 0;
  private undoSqLo = 0;
  private undoEma = 0;
  private undoEvicted = 0;

  constructor(period = 20, multiplier = 2, options: BollingerOptions = {}) {
    const middle = options.middle ?? 'sma';
    this.name = `BB(${period},${multiplier}${middle === 'ema' ? ',ema' : ''})`;
    this.period = checkPeriod(this.name, 'period', period);
    if (!Number.isFinite(multiplier) || multiplier < 0) {
      throw new RangeError(`${this.name}: multiplier must be a finite number >= 0, got ${multiplier}`);
    }
    if (middle !== 'sma' && middle !== 'ema') {
      throw new RangeError(`${this.name}: middle must be 'sma' or 'ema', got ${String(middle)}`);
    }
    this.multiplier = multiplier;
    this.useEma = middle === 'ema';
    this.k = 2 / (period + 1);
    this.warmUp = period;
    this.window = new Float64Array(period);
  }

  get count(): number {
    return this.seen;
  }

  get isWarm(): boolean {
    return this.seen >= this.period;
  }

  get middle(): number | null {
    return this.seen >= this.period ? this.mid() : null;
  }

  get upper(): number | null {
    return this.seen >= this.period ? this.mid() + this.multiplier * this.sd() : null;
  }

  get lower(): number | null {
    return this.seen >= this.period ? this.mid() - this.multiplier * this.sd() : null;
  }

  /** Population standard deviation of the window. */
  get standardDeviation(): number | null {
    return this.seen >= this.period ? this.sd() : null;
  }

  get value(): BollingerResult | null {
    if (this.seen < this.period) return null;
    const middle = this.mid();
    const width = this.multiplier * this.sd();
    return { upper: middle + width, middle, lower: middle - width };
  }

  getResult(): BollingerResult | null {
    return this.value;
  }

  update(value: number): void {
    this.check(value);
    this.push(value);
  }

  replace(value: number): void {
    this.check(value);
    if (this.seen > 0) this.undo();
    this.push(value);
  }

  reset(): void {
    this.window.fill(0);
    this.head = 0;
    this.seen = 0;
    this.sumHi = 0;
    this.sumLo = 0;
    this.sqHi = 0;
    this.sqLo = 0;
    this.ema = 0;
    this.deviation = 0;
    this.stale = false;
    this.undoSumHi = 0;
    this.undoSumLo = 0;
    this.undoSqHi = 0;
    this.undoSqLo = 0;
    this.undoEma = 0;
    this.undoEvicted = 0;
  }

  private check(value: number): void {
    if (!Number.isFinite(value)) throw invalidInput(this.name, value);
    if (Math.abs(value) > MAX_EXACT_INPUT) throw outOfRange(this.name, value, MAX_EXACT_INPUT);
  }

  private mid(): number {
    return this.useEma ? this.ema : this.sumHi / this.period;
  }

  private push(value: number): void {
    const window = this.window;
    const period = this.period;
    const slot = this.head;
    // Slots not yet written hold 0, so the same expressions serve the warm-up exactly.
    const evicted = window[slot]!;
    const sumHi = this.sumHi;
    const sumLo = this.sumLo;
    const sqHi = this.sqHi;
    const sqLo = this.sqLo;
    this.undoSumHi = sumHi;
    this.undoSumLo = sumLo;
    this.undoSqHi = sqHi;
    this.undoSqLo = sqLo;
    this.undoEma = this.ema;
    this.undoEvicted = evicted;
    window[slot] = value;
    this.head = slot + 1 === period ? 0 : slot + 1;
    const seen = ++this.seen;

    // Σx += value − evicted, exactly (TwoDiff, TwoSum, FastTwoSum).
    let d = value - evicted;
    let v = d - value;
    let dErr = value - (d - v) - (evicted + v);
    let s = sumHi + d;
    v = s - sumHi;
    let err = sumHi - (s - v) + (d - v) + dErr + sumLo;
    const sum = s + err;
    const sumErr = err - (sum - s);
    this.sumHi = sum;
    this.sumLo = sumErr;

    // Σx² += value² − evicted², the squares split exactly (TwoSquare).
    let c = SPLITTER * value;
    let h = c - (c - value);
    let l = value - h;
    const p = value * value;
    const pErr = h * h - p + 2 * h * l + l * l;
    c = SPLITTER * evicted;
    h = c - (c - evicted);
    l = evicted - h;
    const q = evicted * evicted;
    const qErr = h * h - q + 2 * h * l + l * l;
    d = p - q;
    v = d - p;
    dErr = p - (d - v) - (q + v) + (pErr - qErr);
    s = sqHi + d;
    v = s - sqHi;
    err = sqHi - (s - v) + (d - v) + dErr + sqLo;
    const sq = s + err;
    this.sqHi = sq;
    this.sqLo = err - (sq - s);

    this.stale = true;
    if (this.useEma && seen >= period) {
      this.ema = seen === period ? sum / period : (value - this.ema) * this.k + this.ema;
    }
  }

  /**
   * The standard deviation, computed when first read after an update: `replace` runs on
   * every tick, the bands are typically read once per bar.
   */
  private sd(): number {
    if (!this.stale) return this.deviation;
    const period = this.period;
    const sum = this.sumHi;
    const sq = this.sqHi;
    // n·Σx² − (Σx)², each product formed exactly (n < 2^26 needs no split).
    const nq = period * sq;
    let c = SPLITTER * sq;
    let h = c - (c - sq);
    const nqErr = h * period - nq + (sq - h) * period + period * this.sqLo;
    const ss = sum * sum;
    c = SPLITTER * sum;
    h = c - (c - sum);
    const l = sum - h;
    const ssErr = h * h - ss + 2 * h * l + l * l + 2 * sum * this.sumLo;
    const scaled = nq - ss + (nqErr - ssErr);
    this.deviation = scaled > 0 ? Math.sqrt(scaled) / period : 0;
    this.stale = false;
    return this.deviation;
  }

  private undo(): void {
    const slot = this.head === 0 ? this.period - 1 : this.head - 1;
    this.window[slot] = this.undoEvicted;
    this.head = slot;
    this.sumHi = this.undoSumHi;
    this.sumLo = this.undoSumLo;
    this.sqHi = this.undoSqHi;
    this.sqLo = this.undoSqLo;
    this.ema = this.undoEma;
    this.seen--;
  }
}
