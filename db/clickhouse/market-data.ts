import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import type { ChdbExtension } from 'chdb/connection';
import { InvalidInputError, UnavailableError, isAppError } from '../../core/errors';
import { TICK_COLUMNS } from './tick-columns';
import { MAX_NUMBER_BYTES, TIME_BYTES, TsvBytes, checkTimeMs, tsvText } from './tsv-bytes';

/**
 * Typed access to ticks and bars. The SQL is the same on a server and on chDB; time goes in
 * as a UTC 'YYYY-MM-DD hh:mm:ss.mmm' string (exact on both: the column's time zone is UTC)
 * and comes out as epoch milliseconds from toUnixTimestamp64Milli. 64-bit integers are
 * converted with Number() because a server quotes them in JSON while chDB may not.
 */
export interface TickRow {
  symbol: string;
  timeMs: number;
  bid: number;
  ask: number;
  last: number;
  volume: number;
  flags: number;
  source: string;
}

export interface BarRow {
  symbol: string;
  timeframe: string;
  /** Open time of the bar, epoch ms UTC. */
  timeMs: number;
  open: number;
  high: number;
  low: number;
  close: number;
  tickVolume: number;
  spread: number;
}

/** A bar's values without the columns a bulk insert fills in per batch (symbol, timeframe). */
export type BarValues = Omit<BarRow, 'symbol' | 'timeframe'>;
/** A tick's values without the columns a bulk insert fills in per batch (symbol, source). */
export type TickValues = Omit<TickRow, 'symbol' | 'source'>;

/**
 * An insert for bulk loads (history imports): each row is encoded as TabSeparated text into
 * a reused buffer the moment it is added, so a batch is held as bytes rather than as row
 * objects and JSON, and the columns every row of a batch shares are given when it is sent.
 */
export interface BulkInsert<Values, Shared> {
  /** Encodes one row (the object is not kept). InvalidInputError for a time that is not whole epoch ms ≥ 0. */
  add(values: Values): void;
  /** Rows added since the last flush. */
  readonly pending: number;
  /**
   * Sends the pending rows as one insert, `shared` filled into each; resolves with the number
   * sent once ClickHouse has them. Rows added meanwhile belong to the next flush.
   */
  flush(shared: Shared): Promise<number>;
}

export interface TimeRange {
  fromMs?: number;
  /** Exclusive. */
  toMs?: number;
}

export interface MarketDataRepository {
  /** Inserts in batches of `batchSize` (default 10 000); returns the number of rows sent. */
  insertTicks(rows: readonly TickRow[], options?: { batchSize?: number }): Promise<number>;
  /**
   * Inserts or replaces bars: a bar with the same (symbol, timeframe, time) as a stored one
   * replaces it, which is how the forming bar is updated in place.
   */
  insertBars(rows: readonly BarRow[], options?: { batchSize?: number }): Promise<number>;
  /** The last `n` bars, oldest first (the order indicators are fed). */
  lastBars(symbol: string, timeframe: string, n: number): Promise<BarRow[]>;
  lastTick(symbol: string): Promise<TickRow | null>;
  /** Distinct ticks stored for `symbol`, re-imports not counted twice. */
  countTicks(symbol: string, range?: TimeRange): Promise<number>;
  countBars(symbol: string, timeframe: string, range?: TimeRange): Promise<number>;
  /** A bulk insert into bars (see BulkInsert); versions are assigned as rows are added. */
  bulkInsertBars(): BulkInsert<BarValues, { symbol: string; timeframe: string }>;
  /** A bulk insert into ticks (see BulkInsert). */
  bulkInsertTicks(): BulkInsert<TickValues, { symbol: string; source: string }>;
  /**
   * Merges the stored bars of the calendar month (UTC) holding `timeMs` — one partition of the
   * bars table — into one data part, now rather than when the background merges get to it. A
   * bulk load calls it for each month it has finished writing: each insert made a part, and
   * every part held costs engine memory until it is merged away.
   */
  compactBarMonth(timeMs: number): Promise<void>;
  /**
   * Sends ticks encoded by a TickTextBody (the live writer's: every symbol interleaved, each
   * row with its own symbol and source); the buffer is not touched once this settles.
   */
  insertTickText(body: Buffer): Promise<void>;
}

const DEFAULT_BATCH = 10_000;

/** Reads that must not see copies the background merge has not collapsed yet. */
const FINAL_SETTINGS = { do_not_merge_across_partitions_select_final: 1 } as const;

/**
 * Settings of a bulk insert on chDB, which runs inside our process and so counts against its
 * memory: one thread parses and writes each batch (the batches are small; more threads only
 * bring more buffers).
 */
