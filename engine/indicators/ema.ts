import type { StreamingIndicator } from './types';
import { checkPeriod, invalidInput } from './validate';

/**
 * Exponential moving average, TA-Lib style: k = 2/(period+1), seeded with the SMA of the
 * first `period` inputs (first value on input number `period`), then
 * `ema += (x - ema) * k`, written in TA-Lib's order of operations.
 */
export class EMA implements StreamingIndicator<number, number> {
  readonly name: string;
  readonly period: number;
  readonly warmUp: number;
  readonly k: number;
  private seen = 0;
  /** The sum of inputs while seeding, the EMA afterwards. */
  private acc = 0;
  private undoAcc = 0;

  constructor(period: number) {
    this.name = `EMA(${period})`;
    this.period = checkPeriod(this.name, 'period', period);
    this.warmUp = period;
    this.k = 2 / (period + 1);
  }

  get count(): number {
    return this.seen;
  }

  get isWarm(): boolean {
    return this.seen >= this.period;
  }

  get value(): number | null {
    return this.seen >= this.period ? this.acc : null;
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
      this.acc = this.undoAcc;
      this.seen--;
    }
    this.push(value);
  }

  reset(): void {
    this.seen = 0;
    this.acc = 0;
    this.undoAcc = 0;
  }

  private push(value: number): void {
    const acc = this.acc;
    this.undoAcc = acc;
    const seen = ++this.seen;
    if (seen > this.period) this.acc = (value - acc) * this.k + acc;
    else if (seen < this.period) this.acc = acc + value;
    else this.acc = (acc + value) / this.period;
  }
}
