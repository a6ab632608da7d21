import { parseCount, parseDate, parseNumber, parseTimeOfDay, snippet } from './fields';
import type { BarRecord, ParsedRecord, RejectRecord } from './types';

/** Parses one data line of a known layout; never throws, bad lines become reject records. */
export type RowParser = (text: string, lineNo: number) => ParsedRecord;

export interface Mt5Header {
  kind: 'mt5-bars' | 'mt5-ticks';
  delimiter: string;
  /** Column names without the angle brackets, upper case (`DATE`, `TICKVOL`, …). */
  columns: string[];
}

const HEADER_CELL = /^<([A-Z_]+)>$/;

/**
 * Recognizes the header MT5's "Export bars" / "Export ticks" writes: `<NAME>` cells separated
 * by tabs (MT5's own choice), or by `;` / `,` when a spreadsheet re-saved the file.
 */
export function parseMt5Header(line: string): Mt5Header | null {
  const text = line.trim();
  if (!text.startsWith('<')) return null;
  const delimiter = text.includes('\t') ? '\t' : text.includes(';') ? ';' : ',';
  const columns: string[] = [];
  for (const cell of text.split(delimiter)) {
    const match = HEADER_CELL.exec(cell.trim().toUpperCase());
    if (!match?.[1]) return null;
    columns.push(match[1]);
  }
  const has = (name: string) => columns.includes(name);
  if (has('DATE') && has('TIME') && has('BID') && has('ASK')) return { kind: 'mt5-ticks', delimiter, columns };
  if (has('DATE') && has('OPEN') && has('HIGH') && has('LOW') && has('CLOSE')) return { kind: 'mt5-bars', delimiter, columns };
  return null;
}

function reject(lineNo: number, reason: string, text: string): RejectRecord {
  return { kind: 'reject', line: lineNo, reason, text: snippet(text) };
}

interface BarCells {
  date: string;
  time: string | undefined;
  open: string;
  high: string;
  low: string;
  close: string;
  tickVolume: string | undefined;
  volume: string | undefined;
  spread: string | undefined;
}

/** Validates the cells of one bar; the broker-time → UTC shift is `offsetMs`. */
function toBar(cells: BarCells, offsetMs: number, lineNo: number, text: string): BarRecord | RejectRecord {
  const day = parseDate(cells.date.trim());
  if (Number.isNaN(day)) return reject(lineNo, 'bad_date', text);
  const time = cells.time === undefined ? 0 : parseTimeOfDay(cells.time.trim());
  if (Number.isNaN(time)) return reject(lineNo, 'bad_time', text);
  const open = parseNumber(cells.open.trim());
  if (Number.isNaN(open)) return reject(lineNo, 'bad_number:open', text);
  const high = parseNumber(cells.high.trim());
  if (Number.isNaN(high)) return reject(lineNo, 'bad_number:high', text);
  const low = parseNumber(cells.low.trim());
  if (Number.isNaN(low)) return reject(lineNo, 'bad_number:low', text);
  const close = parseNumber(cells.close.trim());
  if (Number.isNaN(close)) return reject(lineNo, 'bad_number:close', text);
  const tickVolume = cells.tickVolume === undefined ? 0 : parseCount(cells.tickVolume.trim());
  if (Number.isNaN(tickVolume)) return reject(lineNo, 'bad_number:tickvol', text);
  const volume = cells.volume === undefined ? 0 : parseNumber(cells.volume.trim());
  if (Number.isNaN(volume) || volume < 0) return reject(lineNo, 'bad_number:vol', text);
  const spreadPoints = cells.spread === undefined ? 0 : parseCount(cells.spread.trim());
  if (Number.isNaN(spreadPoints)) return reject(lineNo, 'bad_number:spread', text);
  if (high < low) return reject(lineNo, 'high_below_low', text);
  if (open > high || open < low) return reject(lineNo, 'open_outside_range', text);
  if (close > high || close < low) return reject(lineNo, 'close_outside_range', text);
  return { kind: 'bar', timeMs: day + time - offsetMs, open, high, low, close, tickVolume, volume, spreadPoints };
}

/** Rows of an MT5 "Export bars" file (with `<TIME>`, or date-only for D1 and above). */
export function createBarRowParser(header: Mt5Header, offsetMs: number): RowParser {
  const index = (name: string) => header.columns.indexOf(name);
  const at = (cells: string[], i: number) => (i === -1 ? undefined : cells[i]);
  const [iDate, iTime, iOpen, iHigh, iLow, iClose] = ['DATE', 'TIME', 'OPEN', 'HIGH', 'LOW', 'CLOSE'].map(index) as [number, number, number, number, number, number];
  const [iTickVol, iVol, iSpread] = ['TICKVOL', 'VOL', 'SPREAD'].map(index) as [number, number, number];
  const width = header.columns.length;
  return (text, lineNo) => {
    const cells = text.split(header.delimiter);
    if (cells.length !== width) return reject(lineNo, 'column_count', text);
    return toBar(
      {
        date: cells[iDate] ?? '',
        time: at(cells, iTime),
        open: cells[iOpen] ?? '',
        high: cells[iHigh] ?? '',
        low: cells[iLow] ?? '',
        close: cells[iClose] ?? '',
        tickVolume: at(cells, iTickVol),
        volume: at(cells, iVol),
        spread: at(cells, iSpread),
      },
      offsetMs,
      lineNo,
      text,
    );
  };
}