const CHDB_BULK_SETTINGS = { max_threads: 1, max_insert_threads: 1, input_format_parallel_parsing: 0 } as const;

export interface MarketDataOptions {
  /**
   * How bulk inserts reach ClickHouse: 'auto' (default) hands the encoded bytes straight to
   * chDB when the client runs on it, else streams them through the client; 'client' always
   * goes through the client (tests run the server's path on chDB with it).
   */
  bulkTransport?: 'auto' | 'client';
}

export function createMarketDataRepository(client: ClickHouseClient, options: MarketDataOptions = {}): MarketDataRepository {
  const chdb = options.bulkTransport === 'client' ? null : chdbExtensionOf(client);
  // chDB's allocator keeps freed pages for 5 s; handing them back after each bulk insert
  // lowers the importing process's peak RSS by ≈ 10 MB for ≈ 2 ms per batch (run off the JS thread).
  let purgeAfterInsert = true;
  // A bar written twice in one millisecond must still let the later write win, so versions
  // are strictly increasing within this process (microseconds, bumped on collision).
  let lastVersion = 0;
  const nextVersion = () => {
    lastVersion = Math.max(lastVersion + 1, Date.now() * 1000);
    return lastVersion;
  };

  async function insertBatched<T>(table: string, rows: readonly T[], toRecord: (row: T) => Record<string, unknown>, batchSize = DEFAULT_BATCH): Promise<number> {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new InvalidInputError('batch_size_invalid', 'batchSize must be a whole number ≥ 1');
    for (let start = 0; start < rows.length; start += batchSize) {
      const values = rows.slice(start, start + batchSize).map(toRecord);
      await guard(`insert into ${table}`, () => client.insert({ table, values, format: 'JSONEachRow' }));
    }
    return rows.length;
  }

  /**
   * Sends one TabSeparated body; the buffer is not touched until the returned promise settles.
   * `purge` hands chDB's freed pages back after the insert (bulk loads, where peak RSS counts;
   * the live writer inserts every second and would only fault the same pages in again).
   */
  async function sendTsv(table: string, columns: [string, ...string[]], body: Buffer, purge = true): Promise<void> {
    await guard(`insert into ${table}`, async () => {
      if (!chdb) {
        await client.insert({ table, columns, values: Readable.from([body], { objectMode: false }), format: 'TabSeparated' });
        return;
      }
      await chdb.rawInsert({ table, columns, values: body, format: 'TabSeparated', settings: CHDB_BULK_SETTINGS });
      if (purge && purgeAfterInsert) {
        // An optimisation only: a chDB built without jemalloc refuses it, and is then not asked again.
        await chdb.queryAsync('SYSTEM JEMALLOC PURGE').catch(() => {
          purgeAfterInsert = false;
        });
      }
    });
  }

  async function select<T>(query: string, params: Record<string, unknown>, final = false): Promise<T[]> {
    return guard('query', async () => {
      const result = await client.query({ query, query_params: params, format: 'JSONEachRow', ...(final ? { clickhouse_settings: FINAL_SETTINGS } : {}) });
      return result.json<T>();
    });
  }

  return {
    insertTicks(rows, options) {
      return insertBatched('ticks', rows, (row) => ({
        symbol: row.symbol,
        time: toDateTime64(row.timeMs),
        bid: row.bid,
        ask: row.ask,
        last: row.last,
        volume: row.volume,
        flags: row.flags,
        source: row.source,
      }), options?.batchSize);
    },

    insertBars(rows, options) {
      return insertBatched('bars', rows, (row) => ({
        symbol: row.symbol,
        timeframe: row.timeframe,
        time: toDateTime64(row.timeMs),
        open: row.open,
        high: row.high,
        low: row.low,
        close: row.close,
        tick_volume: row.tickVolume,
        spread: row.spread,
        version: nextVersion(),
      }), options?.batchSize);
    },

    async lastBars(symbol, timeframe, n) {
      if (!Number.isInteger(n) || n < 0) throw new InvalidInputError('bar_count_invalid', 'n must be a whole number ≥ 0');
      if (n === 0) return [];
      const rows = await select<RawBar>(
        `SELECT symbol, timeframe, toUnixTimestamp64Milli(time) AS timeMs, open, high, low, close, tick_volume AS tickVolume, spread
         FROM bars FINAL
         WHERE symbol = {symbol:String} AND timeframe = {timeframe:String}
         ORDER BY time DESC
         LIMIT {n:UInt32}`,
        { symbol, timeframe, n },
        true,
      );
      return rows.map(toBar).reverse();
    },

    async lastTick(symbol) {
      // No FINAL: copies of one tick are identical, so whichever copy comes first is right.
      const rows = await select<RawTick>(
        `SELECT symbol, toUnixTimestamp64Milli(time) AS timeMs, bid, ask, last, volume, flags, source
         FROM ticks
         WHERE symbol = {symbol:String}
         ORDER BY time DESC
         LIMIT 1`,
        { symbol },
      );
      const row = rows[0];
      return row ? toTick(row) : null;
    },

    async countTicks(symbol, range) {
      const rows = await select<{ n: number | string }>(
        `SELECT count() AS n FROM ticks FINAL WHERE symbol = {symbol:String}${rangeSql(range)}`,
        { symbol, ...rangeParams(range) },
        true,
      );
      return Number(rows[0]?.n ?? 0);
    },

    bulkInsertBars() {
      return new TsvBulkInsert<BarValues, { symbol: string; timeframe: string }>({
        send: (body) => sendTsv('bars', BAR_COLUMNS, body),
        sharedText: (shared) => `${tsvText(shared.symbol)}\t${tsvText(shared.timeframe)}\t`,
        encode: (row, out) => {
          out.number(row.open);
          out.number(row.high);
          out.number(row.low);
          out.number(row.close);
          out.number(row.tickVolume);
          out.number(row.spread);
          out.number(nextVersion());
        },
      });
    },

    async compactBarMonth(timeMs) {
      checkTimeMs(timeMs);
      const month = new Date(timeMs);
      // The partition ID of toYYYYMM(time): digits only, so it is safe in the statement.
      const id = String(month.getUTCFullYear() * 100 + month.getUTCMonth() + 1);
      // FINAL: waits for a background merge already busy with some of the month's parts (without
      // it, the statement does nothing then); a month already merged into one part is skipped.
      await guard('compact bars', () =>
        client.command({ query: `OPTIMIZE TABLE bars PARTITION ID '${id}' FINAL`, clickhouse_settings: { optimize_skip_merged_partitions: 1 } }),
      );
    },

    insertTickText(body) {
      return sendTsv('ticks', TICK_COLUMNS, body, false);
    },

    bulkInsertTicks() {
      return new TsvBulkInsert<TickValues, { symbol: string; source: string }>({
        send: (body) => sendTsv('ticks', TICK_COLUMNS, body),
        sharedText: (shared) => `${tsvText(shared.symbol)}\t${tsvText(shared.source)}\t`,
        encode: (row, out) => {
          out.number(row.bid);
          out.number(row.ask);
          out.number(row.last);
          out.number(row.volume);
          out.number(row.flags);
        },
      });
    },

    async countBars(symbol, timeframe, range) {
      const rows = await select<{ n: number | string }>(
        `SELECT count() AS n FROM bars FINAL WHERE symbol = {symbol:String} AND timeframe = {timeframe:String}${rangeSql(range)}`,
        { symbol, timeframe, ...rangeParams(range) },
        true,
      );
      return Number(rows[0]?.n ?? 0);
    },
  };
}

