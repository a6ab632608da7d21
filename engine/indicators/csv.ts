import { IndicatorSet } from './indicator-set';

/** The `tradepilot indicators` CSV columns (a public contract: see DESIGN.md). */
export const INDICATOR_CSV_COLUMNS = [
  'time',
  'close',
  'sma20',
  'ema20',
  'rsi14',
  'macd',
  'macd_signal',
  'macd_hist',
  'bb_upper',
  'bb_middle',
  'bb_lower',
] as const;

export const INDICATOR_CSV_HEADER: string = INDICATOR_CSV_COLUMNS.join(',');

/**
 * Significant digits written by default. Float noise sits in the 15th-17th digit, so 10
 * hides it with a wide margin while keeping every price with up to 10 significant digits
 * exact (BTCUSD 104523.45, EURUSD 1.08512) and indicator values far finer than any tick.
 */
export const DEFAULT_SIGNIFICANT_DIGITS = 10;

/**
 * A number as a CSV/UI cell without float noise: rounded to `significantDigits` significant
 * digits, trailing zeros trimmed, never in exponent notation (1.2e-7 → "0.00000012");
 * -0 is written "0".
 */
export function formatIndicatorNumber(value: number, significantDigits: number = DEFAULT_SIGNIFICANT_DIGITS): string {
  if (!Number.isFinite(value)) throw new RangeError(`formatIndicatorNumber: value must be finite, got ${value}`);
  if (!Number.isInteger(significantDigits) || significantDigits < 1 || significantDigits > 21) {
    throw new RangeError(`formatIndicatorNumber: significantDigits must be an integer 1..21, got ${significantDigits}`);
  }
  if (value === 0) return '0';
  const precise = value.toPrecision(significantDigits);
  const e = precise.indexOf('e');
  if (e === -1) return trimZeros(precise);
  const exponent = Number(precise.slice(e + 1));
  const rounded = Number(precise);
  // A positive exponent here means |value| >= 10^significantDigits: an integer after rounding.
  if (exponent > 0) return BigInt(rounded).toString();
  return trimZeros(rounded.toFixed(Math.min(100, significantDigits - 1 - exponent)));
}

function trimZeros(text: string): string {
  if (text.indexOf('.') === -1) return text;
  let end = text.length;
  while (text.charCodeAt(end - 1) === 48 /* 0 */) end--;
  if (text.charCodeAt(end - 1) === 46 /* . */) end--;
  const trimmed = text.slice(0, end);
  return trimmed === '-0' ? '0' : trimmed;
}

/** One input row of the indicators CSV: its time as the CLI wants it written, and the close. */
export interface IndicatorCsvBar {
  readonly time: string | number | Date;
  readonly close: number;
}

export interface IndicatorCsvOptions {
  readonly significantDigits?: number;
}

function timeCell(time: string | number | Date): string {
  if (typeof time === 'number') {
    if (!Number.isFinite(time)) throw new RangeError(`time must be finite, got ${time}`);
    return String(time);
  }
  const text = typeof time === 'string' ? time : time.toISOString();
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The lines of the indicators CSV (without line ends): the header, then one row per input
 * bar, with empty cells while an indicator warms up (MACD's line from bar 25, its signal and
 * histogram from bar 33). Lazy, so a long file streams through in constant memory.
 * A bad close throws a RangeError naming the bar index and its time.
 */
export function* indicatorCsvLines(
  bars: Iterable<IndicatorCsvBar>,
  options: IndicatorCsvOptions = {},
): Generator<string, void, undefined> {
  const digits = options.significantDigits ?? DEFAULT_SIGNIFICANT_DIGITS;
  const cell = (value: number | null): string => (value === null ? '' : formatIndicatorNumber(value, digits));
  yield INDICATOR_CSV_HEADER;
  const set = new IndicatorSet();
  let index = 0;
  for (const bar of bars) {
    let time: string;
    try {
      time = timeCell(bar.time);
      set.update(bar.close);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      throw new RangeError(`bar ${index} (time ${String(bar.time)}): ${error.message}`, { cause: error });
    }
    const macd = set.macd;
    const bb = set.bb20;
    yield [
      time,
      cell(bar.close),
      cell(set.sma20.value),
      cell(set.ema20.value),
      cell(set.rsi14.value),
      cell(macd.macd),
      cell(macd.signal),
      cell(macd.histogram),
      cell(bb.upper),
      cell(bb.middle),
      cell(bb.lower),
    ].join(',');
    index++;
  }
}
