import type { Timeframe } from '../../core/events';

export type { Timeframe };

/**
 * One quote as the engine sees it, whatever the source (MT5 bridge, CSV import, sandbox).
 * `core/events`' tick event has no MT5 flags; the engine needs them (tick volume counts
 * only ticks that changed the bid), so the engine keeps this plain shape and maps to the
 * bus event at the edge.
 */
export interface Tick {
  symbol: string;
  /** UTC epoch milliseconds (convert broker server time before it gets here). */
  timeMs: number;
  bid: number;
  ask: number;
  /** Last deal price; 0 for FX and CFD quotes, as MT5 sends it. */
  last: number;
  /** Deal volume; 0 for FX and CFD quotes. */
  volume: number;
  /** MT5 `MqlTick.flags` bitmask (see TICK_FLAG); 0 when the source does not say. */
  flags: number;
  source: string;
}

/** MQL5 `TICK_FLAG_*`: which fields of the tick changed. */
export const TICK_FLAG = {
  BID: 2,
  ASK: 4,
  LAST: 8,
  VOLUME: 16,
  BUY: 32,
  SELL: 64,
} as const;

/** An OHLCV bar as MT5 charts build it: bid prices, tick volume, spread in points. */
export interface Bar {
  symbol: string;
  timeframe: Timeframe;
  /** Start of the period, UTC epoch milliseconds. */
  timeMs: number;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Number of ticks that changed the bid (MT5 `tick_volume`). */
  tickVolume: number;
  /** Sum of deal volumes (MT5 `real_volume`); 0 for FX. */
  volume: number;
  /** Minimum spread seen in the period, in points (MT5 `<SPREAD>`). */
  spread: number;
}

export const TIMEFRAMES: readonly Timeframe[] = ['M1', 'M5', 'M15', 'H1', 'H4', 'D1'];

export const TIMEFRAME_MS: Readonly<Record<Timeframe, number>> = {
  M1: 60_000,
  M5: 300_000,
  M15: 900_000,
  H1: 3_600_000,
  H4: 14_400_000,
  D1: 86_400_000,
};

/** Size of one point for a symbol quoted with `digits` decimals (EURUSD: 5 → 0.00001). */
export function pointSize(digits: number): number {
  if (!Number.isInteger(digits) || digits < 0 || digits > 10) throw new RangeError(`digits must be an integer 0..10, got ${digits}`);
  return 10 ** -digits;
}

/**
 * A price difference in whole points. Rounded, not truncated: (67624.05 − 67606.99) / 0.01
 * is 1705.9999999997 in binary floating point, and an MQL5 EA that casts it to int reports
 * 1705 (as the captured BTCUSD EA ticks do for 318 of 694 ticks).
 */
export function toPoints(priceDiff: number, point: number): number {
  return Math.round(priceDiff / point);
}

/** Start of the period containing `timeMs`; `offsetMs` shifts the boundaries (e.g. a broker day). */
export function periodStart(timeMs: number, periodMs: number, offsetMs = 0): number {
  return Math.floor((timeMs + offsetMs) / periodMs) * periodMs - offsetMs;
}