interface RawTick {
  symbol: string;
  timeMs: number | string;
  bid: number;
  ask: number;
  last: number;
  volume: number;
  flags: number;
  source: string;
}

interface RawBar {
  symbol: string;
  timeframe: string;
  timeMs: number | string;
  open: number;
  high: number;
  low: number;
  close: number;
  tickVolume: number | string;
  spread: number;
}

function toTick(row: RawTick): TickRow {
  return { ...row, timeMs: Number(row.timeMs), flags: Number(row.flags) };
}

function toBar(row: RawBar): BarRow {
  return { ...row, timeMs: Number(row.timeMs), tickVolume: Number(row.tickVolume) };
}

/** Epoch ms → the DateTime64(3) text form, in UTC, exact to the millisecond. */
export function toDateTime64(timeMs: number): string {
  checkTimeMs(timeMs);
  return new Date(timeMs).toISOString().replace('T', ' ').replace('Z', '');
}

/** Column order of the bulk bar bodies: the shared columns first, then the row's own (ticks: TICK_COLUMNS). */
const BAR_COLUMNS: [string, ...string[]] = ['symbol', 'timeframe', 'time', 'open', 'high', 'low', 'close', 'tick_volume', 'spread', 'version'];

/**
 * The chDB connection behind `client`, or null for a server. @clickhouse/client keeps the
 * connection it was built with in a field its types mark private, and openClickHouse hands
 * out only the client; without the connection, chDB's insert turns every body into JS
 * strings (three copies) before the engine sees it. If a client upgrade moves the field,
 * this returns null and bulk inserts take the (correct, costlier) client path.
 */
function chdbExtensionOf(client: ClickHouseClient): ChdbExtension | null {
  // Told by its shape rather than `instanceof`, which would load chDB's native library into a
  // process that reaches ClickHouse over HTTP (a server, or another process's embedded one).
  const connection = (client as unknown as { connection?: { connectionName?: unknown; chdb?: ChdbExtension } }).connection;
  return connection?.connectionName === 'chdb' && connection.chdb ? connection.chdb : null;
}

