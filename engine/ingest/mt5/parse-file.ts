import { StringDecoder } from 'node:string_decoder';
import { InvalidInputError } from '../../../core/errors';
import { EXPECTED_FORMATS, SNIFF_BYTES, expectedFormatsText, sniff } from './detect';
import { EaJsonScanner, eaTickToRecord } from './ea-json';
import { snippet } from './fields';
import { inferFromFileName, timeframeFromSpacing } from './naming';
import { createBarRowParser, createHistDataRowParser, createTickRowParser, parseMt5Header, type RowParser } from './rows';
import { LineSplitter, byteChunks, decodeChunks, readPrefix, type TextLine } from './text-lines';
import type { Format, FormatName, Mt5Timeframe, ParsedRecord, TextEncodingName } from './types';

export interface ParseFileOptions {
  /** Default 'auto': detected from the first bytes. An explicit format must match the file. */
  format?: 'auto' | FormatName;
  /**
   * Broker server time minus UTC, in minutes (+120 for a UTC+2 server). Subtracted from every
   * timestamp. Required: MT5 files carry server time and never say which zone that is (the EA
   * JSON's `broker_utc_offset_hours` is known to be wrong, so it is not trusted).
   */
  tzOffsetMinutes: number;
  /** Symbol of the data; otherwise taken from the file name (or the EA JSON's metadata). */
  symbol?: string;
  /** File name for symbol/timeframe inference; defaults to the stream's `path` (fs.ReadStream). */
  fileName?: string;
  /** Longest accepted line in characters (default 64 KiB); longer lines are rejected `line_too_long`. */
  maxLineChars?: number;
}

/** What is known about the file once parsing has started. */
export interface FileInfo {
  format: FormatName;
  encoding: TextEncodingName;
  symbol: string | null;
  /** Bar timeframe from the file name; the summary falls back to the spacing of the bars. */
  timeframe: Mt5Timeframe | null;
}

export interface ParseSummary extends FileInfo {
  /** Data lines (or JSON tick elements) read: accepted + rejected. */
  rows: number;
  accepted: number;
  rejected: Record<string, number>;
  /** Earliest and latest accepted UTC timestamp. */
  fromMs: number | null;
  toMs: number | null;
}

/**
 * An async generator of records whose return value is the summary. `info` is set before the
 * first record is yielded, `summary` once the stream is exhausted.
 */
export type FileParse = AsyncGenerator<ParsedRecord, ParseSummary, undefined> & {
  readonly info: FileInfo | undefined;
  readonly summary: ParseSummary | undefined;
};

/**
 * As FileParse, by the chunk read: each step yields the records of one chunk, parsed as they
 * are pulled. A batch must be iterated to its end before the next step is asked for (the
 * parser's state runs on from its last line); asking earlier throws.
 */
export type FileBatchParse = AsyncGenerator<Iterable<ParsedRecord>, ParseSummary, undefined> & {
  readonly info: FileInfo | undefined;
  readonly summary: ParseSummary | undefined;
};

const DEFAULT_MAX_LINE_CHARS = 64 * 1024;
/** Real broker offsets lie within UTC−12…UTC+14; anything beyond a day is a unit mistake. */
const MAX_OFFSET_MINUTES = 24 * 60;

/**
 * Streams an MT5 history file (or HistData CSV, or the EA's tick JSON) into bar/tick records,
 * line by line, with memory bounded by one line whatever the file size. Malformed lines come
 * out as `reject` records and never stop the stream. Throws InvalidInputError (on the first
 * `next()`) when the file is in no known format, naming the formats and the line.
 */
export function parseFile(stream: AsyncIterable<unknown>, options: ParseFileOptions): FileParse {
  const batches = parseFileBatches(stream, options);
  const generator = (async function* (): AsyncGenerator<ParsedRecord, ParseSummary, undefined> {
    try {
      for (;;) {
        const next = await batches.next();
        if (next.done) return next.value;
        for (const record of next.value) yield record;
      }
    } finally {
      // Stops the underlying stream when the consumer breaks out early.
      await batches.return(undefined as never);
    }
  })();
  return withState(generator, batches);
}

/**
 * parseFile by the chunk (see FileBatchParse): a consumer that handles a chunk's records
 * without awaiting between them (the importer) pays one await per chunk instead of several
 * per record, and keeps one record alive at a time, so records die in the young generation
 * instead of being promoted (and V8 pretenuring their allocation sites). Same errors, `info`
 * and `summary` as parseFile.
 */
