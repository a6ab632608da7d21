/** The history file formats this module reads. */
export type FormatName = 'mt5-bars' | 'mt5-ticks' | 'histdata' | 'ea-json';

/** Text encodings MT5 writes: UTF-8 (optionally with BOM) and UTF-16LE with BOM ("Unicode"). */
export type TextEncodingName = 'utf-8' | 'utf-16le';

/** What `detectFormat` found at the start of a file. */
export interface Format {
  name: FormatName;
  encoding: TextEncodingName;
  /** Length in bytes of the byte-order mark to skip (0, 2 or 3). */
  bomBytes: number;
}

/** MT5 timeframe names (ENUM_TIMEFRAMES without the PERIOD_ prefix). */
export type Mt5Timeframe =
  | 'M1' | 'M2' | 'M3' | 'M4' | 'M5' | 'M6' | 'M10' | 'M12' | 'M15' | 'M20' | 'M30'
  | 'H1' | 'H2' | 'H3' | 'H4' | 'H6' | 'H8' | 'H12'
  | 'D1' | 'W1' | 'MN1';

/** One OHLC bar; `timeMs` is the bar's open time in UTC. */
export interface BarRecord {
  kind: 'bar';
  timeMs: number;
  open: number;
  high: number;
  low: number;
  close: number;
  tickVolume: number;
  volume: number;
  spreadPoints: number;
}

/**
 * One tick; `timeMs` is UTC. `bid`, `ask` and `last` are the current quote after this tick
 * (as in MQL5's MqlTick), `volume` the volume traded by this tick, `flags` MQL5's TICK_FLAG_* bits.
 */
export interface TickRecord {
  kind: 'tick';
  timeMs: number;
  bid: number;
  ask: number;
  last: number;
  volume: number;
  flags: number;
}

/**
 * A line (or, for JSON, a tick element) that could not be used. `reason` is a stable code
 * suitable for counting (`column_count`, `bad_number:high`, `high_below_low`, …); `line` is the
 * 1-based line number in the file; `text` is the start of the offending line (≤ 120 chars).
 */
export interface RejectRecord {
  kind: 'reject';
  line: number;
  reason: string;
  text: string;
}

export type ParsedRecord = BarRecord | TickRecord | RejectRecord;

/** TICK_FLAG_* bits of MQL5's MqlTick.flags (one definition, in the engine's market types). */
export { TICK_FLAG } from '../../market/types';
