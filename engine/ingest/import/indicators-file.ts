import { InvalidInputError, isAppError } from '../../../core/errors';
import { indicatorCsvLines, type IndicatorCsvBar } from '../../indicators';
import { parseFile } from '../mt5/parse-file';
import type { FormatName, Mt5Timeframe } from '../mt5/types';

export interface IndicatorsFileOptions {
  /** Default 'auto'. Tick formats are refused: indicators need bars. */
  format?: 'auto' | FormatName;
  /** Broker server time − UTC in minutes (default 0: the file's times are taken as UTC). */
  tzOffsetMinutes?: number;
  /** For symbol/timeframe inference and messages. */
  fileName?: string;
}

export interface IndicatorsFileResult {
  format: FormatName;
  symbol: string | null;
  timeframe: Mt5Timeframe | null;
  /** Bars written as CSV rows. */
  bars: number;
  /**
   * Lines not used: the parser's reject reasons, plus `out_of_order` for a bar not later than
   * the one before it (indicators need the bars in time order).
   */
  rejected: Record<string, number>;
}

/** Bytes of CSV collected before one `write` (fewer, larger writes to a pipe or file). */
const WRITE_CHUNK_CHARS = 64 * 1024;

/**
 * Streams a bars file (any bar format `parseFile` reads) into DESIGN.md's indicators CSV:
 * header, then one row per bar with `time` as ISO-8601 UTC (`2025-06-22T21:00:00.000Z`) and
 * empty cells while an indicator warms up. Memory stays bounded by one bar plus the
 * indicators' windows; `write` is awaited, so a slow reader holds the parser back.
 */
export async function writeIndicatorsCsv(
  stream: AsyncIterable<unknown>,
  write: (chunk: string) => Promise<void> | void,
  options: IndicatorsFileOptions = {},
): Promise<IndicatorsFileResult> {
  const parse = parseFile(stream, {
    format: options.format ?? 'auto',
    tzOffsetMinutes: options.tzOffsetMinutes ?? 0,
    ...(options.fileName !== undefined ? { fileName: options.fileName } : {}),
  });
  const name = options.fileName ?? 'the input';
  const feed = new OneSlotFeed<IndicatorCsvBar>();
  // indicatorCsvLines pulls bars synchronously; the feed hands it one bar per pull.
  const lines = indicatorCsvLines(feed);
  let out = `${lines.next().value as string}\n`;
  const rejected: Record<string, number> = {};
  let bars = 0;
  let previousMs = -Infinity;
  for await (const record of named(parse, name)) {
    if (record.kind === 'reject') {
      rejected[record.reason] = (rejected[record.reason] ?? 0) + 1;
      continue;
    }
    if (record.kind === 'tick') {
      throw new InvalidInputError('not_bars', `${name} holds ticks (${parse.info?.format ?? 'ticks'}), not bars: indicators need a bars file (mt5-bars or histdata)`);
    }
    if (record.timeMs <= previousMs) {
      rejected.out_of_order = (rejected.out_of_order ?? 0) + 1;
      continue;
    }
    previousMs = record.timeMs;
    feed.put({ time: new Date(record.timeMs).toISOString(), close: record.close });
    const row = lines.next();
    if (row.done) throw new Error('indicatorCsvLines ended before its input');
    out += `${row.value}\n`;
    bars += 1;
    if (out.length >= WRITE_CHUNK_CHARS) {
      await write(out);
      out = '';
    }
  }
  feed.end();
  lines.next();
  if (out.length > 0) await write(out);
  const summary = parse.summary!;
  if (summary.format === 'mt5-ticks' || summary.format === 'ea-json') {
    throw new InvalidInputError('not_bars', `${name} is a ${summary.format} file, not bars: indicators need a bars file (mt5-bars or histdata)`);
  }
  return { format: summary.format, symbol: summary.symbol, timeframe: summary.timeframe, bars, rejected };
}

/** The parser's records; its unknown-format error gets the file's name in front. */
async function* named<T>(records: AsyncIterable<T>, name: string): AsyncGenerator<T> {
  try {
    yield* records;
  } catch (error) {
    if (isAppError(error) && error.code === 'unknown_file_format') throw new InvalidInputError(error.code, `${name}: ${error.message}`, error.details);
    throw error;
  }
}

/**
 * A synchronous iterable fed from outside, one value at a time: `put` then let the consumer
 * pull once. Lets an async source drive a sync generator without buffering.
 */
class OneSlotFeed<T> implements Iterable<T> {
  private value: T | undefined;
  private has = false;
  private ended = false;

  put(value: T): void {
    this.value = value;
    this.has = true;
  }

  end(): void {
    this.ended = true;
  }

  [Symbol.iterator](): Iterator<T> {
    return {
      next: (): IteratorResult<T> => {
        if (this.has) {
          this.has = false;
          return { value: this.value as T, done: false };
        }
        if (this.ended) return { value: undefined, done: true };
        throw new Error('OneSlotFeed pulled while empty');
      },
    };
  }
}
