/**
 * The shape every streaming indicator shares (after trading-signals' `Indicator`):
 * one O(1) `update` per new bar, an O(1) `replace` of the most recent (forming) bar,
 * a result that is `null` until the indicator is warm.
 */
export interface StreamingIndicator<TInput, TResult> {
  /** Name with parameters, e.g. `SMA(20)`; every error message starts with it. */
  readonly name: string;
  /** Inputs needed before the first result (TA-Lib's lookback + 1). */
  readonly warmUp: number;
  /** Inputs consumed so far; `replace` does not add one. */
  readonly count: number;
  /** True once `count >= warmUp`. */
  readonly isWarm: boolean;
  /** The current result, `null` until warm. Same as `getResult()`. */
  readonly value: TResult | null;
  getResult(): TResult | null;
  /**
   * Appends a new bar. Throws a RangeError naming the indicator and the value on a
   * non-finite input, leaving the state untouched.
   */
  update(input: TInput): void;
  /**
   * Replaces the most recent bar (the forming one; called on every tick). Any number of
   * calls in a row equal one. On an indicator that has seen nothing it acts as `update`.
   */
  replace(input: TInput): void;
  /** Back to the state of a new instance. */
  reset(): void;
}

/** One bar's prices as ATR (and `IndicatorSet.updateBar`) need them. */
export interface OhlcBar {
  readonly high: number;
  readonly low: number;
  readonly close: number;
}

export interface MacdResult {
  readonly macd: number;
  readonly signal: number;
  readonly histogram: number;
}

export interface BollingerResult {
  readonly upper: number;
  readonly middle: number;
  readonly lower: number;
}
