import { ATR } from './atr';
import { BollingerBands } from './bollinger';
import { EMA } from './ema';
import { MACD } from './macd';
import { RSI } from './rsi';
import { SMA } from './sma';
import type { OhlcBar, StreamingIndicator } from './types';
import { MAX_EXACT_INPUT } from './exact';
import { checkBar, invalidInput, outOfRange } from './validate';

/** Every output of an `IndicatorSet` for the latest bar; `null` while that one warms up. */
export interface IndicatorValues {
  readonly sma20: number | null;
  readonly ema20: number | null;
  readonly rsi14: number | null;
  /** The MACD(12,26,9) line, from bar 25 on. */
  readonly macd: number | null;
  /** Signal and histogram, from bar 33 on. */
  readonly macdSignal: number | null;
  readonly macdHistogram: number | null;
  readonly bbUpper: number | null;
  readonly bbMiddle: number | null;
  readonly bbLower: number | null;
  /** Only when the bars came with high and low (`updateBar`). */
  readonly atr14: number | null;
}

const NAME = 'IndicatorSet';

/** Everything any member would refuse, checked before the first one is touched. */
function checkClose(close: number): void {
  if (!Number.isFinite(close)) throw invalidInput(NAME, close, 'close');
  if (Math.abs(close) > MAX_EXACT_INPUT) throw outOfRange(NAME, close, MAX_EXACT_INPUT, 'close');
}

/**
 * The standard indicators the engine and the CLI compute, updated together with one call:
 * SMA(20), EMA(20), RSI(14), MACD(12,26,9), Bollinger(20,2) from closes, and ATR(14) when
 * the bars come with high and low (`updateBar` / `replaceBar`).
 *
 * A set fed with `updateBar` must get every later bar that way too (ATR would silently miss
 * a bar otherwise); feeding closes first and bars later is fine: ATR starts with the first bar.
 * `value` is null until every indicator that is fed is warm (34 bars: MACD's signal);
 * `snapshot()` has whatever is warm at any time.
 */
export class IndicatorSet implements StreamingIndicator<number, IndicatorValues> {
  readonly name = NAME;
  readonly sma20 = new SMA(20);
  readonly ema20 = new EMA(20);
  readonly rsi14 = new RSI(14);
  readonly macd = new MACD(12, 26, 9);
  readonly bb20 = new BollingerBands(20, 2);
  readonly atr14 = new ATR(14);
  readonly warmUp = Math.max(this.sma20.warmUp, this.ema20.warmUp, this.rsi14.warmUp, this.macd.warmUp, this.bb20.warmUp);
  private withBars = false;

  get count(): number {
    return this.sma20.count;
  }

  get isWarm(): boolean {
    return (
      this.sma20.isWarm &&
      this.ema20.isWarm &&
      this.rsi14.isWarm &&
      this.macd.isWarm &&
      this.bb20.isWarm &&
      (!this.withBars || this.atr14.isWarm)
    );
  }

  get value(): IndicatorValues | null {
    return this.isWarm ? this.snapshot() : null;
  }

  getResult(): IndicatorValues | null {
    return this.value;
  }

  /** All outputs for the latest bar, `null` for those still warming up. */
  snapshot(): IndicatorValues {
    const bb = this.bb20;
    return {
      sma20: this.sma20.value,
      ema20: this.ema20.value,
      rsi14: this.rsi14.value,
      macd: this.macd.macd,
      macdSignal: this.macd.signal,
      macdHistogram: this.macd.histogram,
      bbUpper: bb.upper,
      bbMiddle: bb.middle,
      bbLower: bb.lower,
      atr14: this.atr14.value,
    };
  }

  /** Appends a bar known only by its close. */
  update(close: number): void {
    checkClose(close);
    this.refuseClosesAfterBars('update');
    this.sma20.update(close);
    this.ema20.update(close);
    this.rsi14.update(close);
    this.macd.update(close);
    this.bb20.update(close);
  }

  /** Replaces the latest bar (the forming one) known only by its close. */
  replace(close: number): void {
    checkClose(close);
    this.refuseClosesAfterBars('replace');
    this.sma20.replace(close);
    this.ema20.replace(close);
    this.rsi14.replace(close);
    this.macd.replace(close);
    this.bb20.replace(close);
  }

  /** Appends a bar with high, low and close; ATR(14) is updated too. */
  updateBar(bar: OhlcBar): void {
    const { high, low, close } = bar;
    // Check the whole bar first, so that a bad one leaves every indicator untouched.
    checkBar(NAME, high, low, close);
    checkClose(close);
    this.withBars = true;
    this.sma20.update(close);
    this.ema20.update(close);
    this.rsi14.update(close);
    this.macd.update(close);
    this.bb20.update(close);
    this.atr14.update(bar);
  }

  /** Replaces the latest bar (the forming one) with high, low and close. */
  replaceBar(bar: OhlcBar): void {
    const { high, low, close } = bar;
    checkBar(NAME, high, low, close);
    checkClose(close);
    this.withBars = true;
    this.sma20.replace(close);
    this.ema20.replace(close);
    this.rsi14.replace(close);
    this.macd.replace(close);
    this.bb20.replace(close);
    this.atr14.replace(bar);
  }

  reset(): void {
    this.sma20.reset();
    this.ema20.reset();
    this.rsi14.reset();
    this.macd.reset();
    this.bb20.reset();
    this.atr14.reset();
    this.withBars = false;
  }

  private refuseClosesAfterBars(method: 'update' | 'replace'): void {
    if (this.withBars) {
      throw new RangeError(
        `${NAME}: ${method}(close) after bars with high/low: ATR(14) would miss this bar; use ${method}Bar() for every bar`,
      );
    }
  }
}