export function parseFileBatches(stream: AsyncIterable<unknown>, options: ParseFileOptions): FileBatchParse {
  const offset = options.tzOffsetMinutes;
  if (!Number.isInteger(offset) || Math.abs(offset) > MAX_OFFSET_MINUTES) {
    throw new InvalidInputError('invalid_tz_offset', `tzOffsetMinutes must be a whole number of minutes within ±${MAX_OFFSET_MINUTES}, got ${String(offset)}`);
  }
  const format = options.format ?? 'auto';
  if (format !== 'auto' && !(format in EXPECTED_FORMATS)) {
    throw new InvalidInputError('invalid_format', `format must be one of auto, ${Object.keys(EXPECTED_FORMATS).join(', ')}; got ${String(format)}`);
  }
  const state: { info?: FileInfo; summary?: ParseSummary } = {};
  return withState(run(stream, { ...options, format }, state), state);
}

function withState<G extends object>(generator: G, state: { readonly info?: FileInfo | undefined; readonly summary?: ParseSummary | undefined }): G & {
  readonly info: FileInfo | undefined;
  readonly summary: ParseSummary | undefined;
} {
  return Object.defineProperties(generator, {
    info: { get: () => state.info, enumerable: true },
    summary: { get: () => state.summary, enumerable: true },
  }) as G & { readonly info: FileInfo | undefined; readonly summary: ParseSummary | undefined };
}

function fileNameOf(stream: unknown, options: ParseFileOptions): string | null {
  if (options.fileName) return options.fileName;
  const path = (stream as { path?: unknown }).path;
  if (typeof path === 'string') return path;
  if (Buffer.isBuffer(path)) return path.toString();
  return null;
}

function unknownFormat(lineNo: number, line: string, detail?: string): InvalidInputError {
  const what = detail ?? `is not in a known history format (${JSON.stringify(snippet(line, 60))})`;
  return new InvalidInputError('unknown_file_format', `Line ${lineNo} ${what}. Expected one of: ${expectedFormatsText()}.`, {
    line: lineNo,
    expected: Object.keys(EXPECTED_FORMATS),
  });
}

async function* run(
  source: AsyncIterable<unknown>,
  options: ParseFileOptions & { format: 'auto' | FormatName },
  state: { info?: FileInfo; summary?: ParseSummary },
): AsyncGenerator<Iterable<ParsedRecord>, ParseSummary, undefined> {
  const iterator = byteChunks(source);
  try {
    const { prefix } = await readPrefix(iterator, SNIFF_BYTES);
    const sniffed = sniff(prefix);
    if (prefix.length === 0 || (sniffed.encoding && sniffed.line.trim() === '' && sniffed.format === null)) {
      throw unknownFormat(1, '', 'is empty: the file has no data');
    }
    if (!sniffed.encoding) throw unknownFormat(1, '', 'starts with a byte-order mark of an encoding MT5 does not write (UTF-16BE or UTF-32)');
    let format: Format;
    if (options.format === 'auto') {
      if (!sniffed.format) throw unknownFormat(sniffed.lineNo, sniffed.line);
      format = sniffed.format;
    } else if (sniffed.format && sniffed.format.name !== options.format) {
      throw unknownFormat(sniffed.lineNo, sniffed.line, `looks like ${sniffed.format.name}, not the ${options.format} format asked for (${EXPECTED_FORMATS[options.format]})`);
    } else if (!sniffed.format && options.format !== 'histdata') {
      throw unknownFormat(sniffed.lineNo, sniffed.line, `is not a valid start of ${EXPECTED_FORMATS[options.format]}`);
    } else {
      format = { name: options.format, ...sniffed.encoding };
    }

    const fromName = inferFromFileName(fileNameOf(source, options) ?? '');
    const info: FileInfo = {
      format: format.name,
      encoding: format.encoding,
      symbol: options.symbol ?? fromName.symbol,
      timeframe: format.name === 'mt5-bars' || format.name === 'histdata' ? fromName.timeframe : null,
    };
    state.info = info;

    const tally = new Tally();
    const chunks = (async function* () {
      yield prefix;
      yield* iterator;
    })();
    const offsetMs = options.tzOffsetMinutes * 60_000;
    const batches =
      format.name === 'ea-json'
        ? eaJsonRecords(chunks, format, offsetMs, info, options.symbol !== undefined)
        : lineRecords(chunks, format, offsetMs, options.maxLineChars ?? DEFAULT_MAX_LINE_CHARS);
    for await (const records of batches) {
      const batch = new TalliedBatch(records, tally);
      yield batch;
      if (!batch.done) throw new Error('parseFileBatches: a batch was not read to its end before the next was asked for');
    }
    const summary: ParseSummary = {
      ...info,
      timeframe: info.timeframe ?? (tally.minGapMs === null ? null : timeframeFromSpacing(tally.minGapMs)),
      rows: tally.rows,
      accepted: tally.accepted,
      rejected: tally.rejected,
      fromMs: tally.fromMs,
      toMs: tally.toMs,
    };
    state.summary = summary;
    return summary;
  } finally {
    // Stops the underlying stream when the consumer breaks out early.
    await iterator.return(undefined);
  }
}

