/**
 * Streaming technical indicators: pure domain code, no I/O. Definitions match TA-Lib
 * (DESIGN.md "Indicator definitions", data/PROVENANCE.md); every indicator does one O(1)
 * `update` per new bar and an O(1) `replace` of the forming bar.
 */
export type { StreamingIndicator, OhlcBar, MacdResult, BollingerResult } from './types';
export { SMA } from './sma';
export { EMA } from './ema';
export { RSI } from './rsi';
export { MACD } from './macd';
export { BollingerBands, type BollingerOptions } from './bollinger';
export { ATR } from './atr';
export { IndicatorSet, type IndicatorValues } from './indicator-set';
export {
  INDICATOR_CSV_COLUMNS,
  INDICATOR_CSV_HEADER,
  DEFAULT_SIGNIFICANT_DIGITS,
  formatIndicatorNumber,
  indicatorCsvLines,
  type IndicatorCsvBar,
  type IndicatorCsvOptions,
} from './csv';
