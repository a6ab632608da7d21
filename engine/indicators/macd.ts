import type { MacdResult, StreamingIndicator } from './types';
import { checkPeriod, invalidInput } from './validate';

/**
 * MACD = EMA(fast) − EMA(slow); signal = EMA(signalPeriod) of MACD; histogram = MACD − signal.
 *
 * TA-Lib quirk, reproduced on purpose (see data/PROVENANCE.md): both EMAs start on the same
 * bar. EMA(slow) is seeded with the SMA of bars 0..slow−1 and EMA(fast) with the SMA of bars
 * slow−fast..slow−1 (not 0..fast−1), so the MACD line starts at bar slow−1 (25 for 12/26/9)
 * and the signal, itself SMA-seeded, at bar slow+signal−2 (33). `value` (all three outputs)
 * is null until then, as in TA-Lib; the `macd` getter already has the line from bar slow−1.
 */
export class MACD implements StreamingIndicator<number, MacdResult> {
  readonly name: string;
  readonly fastPeriod: number;
  readonly slowPeriod: number;
  readonly signalPeriod: number;
  readonly warmUp: number;
  private readonly fastFirst: number;
  private readonly slowLast: number;
  private readonly signalLast: number;
  private readonly kFast: number;
  private readonly kSlow: number;
  private readonly kSignal: number;
  private seen = 0;
  /** Sums while seeding, EMAs afterwards. */
  private fast = 0;
  private slow = 0;
  private signalAcc = 0;
  private line = 0;
  private undoFast = 0;
  private undoSlow = 0;
  private undoSignal = 0;
  private undoLine = 0;

  constructor(fastPeriod = 12, slowPeriod = 26, signalPeriod = 9) {
    this.name = `MACD(${fastPeriod},${slowPeriod},${signalPeriod})`;
    this.fastPeriod = checkPeriod(this.name, 'fast period', fastPeriod);
    this.slowPeriod = checkPeriod(this.name, 'slow period', slowPeriod);
    this.signalPeriod = checkPeriod(this.name, 'signal period', signalPeriod);
    if (fastPeriod >= slowPeriod) {
      throw new RangeError(`${this.name}: fast period must be below slow period`);
    }
    this.fastFirst = slowPeriod - fastPeriod;
    this.slowLast = slowPeriod - 1;
    this.signalLast = slowPeriod + signalPeriod - 2;
    this.warmUp = this.signalLast + 1;
    this.kFast = 2 / (fastPeriod + 1);
    this.kSlow = 2 / (slowPeriod + 1);
    this.kSignal = 2 / (signalPeriod + 1);
  }

  get count(): number {
    return this.seen;
  }

  get isWarm(): boolean {
    return this.seen > this.signalLast;
  }

  /** The MACD line, from bar slow−1 on. */
  get macd(): number | null {
    return this.seen > this.slowLast ? this.line : null;
  }

  get signal(): number | null {
    return this.seen > this.signalLast ? this.signalAcc : null;
  }

  get histogram(): number | null {
    return this.seen > this.signalLast ? this.line - this.signalAcc : null;
  }

  get value(): MacdResult | null {
    if (this.seen <= this.signalLast) return null;
    return { macd: this.line, signal: this.signalAcc, histogram: this.line - this.signalAcc };
  }

  getResult(): MacdResult | null {
    return this.value;
  }

  update(value: number): void {
    if (!Number.isFinite(value)) throw invalidInput(this.name, value);
    this.push(value);
  }

  replace(value: number): void {
    if (!Number.isFinite(value)) throw invalidInput(this.name, value);
    if (this.seen > 0) {
      this.fast = this.undoFast;
      this.slow = this.undoSlow;
      this.signalAcc = this.undoSignal;
      this.line = this.undoLine;
      this.seen--;
    }
    this.push(value);
  }

  reset(): void {
    this.seen = 0;
    this.fast = 0;
    this.slow = 0;
    this.signalAcc = 0;
    this.line = 0;
    this.undoFast = 0;
    this.undoSlow = 0;
    this.undoSignal = 0;
    this.undoLine = 0;
  }

  private push(value: number): void {
    const fast = this.fast;
    const slow = this.slow;
    const signal = this.signalAcc;
    this.undoFast = fast;
    this.undoSlow = slow;
    this.undoSignal = signal;
    this.undoLine = this.line;
    const bar = this.seen++;
    if (bar > this.slowLast) {
      this.fast = (value - fast) * this.kFast + fast;
      this.slow = (value - slow) * this.kSlow + slow;
    } else if (bar < this.slowLast) {
      this.slow = slow + value;
      if (bar >= this.fastFirst) this.fast = fast + value;
      return;
    } else {
      this.fast = (fast + value) / this.fastPeriod;
      this.slow = (slow + value) / this.slowPeriod;
    }
    const line = this.fast - this.slow;
    this.line = line;
    if (bar > this.signalLast) this.signalAcc = (line - signal) * this.kSignal + signal;
    else if (bar < this.signalLast) this.signalAcc = signal + line;
    else this.signalAcc = (signal + line) / this.signalPeriod;
  }
}
