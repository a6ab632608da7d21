import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError, NotFoundError, isAppError } from '../../../core/errors';
import type { Logger } from '../../../core/logger';
import type { MarketDataRepository } from '../../../db';
// Modules of mt5, not its index: the index also loads the bridge protocol's schemas and zod
// (≈ 10 MiB of RSS), which `tradepilot import` would carry into its peak for nothing.
import { timeframeFromSpacing } from '../mt5/naming';
import { parseFileBatches, type ParseSummary } from '../mt5/parse-file';
import type { FormatName, Mt5Timeframe, ParsedRecord } from '../mt5/types';
import type { SourceRegistry } from './sources';
import { formatTzOffset } from './tz-offset';

/**
 * Rows per insert. ClickHouse wants inserts of thousands of rows (each makes a part). On
 * chDB the insert runs inside our process and its transient memory grows with the batch
 * (chDB's binding copies the body, the engine parses, sorts and writes it while background
 * merges run): a 1M-row import peaked at ≈ 292 MiB RSS with 5,000, ≈ 300 MiB with 10,000 and
 * ≈ 305 MiB with 20,000, at ≈ 200k, 230k and 250k rows/s.
 */
export const DEFAULT_IMPORT_BATCH = 5_000;
/** How often (in records) progress is reported while parsing. */
const PROGRESS_EVERY = 2_000;
/**
 * Read size. A chunk's text and buffer stay alive while its lines are parsed; at 16 KiB that
 * is a small part of V8's young generation (which `tradepilot import` keeps at its start
 * size), so they die there. At 64 KiB they outlived two young collections and the promoted
 * buffers waited for a major GC: a 1M-row import peaked ≈ 22 MiB higher, ≈ 5 % faster.
 */
const READ_CHUNK_BYTES = 16 * 1024;
/**
 * Rows between two calls of `collectGarbage`. Each batch leaves a little behind in V8's old
 * generation (what was alive across an insert's await), and V8 lets that garbage grow for
 * many seconds before a full collection: on a 10M-row import the old generation climbed from
 * 13 to 19 MiB with 12 MiB alive. A full collection of this heap takes a few milliseconds,
 * so one per 500k rows (every 2-3 s) costs well under 1 %.
 */
export const COLLECT_EVERY_ROWS = 500_000;

export interface ImportProgress {
  /** The file's path or name, as given. */
  file: string;
  bytesRead: number;
  /** Size of the file; null when the input is a stream of unknown length. */
  totalBytes: number | null;
  /** Records read so far (accepted + rejected). */
  rows: number;
  accepted: number;
  rejected: number;
  /** Rows handed to ClickHouse so far. */
  inserted: number;
  elapsedMs: number;
}

export interface ImportOptions {
  /** Default 'auto' (detected from the first bytes). */
  format?: 'auto' | FormatName;
  /** Overrides the symbol from the file name (or the EA JSON's metadata). */
  symbol?: string;
  /**
   * Broker server time − UTC in minutes. Unset: the offset stored for this source by an earlier
   * import, else 0 (the file's times taken as UTC). Either way the offset used is stored.
   */
  tzOffsetMinutes?: number;
  /** Bars only: overrides the timeframe from the file name or the bars' spacing. */
  timeframe?: Mt5Timeframe;
  batchSize?: number;
  /** Called every few thousand records and once at the end; keep it cheap. */
  onProgress?: (progress: ImportProgress) => void;
}

export interface ImportInput {
  /** The bytes of the file. */
  stream: AsyncIterable<unknown>;
  /** File name or path: names the source (`import:<basename>`) and may carry symbol and timeframe. */
  name: string;
  sizeBytes?: number | null;
}

export interface ImportResult {
  file: string;
  /** `import:<file basename>`: stored on every tick and in the `sources` table. */
  source: string;
  format: FormatName;
  kind: 'bars' | 'ticks';
  symbol: string | null;
  /** Bars only. */
  timeframe: Mt5Timeframe | null;
  tzOffsetMinutes: number;
  /** Where the offset came from: the caller, the source's stored offset, or the UTC default. */
  tzOffsetFrom: 'option' | 'stored' | 'default';
  rows: number;
  accepted: number;
  rejected: Record<string, number>;
  /** Earliest and latest accepted time, epoch ms UTC. */
  fromMs: number | null;
  toMs: number | null;
  /** Rows sent to ClickHouse (= accepted). */
  inserted: number;
  bytes: number;
  elapsedMs: number;
  /** Things the user should know that did not stop the import. */
  warnings: string[];
}

