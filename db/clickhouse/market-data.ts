import type { ClickHouseClient } from '@clickhouse/client';
import { InvalidInputError, UnavailableError, isAppError } from '../../core/errors';

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
}

const DEFAULT_BATCH = 10_000;

/** Reads that must not see copies the background merge has not collapsed yet. */
const FINAL_SETTINGS = { do_not_merge_across_partitions_select_final: 1 } as const;

export function createMarketDataRepository(client: ClickHouseClient): MarketDataRepository {
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
  if (!Number.isInteger(timeMs) || timeMs < 0 || timeMs > 8_640_000_000_000_000) {
    throw new InvalidInputError('time_invalid', `time must be whole epoch milliseconds ≥ 0, got ${String(timeMs)}`);
  }
  return new Date(timeMs).toISOString().replace('T', ' ').replace('Z', '');
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
