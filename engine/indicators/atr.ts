import type { OhlcBar, StreamingIndicator } from './types';
import { checkBar, checkPeriod } from './validate';

/**
 * Average true range, TA-Lib style. The true range of bar i ≥ 1 is
 * max(high − low, |high − close[i−1]|, |low − close[i−1]|); bar 0 has none. The first ATR,
 * on bar `period` (input number period + 1), is the mean of the true ranges of bars
 * 1..period; afterwards Wilder smoothing `atr = (atr * (period − 1) + tr) / period`.
 */
export class ATR implements StreamingIndicator<OhlcBar, number> {
  readonly name: string;
  readonly period: number;
  readonly warmUp: number;
  private seen = 0;
  private previousClose = 0;
  /** Sum of true ranges while seeding, the ATR afterwards. */
  private acc = 0;
  private undoPreviousClose = 0;
  private undoAcc = 0;

  constructor(period = 14) {
    this.name = `ATR(${period})`;
    this.period = checkPeriod(this.name, 'period', period);
    this.warmUp = period + 1;
  }

  get count(): number {
    return this.seen;
  }

  get isWarm(): boolean {
    return this.seen > this.period;
  }

  get value(): number | null {
    return this.seen > this.period ? this.acc : null;
  }

  getResult(): number | null {
    return this.value;
  }

  update(bar: OhlcBar): void {
    const { high, low, close } = bar;
    checkBar(this.name, high, low, close);
    this.push(high, low, close);
  }

  replace(bar: OhlcBar): void {
    const { high, low, close } = bar;
    checkBar(this.name, high, low, close);
    if (this.seen > 0) {
      this.previousClose = this.undoPreviousClose;
      this.acc = this.undoAcc;
      this.seen--;
    }
    this.push(high, low, close);
  }

  reset(): void {
    this.seen = 0;
    this.previousClose = 0;
    this.acc = 0;
    this.undoPreviousClose = 0;
    this.undoAcc = 0;
  }

  private push(high: number, low: number, close: number): void {
    const previous = this.previousClose;
    const acc = this.acc;
    this.undoPreviousClose = previous;
    this.undoAcc = acc;
    this.previousClose = close;
    const bar = this.seen++;
    if (bar === 0) return;
    const range = high - low;
    const up = Math.abs(high - previous);
    const down = Math.abs(low - previous);
    const tr = range > up ? (range > down ? range : down) : up > down ? up : down;
    const period = this.period;
    if (bar > period) this.acc = (acc * (period - 1) + tr) / period;
    else if (bar < period) this.acc = acc + tr;
    else this.acc = (acc + tr) / period;
  }
}
