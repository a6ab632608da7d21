import type { StreamingIndicator } from './types';
import { checkPeriod, invalidInput } from './validate';

/**
 * Relative strength index with Wilder smoothing, TA-Lib style: the average gain and loss
 * are seeded with the simple mean of the first `period` changes, so the first value comes
 * on input number `period + 1`; afterwards `avg = (avg * (period - 1) + x) / period`.
 *
 * One deliberate difference from TA-Lib: when there was neither gain nor loss over the
 * smoothing window (a flat series) the RSI is 50 (neutral), not TA-Lib's 0, which would
 * read as "extremely oversold" to a rule. TA-Lib also tests gain + loss with TA_IS_ZERO (an
 * absolute ±1e-8 band), which would pin the RSI of instruments quoted in tiny units to that
 * value; this tests for exact zero.
 */
export class RSI implements StreamingIndicator<number, number> {
  readonly name: string;
  readonly period: number;
  readonly warmUp: number;
  private seen = 0;
  private previous = 0;
  /** Sums of gains and losses while seeding, Wilder averages afterwards. */
  private gain = 0;
  private loss = 0;
  private undoPrevious = 0;
  private undoGain = 0;
  private undoLoss = 0;

  constructor(period: number) {
    this.name = `RSI(${period})`;
    // TA-Lib's minimum too (its RSI(1) returns the input unchanged).
    this.period = checkPeriod(this.name, 'period', period, 2);
    this.warmUp = period + 1;
  }

  get count(): number {
    return this.seen;
  }

  get isWarm(): boolean {
    return this.seen > this.period;
  }

  get value(): number | null {
    return this.seen > this.period ? this.current() : null;
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
    if (this.seen > 0) {
      this.previous = this.undoPrevious;
      this.gain = this.undoGain;
      this.loss = this.undoLoss;
      this.seen--;
    }
    this.push(value);
  }

  reset(): void {
    this.seen = 0;
    this.previous = 0;
    this.gain = 0;
    this.loss = 0;
    this.undoPrevious = 0;
    this.undoGain = 0;
    this.undoLoss = 0;
  }

  private current(): number {
    const total = this.gain + this.loss;
    return total === 0 ? 50 : (100 * this.gain) / total;
  }

  private push(value: number): void {
    const previous = this.previous;
    this.undoPrevious = previous;
    this.undoGain = this.gain;
    this.undoLoss = this.loss;
    this.previous = value;
    const seen = ++this.seen;
    if (seen === 1) return;
    const change = value - previous;
    const gain = change > 0 ? change : 0;
    const loss = change < 0 ? -change : 0;
    const period = this.period;
    if (seen > period + 1) {
      this.gain = (this.gain * (period - 1) + gain) / period;
      this.loss = (this.loss * (period - 1) + loss) / period;
    } else if (seen <= period) {
      this.gain += gain;
      this.loss += loss;
    } else {
      this.gain = (this.gain + gain) / period;
      this.loss = (this.loss + loss) / period;
    }
  }
}