const INITIAL_BUFFER_BYTES = 1024 * 1024;

interface TsvBulkInsertSpec<Values, Shared> {
  send(body: Buffer): Promise<unknown>;
  /** The shared columns' text, tab-terminated, put before every row. */
  sharedText(shared: Shared): string;
  /** Writes one row's own columns after its time, each through `out.number` (at most MAX_ROW_NUMBERS). */
  encode(row: Values, out: TsvRowWriter): void;
}

/** Where `TsvBulkInsertSpec.encode` writes a row's numbers. */
interface TsvRowWriter {
  /** A tab, then `x` as text that ClickHouse reads back as exactly the same double. */
  number(x: number): void;
}

/** The most numbers a row has besides its time (bars: open, high, low, close, tick volume, spread, version). */
const MAX_ROW_NUMBERS = 7;
/** A row's own bytes at most: the time, its numbers with their tabs, the newline. */
const MAX_ROW_BYTES = TIME_BYTES + MAX_ROW_NUMBERS * (MAX_NUMBER_BYTES + 1) + 1;
const NEWLINE = 0x0a;

/**
 * BulkInsert over TabSeparated. Rows are written byte by byte (TsvBytes) into `rows` as they
 * come; a flush copies them behind the shared prefix into a body buffer, which is reused once
 * its insert has settled (a second buffer is made only if a flush starts before the previous
 * one settled).
 */
class TsvBulkInsert<Values extends { timeMs: number }, Shared> implements BulkInsert<Values, Shared>, TsvRowWriter {
  pending = 0;
  private readonly rows = new TsvBytes();
  private readonly freeBodies: Buffer[] = [];

  constructor(private readonly spec: TsvBulkInsertSpec<Values, Shared>) {}

  add(values: Values): void {
    const rows = this.rows;
    rows.reserve(MAX_ROW_BYTES);
    const start = rows.length;
    try {
      rows.time(values.timeMs);
      this.spec.encode(values, this);
    } catch (error) {
      rows.length = start;
      throw error;
    }
    rows.newline();
    this.pending += 1;
  }

  async flush(shared: Shared): Promise<number> {
    const count = this.pending;
    if (count === 0) return 0;
    const prefix = Buffer.from(this.spec.sharedText(shared), 'utf8');
    const rows = this.rows.buffer;
    const rowsBytes = this.rows.length;
    const size = rowsBytes + count * prefix.length;
    let body: Buffer = this.freeBodies.pop() ?? Buffer.allocUnsafe(Math.max(size, INITIAL_BUFFER_BYTES));
    if (body.length < size) body = Buffer.allocUnsafe(size);
    let at = 0;
    let from = 0;
    while (from < rowsBytes) {
      const end = rows.indexOf(NEWLINE, from) + 1;
      at += prefix.copy(body, at);
      at += rows.copy(body, at, from, end);
      from = end;
    }
    this.rows.length = 0;
    this.pending = 0;
    try {
      await this.spec.send(body.subarray(0, at));
    } finally {
      this.freeBodies.push(body);
    }
    return count;
  }

  number(x: number): void {
    this.rows.tab();
    this.rows.number(x);
  }
}

// Time bounds are bound as Int64 milliseconds: @clickhouse/client formats a Date parameter
// in whole seconds, which would silently drop the milliseconds.
function rangeSql(range: TimeRange | undefined): string {
  let out = '';
  if (range?.fromMs !== undefined) out += ' AND time >= fromUnixTimestamp64Milli({fromMs:Int64}, \'UTC\')';
  if (range?.toMs !== undefined) out += ' AND time < fromUnixTimestamp64Milli({toMs:Int64}, \'UTC\')';
  return out;
}

function rangeParams(range: TimeRange | undefined): Record<string, number> {
  const params: Record<string, number> = {};
  if (range?.fromMs !== undefined) params.fromMs = range.fromMs;
  if (range?.toMs !== undefined) params.toMs = range.toMs;
  return params;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Network failures against a server become UnavailableError (retry later); SQL errors pass through. */
async function guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (isAppError(error)) throw error;
    const code = (error as { code?: unknown } | null)?.code;
    const timedOut = error instanceof Error && /timeout/i.test(error.message);
    if ((typeof code === 'string' && CONNECTION_CODES.has(code)) || timedOut) {
      throw new UnavailableError('clickhouse_unavailable', `ClickHouse is unavailable (${what}): ${error instanceof Error ? error.message : String(error)}`, error);
    }
    throw error;
  }
}