async function* lineRecords(chunks: AsyncIterable<Buffer>, format: Format, offsetMs: number, maxLineChars: number): AsyncGenerator<Iterable<ParsedRecord>> {
  let parseRow: RowParser | null = format.name === 'histdata' ? createHistDataRowParser(offsetMs) : null;
  const splitter = new LineSplitter(maxLineChars);
  function* records(lines: Iterable<TextLine>): Generator<ParsedRecord, void, undefined> {
    for (const line of lines) {
      if (line.tooLong) {
        yield { kind: 'reject', line: line.lineNo, reason: 'line_too_long', text: '' };
        continue;
      }
      if (line.text.trim() === '') continue;
      if (parseRow === null) {
        // The first non-blank line is the header (sniffing already checked it).
        const header = parseMt5Header(line.text);
        if (!header || header.kind !== format.name) throw unknownFormat(line.lineNo, line.text);
        parseRow = header.kind === 'mt5-bars' ? createBarRowParser(header, offsetMs) : createTickRowParser(header, offsetMs);
        continue;
      }
      yield parseRow(line.text, line.lineNo);
    }
  }
  for await (const text of decodeChunks(chunks, format.encoding, format.bomBytes)) yield records(splitter.lines(text));
  const last = splitter.finish();
  if (last) yield records([last]);
}

async function* eaJsonRecords(
  chunks: AsyncIterable<Buffer>,
  format: Format,
  offsetMs: number,
  info: FileInfo,
  symbolGiven: boolean,
): AsyncGenerator<Iterable<ParsedRecord>> {
  const decoder = new StringDecoder(format.encoding === 'utf-16le' ? 'utf16le' : 'utf8');
  const scanner = new EaJsonScanner();
  let toSkip = format.bomBytes;
  const handle = (text: string): ParsedRecord[] => {
    let events;
    try {
      events = scanner.feed(text);
    } catch (error) {
      throw unknownFormat(1, '', `is not an EA tick JSON document: ${(error as Error).message}`);
    }
    const records: ParsedRecord[] = [];
    for (const event of events) {
      if (event.kind === 'tick') records.push(eaTickToRecord(event.json, event.line, offsetMs));
      else if (event.kind === 'reject') records.push({ kind: 'reject', line: event.line, reason: event.reason, text: event.text });
      else {
        // The capture's own metadata names the symbol more reliably than a file name.
        const symbol = (event.value as { symbol?: unknown } | null)?.symbol;
        if (!symbolGiven && typeof symbol === 'string' && symbol !== '') info.symbol = symbol;
      }
    }
    return records;
  };
  for await (let chunk of chunks) {
    if (toSkip > 0) {
      const skipped = Math.min(toSkip, chunk.length);
      chunk = chunk.subarray(skipped);
      toSkip -= skipped;
    }
    const records = handle(decoder.write(chunk));
    if (records.length > 0) yield records;
  }
  const records = handle(decoder.end());
  for (const event of scanner.end()) {
    if (event.kind === 'reject') records.push({ kind: 'reject', line: event.line, reason: event.reason, text: event.text });
  }
  if (records.length > 0) yield records;
  if (!scanner.foundTicks) throw unknownFormat(1, '', 'starts a JSON document without a "ticks" array');
}

/** One batch of records, counted into the tally as the consumer reads them. */
class TalliedBatch implements Iterable<ParsedRecord> {
  /** The consumer read every record. */
  done = false;

  constructor(
    private readonly records: Iterable<ParsedRecord>,
    private readonly tally: Tally,
  ) {}

  *[Symbol.iterator](): Generator<ParsedRecord, void, undefined> {
    for (const record of this.records) {
      this.tally.add(record);
      yield record;
    }
    this.done = true;
  }
}

class Tally {
  rows = 0;
  accepted = 0;
  rejected: Record<string, number> = {};
  fromMs: number | null = null;
  toMs: number | null = null;
  minGapMs: number | null = null;
  private previousBarMs: number | null = null;

  add(record: ParsedRecord): void {
    this.rows += 1;
    if (record.kind === 'reject') {
      this.rejected[record.reason] = (this.rejected[record.reason] ?? 0) + 1;
      return;
    }
    this.accepted += 1;
    const time = record.timeMs;
    if (this.fromMs === null || time < this.fromMs) this.fromMs = time;
    if (this.toMs === null || time > this.toMs) this.toMs = time;
    if (record.kind === 'bar') {
      if (this.previousBarMs !== null) {
        const gap = time - this.previousBarMs;
        if (gap > 0 && (this.minGapMs === null || gap < this.minGapMs)) this.minGapMs = gap;
      }
      this.previousBarMs = time;
    }
  }
}
