import type { ClickHouseClient } from '../../../db';
import type { ReplayQuote } from './replay-source';

export interface ClickHouseTicksOptions {
  symbol: string;
  /** Inclusive, UTC epoch ms. */
  fromMs?: number;
  /** Exclusive, UTC epoch ms. */
  toMs?: number;
  /** Rows per query (default 10 000). At most two pages are held at once. */
  pageSize?: number;
}

interface RawTick {
  timeMs: number | string;
  bid: number;
  ask: number;
  last: number;
  volume: number;
  flags: number | string;
}

/**
 * One symbol's stored ticks in time order, read page by page with keyset pagination over
 * the table's whole sorting key (time, bid, ask, last, volume, flags): each page starts
 * strictly after the previous page's last row, so no OFFSET scan grows with the range, and
 * two different ticks in the same millisecond are neither lost nor repeated.
 *
 * No FINAL: the ticks table collapses rows with the same sorting key, and copies not yet
 * merged come out adjacent in this order, so skipping a row equal to the one before is the
 * same de-duplication at none of FINAL's cost. The next page is fetched while the current
 * one is played.
 *
 * This query belongs in db's MarketDataRepository; it lives here until that interface grows
 * a paged read.
 */
export async function* clickHouseTicks(client: ClickHouseClient, options: ClickHouseTicksOptions): AsyncGenerator<ReplayQuote> {
  const pageSize = options.pageSize ?? 10_000;
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError(`pageSize must be a whole number ≥ 1, got ${pageSize}`);
  let after: ReplayQuote | undefined;
  let pending: Promise<ReplayQuote[]> | undefined = prefetch(client, options, pageSize, undefined);
  while (pending) {
    const page: ReplayQuote[] = await pending;
    const last: ReplayQuote | undefined = page[page.length - 1];
    // A short page is the last one; otherwise the next page loads while this one plays.
    pending = last && page.length === pageSize ? prefetch(client, options, pageSize, last) : undefined;
    for (const quote of page) {
      if (after && sameKey(after, quote)) continue;
      after = quote;
      yield quote;
    }
  }
}

/**
 * Starts a page query. A failure is seen by whoever awaits the page; the no-op handler only
 * keeps a page that fails during a long wait (or after an early stop) from counting as an
 * unhandled rejection.
 */
function prefetch(client: ClickHouseClient, options: ClickHouseTicksOptions, pageSize: number, after: ReplayQuote | undefined): Promise<ReplayQuote[]> {
  const page = fetchPage(client, options, pageSize, after);
  page.catch(() => undefined);
  return page;
}

async function fetchPage(client: ClickHouseClient, options: ClickHouseTicksOptions, pageSize: number, after: ReplayQuote | undefined): Promise<ReplayQuote[]> {
  const where = ['symbol = {symbol:String}'];
  const params: Record<string, unknown> = { symbol: options.symbol, limit: pageSize };
  // Bounds are bound as Int64 ms: a Date parameter would be formatted in whole seconds.
  if (options.fromMs !== undefined) {
    where.push("time >= fromUnixTimestamp64Milli({fromMs:Int64}, 'UTC')");
    params.fromMs = options.fromMs;
  }
  if (options.toMs !== undefined) {
    where.push("time < fromUnixTimestamp64Milli({toMs:Int64}, 'UTC')");
    params.toMs = options.toMs;
  }
  if (after) {
    // The plain `time >=` lets the primary index skip what the tuple comparison alone would scan.
    where.push("time >= fromUnixTimestamp64Milli({afterMs:Int64}, 'UTC')");
    where.push(
      "(time, bid, ask, last, volume, flags) > (fromUnixTimestamp64Milli({afterMs:Int64}, 'UTC'), {afterBid:Float64}, {afterAsk:Float64}, {afterLast:Float64}, {afterVolume:Float64}, {afterFlags:UInt32})",
    );
    Object.assign(params, { afterMs: after.timeMs, afterBid: after.bid, afterAsk: after.ask, afterLast: after.last, afterVolume: after.volume, afterFlags: after.flags });
  }
  const result = await client.query({
    query: `SELECT toUnixTimestamp64Milli(time) AS timeMs, bid, ask, last, volume, flags
            FROM ticks
            WHERE ${where.join(' AND ')}
            ORDER BY time, bid, ask, last, volume, flags
            LIMIT {limit:UInt32}`,
    query_params: params,
    format: 'JSONEachRow',
  });
  const rows = await result.json<RawTick>();
  // 64-bit integers arrive as strings from a server and as numbers from chDB.
  return rows.map((r) => ({ timeMs: Number(r.timeMs), bid: r.bid, ask: r.ask, last: r.last, volume: r.volume, flags: Number(r.flags) }));
}

function sameKey(a: ReplayQuote, b: ReplayQuote): boolean {
  return a.timeMs === b.timeMs && a.bid === b.bid && a.ask === b.ask && a.last === b.last && a.volume === b.volume && a.flags === b.flags;
}