export interface ImporterDeps {
  marketData: MarketDataRepository;
  sources: SourceRegistry;
  logger: Logger;
  /** Clock for elapsed times (tests); default performance.now. */
  now?: () => number;
  /**
   * A full garbage collection (V8's `gc`), run every few hundred thousand rows to keep a long
   * import's peak memory flat; `tradepilot import` exposes it. Absent: V8 decides alone.
   */
  collectGarbage?: () => void;
  /** Rows between two `collectGarbage` calls; default COLLECT_EVERY_ROWS. */
  collectEveryRows?: number;
}

export interface Importer {
  /** Imports one file from disk; NotFoundError / InvalidInputError when it cannot be read. */
  importFile(filePath: string, options?: ImportOptions): Promise<ImportResult>;
  /** Imports from any byte stream (an upload, a pipe). */
  importStream(input: ImportInput, options?: ImportOptions): Promise<ImportResult>;
}

/** The source name of an imported file. */
export function sourceNameFor(fileName: string): string {
  return `import:${path.basename(fileName)}`;
}

/**
 * Checks that `filePath` is a readable regular file and returns its size; one clear error
 * otherwise (NotFoundError for a missing file, InvalidInputError for a directory).
 */
export async function checkImportFile(filePath: string): Promise<number> {
  let info;
  try {
    info = await stat(filePath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new NotFoundError('file_not_found', `no such file: ${filePath}`);
    if (code === 'EACCES' || code === 'EPERM') throw new InvalidInputError('file_unreadable', `cannot read ${filePath}: permission denied`);
    throw error;
  }
  if (info.isDirectory()) throw new InvalidInputError('file_is_directory', `${filePath} is a directory, not a file`);
  return info.size;
}

/**
 * The import service: streams a history file through `parseFileBatches` and writes its bars or
 * ticks to ClickHouse in batches, with one batch being written while the next is parsed
 * (so memory holds at most two batches whatever the file size).
 *
 * Re-running is the recovery: ticks and bars are ReplacingMergeTree tables keyed by the
 * row's identity, so re-importing a file — whole, after a run that was killed or failed
 * half-way, or again later — replaces the rows already there instead of adding copies, as
 * long as symbol, timeframe and offset are the same (an unset offset reuses the stored one).
 */
export function createImporter(deps: ImporterDeps): Importer {
  const now = deps.now ?? (() => performance.now());
  const collectEvery = deps.collectEveryRows ?? COLLECT_EVERY_ROWS;

  async function importStream(input: ImportInput, options: ImportOptions = {}): Promise<ImportResult> {
    const started = now();
    const batchSize = options.batchSize ?? DEFAULT_IMPORT_BATCH;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new InvalidInputError('usage', `batch size must be a whole number ≥ 1, got ${String(batchSize)}`);
    const source = sourceNameFor(input.name);
    const log = deps.logger.child({ job: 'import', source });
    const warnings: string[] = [];

    const stored = await deps.sources.get(source);
    let tzOffsetMinutes: number;
    let tzOffsetFrom: ImportResult['tzOffsetFrom'];
    if (options.tzOffsetMinutes !== undefined) {
      tzOffsetMinutes = options.tzOffsetMinutes;
      tzOffsetFrom = 'option';
      if (stored && stored.tzOffsetMinutes !== tzOffsetMinutes) {
        warnings.push(
          `${source} was imported before with offset ${formatTzOffset(stored.tzOffsetMinutes)}; rows stored then keep that conversion (they are not replaced by rows converted with ${formatTzOffset(tzOffsetMinutes)})`,
        );
      }
    } else if (stored) {
      tzOffsetMinutes = stored.tzOffsetMinutes;
      tzOffsetFrom = 'stored';
    } else {
      tzOffsetMinutes = 0;
      tzOffsetFrom = 'default';
    }

    const counter = { bytes: 0 };
    const parse = parseFileBatches(countBytes(input.stream, counter), {
      format: options.format ?? 'auto',
      tzOffsetMinutes,
      fileName: input.name,
      ...(options.symbol !== undefined ? { symbol: options.symbol } : {}),
    });

    // Decided when the first batch is written (see resolveTarget); an object, because closures set it.
    const target: { kind: 'bars' | 'ticks' | null; symbol: string | null; timeframe: Mt5Timeframe | null; inferred: boolean } = {
      kind: null,
      symbol: null,
      timeframe: null,
      inferred: false,
    };
    // Created with the first row, by the file's kind; rows are encoded into it as they are
    // parsed, so a batch is bytes, not objects (symbol and timeframe are added when it is sent).
    let bars: ReturnType<MarketDataRepository['bulkInsertBars']> | null = null;
    let ticks: ReturnType<MarketDataRepository['bulkInsertTicks']> | null = null;
    let inserted = 0;
    let rows = 0;
    let accepted = 0;
    let rejected = 0;
    // Bar spacing seen so far, for the timeframe when neither the caller nor the name gives it.
    let previousBarMs: number | null = null;
    let minGapMs: number | null = null;
    let pending: Promise<void> | null = null;
    let insertError: unknown = null;
    // Bars: the calendar month (UTC) being read, and the months left since the last flush,
    // which that flush compacts once its rows are in (see compactBarMonth).
    let monthStartMs = Number.NaN;
    let monthEndMs = Number.NaN;
    let monthsLeft: number[] = [];
    let compacting = true;

    const progress = () =>
      options.onProgress?.({
        file: input.name,
        bytesRead: counter.bytes,
        totalBytes: input.sizeBytes ?? null,
        rows,
        accepted,
        rejected,
        inserted,
        elapsedMs: now() - started,
      });

    /** Decides symbol and timeframe and records the source: once, before the first row is written. */
    const resolveTarget = async () => {
      const info = parse.info;
      const symbol = options.symbol ?? info?.symbol ?? null;
      if (symbol === null) {
        throw new InvalidInputError('symbol_unknown', `${input.name}: cannot tell the symbol (the file name does not say): give it (--symbol)`);
      }
      if (target.kind === 'bars') {
        const fromName = info?.timeframe ?? null;
        if (options.timeframe !== undefined) {
          target.timeframe = options.timeframe;
          if (fromName !== null && fromName !== options.timeframe) warnings.push(`${input.name}: the file name says ${fromName}, imported as ${options.timeframe} as asked`);
        } else if (fromName !== null) {
          target.timeframe = fromName;
        } else {
          target.timeframe = minGapMs === null ? null : timeframeFromSpacing(minGapMs);
          target.inferred = true;
          if (target.timeframe === null) {
            const why = minGapMs === null ? 'there are too few bars to tell from their spacing' : `the bars' spacing (${minGapMs / 1000} s) is no MT5 timeframe`;
            throw new InvalidInputError('timeframe_unknown', `${input.name}: cannot tell the bars' timeframe (the file name has none and ${why}): give it (--timeframe)`);
          }
        }
      }
      // Recorded before any row, so that the offset of rows a killed run left behind is known.
      await deps.sources.put({ source, symbol, tzOffsetMinutes });
      target.symbol = symbol;
    };

    const flush = async () => {
      const rowCount = (bars?.pending ?? 0) + (ticks?.pending ?? 0);
      if (rowCount === 0) return;
      if (pending) await pending;
      if (insertError) throw insertError;
      if (target.symbol === null) await resolveTarget();
      const symbol = target.symbol!;
      // Starts the insert at once (the batch's rows leave the encoder now); it runs while the
      // next batch is parsed and its failure surfaces at the next flush.
      const write = bars ? bars.flush({ symbol, timeframe: target.timeframe ?? '' }) : ticks!.flush({ symbol, source });
      const finished = monthsLeft;
      monthsLeft = [];
      pending = write.then(
        async () => {
          const before = inserted;
          inserted += rowCount;
          log.debug({ rows: rowCount, inserted }, 'batch inserted');
          if (deps.collectGarbage && Math.floor(inserted / collectEvery) > Math.floor(before / collectEvery)) {
            deps.collectGarbage();
            log.debug({ inserted }, 'full garbage collection');
          }
          // Before the next insert starts, so that this merge and the inserts take turns.
          for (const month of finished) await compactMonth(month);
        },
        (error: unknown) => {
          insertError = error;
        },
      );
    };

    /**
     * Merges a month of bars the file has moved past into one part. Without it each month kept
     * its batches' parts until a background merge (ten seconds after its last insert; see
     * migration 3): on a 10M-row M1 file, about fifty months of several parts each, and a
     * peak ≈ 7 MiB higher. An optimisation only: a failure is logged and compaction stops for
     * this file (the background merges still run).
     */
    const compactMonth = async (startMs: number) => {
      if (!compacting) return;
      try {
        await deps.marketData.compactBarMonth(startMs);
      } catch (error) {
        compacting = false;
        log.warn({ err: error, month: new Date(startMs).toISOString().slice(0, 7) }, 'import: could not merge a finished month of bars; leaving it to the background merges');
      }
    };

    /** Notes the month of a bar; a month left behind is compacted after the next flush. */
    const noteMonth = (timeMs: number) => {
      if (timeMs >= monthStartMs && timeMs < monthEndMs) return;
      if (!Number.isNaN(monthStartMs)) monthsLeft.push(monthStartMs);
      const at = new Date(timeMs);
      monthStartMs = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1);
      monthEndMs = Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1);
    };

    /** Counts a parsed record and encodes it into its batch; true when the batch is full. */
    const take = (record: ParsedRecord): boolean => {
      rows += 1;
      if (record.kind === 'reject') {
        rejected += 1;
        return false;
      }
      accepted += 1;
      if (record.kind === 'bar') {
        target.kind = 'bars';
        if (previousBarMs !== null) {
          const gap = record.timeMs - previousBarMs;
          if (gap > 0 && (minGapMs === null || gap < minGapMs)) minGapMs = gap;
        }
        previousBarMs = record.timeMs;
        noteMonth(record.timeMs);
        bars ??= deps.marketData.bulkInsertBars();
        bars.add({ timeMs: record.timeMs, open: record.open, high: record.high, low: record.low, close: record.close, tickVolume: record.tickVolume, spread: record.spreadPoints });
      } else {
        target.kind = 'ticks';
        ticks ??= deps.marketData.bulkInsertTicks();
        ticks.add({ timeMs: record.timeMs, bid: record.bid, ask: record.ask, last: record.last, volume: record.volume, flags: record.flags });
      }
      return (bars?.pending ?? 0) + (ticks?.pending ?? 0) >= batchSize;
    };

    try {
      // A chunk's records are handled without awaiting between them (but for a full batch),
      // so they die in the young generation.
      for await (const records of parse) {
        for (const record of records) {
          if (take(record)) await flush();
          if (rows % PROGRESS_EVERY === 0) progress();
        }
      }
      await flush();
      if (pending) await pending;
      if (insertError) throw insertError;
    } catch (error) {
      // The parser's message names the line and the expected formats; add which file.
      if (isAppError(error) && error.code === 'unknown_file_format') {
        throw new InvalidInputError(error.code, `${input.name}: ${error.message}`, error.details);
      }
      throw error;
    } finally {
      // Never leave an insert running (or its failure unobserved) behind a parse error.
      if (pending) await pending;
    }

    const summary = parse.summary as ParseSummary;
    const kind = target.kind ?? (summary.format === 'mt5-bars' || summary.format === 'histdata' ? 'bars' : 'ticks');
    const symbol = target.symbol ?? options.symbol ?? summary.symbol;
    const timeframe = kind === 'bars' ? (target.timeframe ?? options.timeframe ?? summary.timeframe) : null;
    if (target.inferred && summary.timeframe !== null && summary.timeframe !== timeframe) {
      warnings.push(`${input.name}: some later bars are ${summary.timeframe} apart while the first batch looked ${String(timeframe)}; the file was imported as ${String(timeframe)} (give --timeframe to choose)`);
    }
    progress();
    const result: ImportResult = {
      file: input.name,
      source,
      format: summary.format,
      kind,
      symbol,
      timeframe,
      tzOffsetMinutes,
      tzOffsetFrom,
      rows: summary.rows,
      accepted: summary.accepted,
      rejected: summary.rejected,
      fromMs: summary.fromMs,
      toMs: summary.toMs,
      inserted,
      bytes: counter.bytes,
      elapsedMs: now() - started,
      warnings,
    };
    log.info({ rows: result.rows, accepted: result.accepted, rejected: result.rejected, symbol, timeframe: result.timeframe, tzOffsetMinutes }, 'import finished');
    return result;
  }

  return {
    importStream,
    async importFile(filePath, options) {
      const sizeBytes = await checkImportFile(filePath);
      const stream = createReadStream(filePath, { highWaterMark: READ_CHUNK_BYTES });
      try {
        return await importStream({ stream, name: filePath, sizeBytes }, options);
      } finally {
        stream.destroy();
      }
    },
  };
}

async function* countBytes(source: AsyncIterable<unknown>, counter: { bytes: number }): AsyncGenerator<unknown> {
  for await (const chunk of source) {
    if (typeof chunk === 'string') counter.bytes += Buffer.byteLength(chunk);
    else if (chunk instanceof Uint8Array) counter.bytes += chunk.byteLength;
    yield chunk;
  }
}