/**
 * Rows of an MT5 "Export ticks" file. MT5 writes only the fields a tick changed and leaves
 * the other cells empty; like MqlTick, a tick's bid/ask/last are the current quote, so an
 * empty price cell carries the previous line's value forward (last starts at 0, as MT5
 * reports for symbols without trades). An empty VOLUME is 0, not carried: it is the volume
 * of this tick's trade, and carrying it would count a trade twice when bars are built.
 * A bid or ask before the first value for it has nothing to carry → `missing_bid`/`missing_ask`.
 */
export function createTickRowParser(header: Mt5Header, offsetMs: number): RowParser {
  const index = (name: string) => header.columns.indexOf(name);
  const [iDate, iTime, iBid, iAsk, iLast, iVolume, iFlags] = ['DATE', 'TIME', 'BID', 'ASK', 'LAST', 'VOLUME', 'FLAGS'].map(index) as [
    number, number, number, number, number, number, number,
  ];
  const width = header.columns.length;
  let bid = Number.NaN;
  let ask = Number.NaN;
  let last = 0;
  const cell = (cells: string[], i: number) => (i === -1 ? '' : (cells[i] ?? '').trim());
  return (text, lineNo) => {
    const cells = text.split(header.delimiter);
    if (cells.length !== width) return reject(lineNo, 'column_count', text);
    const day = parseDate(cell(cells, iDate));
    if (Number.isNaN(day)) return reject(lineNo, 'bad_date', text);
    const time = parseTimeOfDay(cell(cells, iTime));
    if (Number.isNaN(time)) return reject(lineNo, 'bad_time', text);
    const prices: Array<[string, number, number]> = [
      ['bid', iBid, bid],
      ['ask', iAsk, ask],
      ['last', iLast, last],
    ];
    const values: number[] = [];
    for (const [name, i, previous] of prices) {
      const raw = cell(cells, i);
      if (raw === '') {
        if (Number.isNaN(previous)) return reject(lineNo, `missing_${name}`, text);
        values.push(previous);
        continue;
      }
      const value = parseNumber(raw);
      if (Number.isNaN(value)) return reject(lineNo, `bad_number:${name}`, text);
      values.push(value);
    }
    const rawVolume = cell(cells, iVolume);
    const volume = rawVolume === '' ? 0 : parseNumber(rawVolume);
    if (Number.isNaN(volume) || volume < 0) return reject(lineNo, 'bad_number:volume', text);
    const rawFlags = cell(cells, iFlags);
    const flags = rawFlags === '' ? 0 : parseCount(rawFlags);
    if (Number.isNaN(flags)) return reject(lineNo, 'bad_number:flags', text);
    [bid, ask, last] = values as [number, number, number];
    return { kind: 'tick', timeMs: day + time - offsetMs, bid, ask, last, volume, flags };
  };
}

/**
 * Headerless bar CSV as HistData.com and MT4 write it:
 * - "MetaTrader" layout `YYYY.MM.DD,HH:MM,open,high,low,close,volume` (volume optional);
 * - "Generic ASCII" layout `YYYYMMDD HHMMSS;open;high;low;close;volume`.
 * The volume is a tick count. (HistData.com stamps bars in EST without DST: offset −300.)
 */
export function createHistDataRowParser(offsetMs: number): RowParser {
  return (text, lineNo) => {
    if (text.includes(';')) {
      const cells = text.split(';');
      if (cells.length !== 5 && cells.length !== 6) return reject(lineNo, 'column_count', text);
      const [date = '', time = ''] = (cells[0] ?? '').trim().split(' ');
      return toBar(
        { date, time, open: cells[1] ?? '', high: cells[2] ?? '', low: cells[3] ?? '', close: cells[4] ?? '', tickVolume: cells[5], volume: undefined, spread: undefined },
        offsetMs,
        lineNo,
        text,
      );
    }
    const cells = text.split(',');
    if (cells.length !== 6 && cells.length !== 7) return reject(lineNo, 'column_count', text);
    return toBar(
      { date: cells[0] ?? '', time: cells[1] ?? '', open: cells[2] ?? '', high: cells[3] ?? '', low: cells[4] ?? '', close: cells[5] ?? '', tickVolume: cells[6], volume: undefined, spread: undefined },
      offsetMs,
      lineNo,
      text,
    );
  };
}
