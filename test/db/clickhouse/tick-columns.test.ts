import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMarketDataRepository, type ClickHouseClient, type ClickHouseHandle, type MarketDataRepository, type TickRow } from '../../../db/clickhouse';
import { openTempClickHouse, type TempClickHouse } from '../../support/clickhouse';
import { TickTextBody, type TickColumns } from '../../../db/clickhouse/tick-columns';

const DAY = 86_400_000;

/** Times around the edges the encoder writes by hand: day and month changes, 1 and 999 ms, 1970, 2099. */
const TIMES = [0, 1, 999, 59_999, DAY - 1, DAY, 1_700_000_000_123, Date.UTC(2024, 0, 31, 23, 59, 59, 999), Date.UTC(2024, 1, 29, 12, 0, 0, 7), Date.UTC(2099, 11, 31, 23, 59, 59, 999)];
/** Prices written as short decimals and prices that are not: 17 digits, exponents, the extremes. */
const PRICES = [1.08512, 0.1 + 0.2, 1e-7, 1e21, 123456789.12345678, 5e-324, 1.7976931348623157e308, 151.123, 0.00001234, 0];

/** Ticks as the engine's write buffer holds them: one block of columns and a string table. */
function columnsOf(rows: readonly TickRow[]): { columns: TickColumns; strings: string[] } {
  const strings: string[] = [];
  const id = (text: string) => {
    const at = strings.indexOf(text);
    return at >= 0 ? at : strings.push(text) - 1;
  };
  const column = (pick: (row: TickRow) => number) => Float64Array.from(rows, pick);
  return {
    columns: {
      timeMs: column((r) => r.timeMs),
      bid: column((r) => r.bid),
      ask: column((r) => r.ask),
      last: column((r) => r.last),
      volume: column((r) => r.volume),
      flags: column((r) => r.flags),
      symbol: Uint32Array.from(rows, (r) => id(r.symbol)),
      source: Uint32Array.from(rows, (r) => id(r.source)),
    },
    strings,
  };
}

function ticks(symbol: string, source: string): TickRow[] {
  return TIMES.map((timeMs, i) => ({ symbol, timeMs, bid: PRICES[i]!, ask: PRICES[i]! + 0.5, last: i / 3, volume: i / 10, flags: i * 2, source }));
}

describe('TickTextBody', () => {
  it('writes a tick as TabSeparated text: the digits the terminal sent, the time in UTC to the millisecond', () => {
    const body = new TickTextBody();
    const { columns, strings } = columnsOf([
      { symbol: 'EURUSD', timeMs: Date.UTC(2026, 0, 5, 9, 3, 7, 45), bid: 1.08512, ask: 1.0853, last: 0, volume: 0, flags: 6, source: 'mt5:ICMarkets-Live' },
      { symbol: 'USDJPY', timeMs: Date.UTC(2026, 0, 5, 23, 59, 59, 999), bid: 151.123, ask: 151.14, last: 0.5, volume: 12, flags: 0, source: 'mt5:ICMarkets-Live' },
    ]);
    body.add(columns, strings, 0, 2);
    expect(body.rows).toBe(2);
    expect(body.take().toString('utf8')).toBe(
      'EURUSD\tmt5:ICMarkets-Live\t2026-01-05 09:03:07.045\t1.08512\t1.0853\t0\t0\t6\n' + 'USDJPY\tmt5:ICMarkets-Live\t2026-01-05 23:59:59.999\t151.123\t151.14\t0.5\t12\t0\n',
    );
  });

  it('writes every number so that it reads back as the same double', () => {
    const body = new TickTextBody();
    const values = [...PRICES, -2.5, 1 / 3, 2 ** 53, 2 ** 53 + 2, 0.000123, 99999.99999, 1e-10, 1.5e-11, -0];
    const rows = values.map((bid, i) => ({ symbol: 'X', timeMs: i, bid, ask: bid, last: bid, volume: bid, flags: 0, source: 's' }));
    const { columns, strings } = columnsOf(rows);
    body.add(columns, strings, 0, rows.length);
    const read = body
      .take()
      .toString('utf8')
      .trimEnd()
      .split('\n')
      .map((line) => Number(line.split('\t')[3]));
    expect(read).toEqual(values.map((v) => (Object.is(v, -0) ? 0 : v)));
  });

  it('escapes symbols and sources, keeps UTF-8, and encodes a range of rows only', () => {
    const body = new TickTextBody();
    const rows = ticks('XAU\\USD', 'mt5:Брокер\tLive\n');
    const { columns, strings } = columnsOf(rows);
    body.add(columns, strings, 2, 4);
    const lines = body.take().toString('utf8').split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]!.startsWith('XAU\\\\USD\tmt5:Брокер\\tLive\\n\t1970-01-01 00:00:00.999\t')).toBe(true);
  });

  it('refuses a time that is not whole epoch milliseconds and keeps what was encoded before', () => {
    const body = new TickTextBody();
    const good = columnsOf(ticks('A', 's'));
    body.add(good.columns, good.strings, 0, 1);
    const before = body.take().toString('utf8');
    const bad = columnsOf([...ticks('A', 's').slice(0, 2), { ...ticks('A', 's')[0]!, timeMs: 1.5 }]);
    expect(() => body.add(bad.columns, bad.strings, 0, 3)).toThrow(expect.objectContaining({ code: 'time_invalid' }));
    expect(body.rows).toBe(1);
    expect(body.take().toString('utf8')).toBe(before);
  });

  it('grows past its first megabyte without losing rows', () => {
    const body = new TickTextBody();
    const rows = Array.from({ length: 20_000 }, (_, i) => ({ symbol: 'EURUSD', timeMs: 1_700_000_000_000 + i, bid: 1.1 + i / 1e5, ask: 1.2, last: 0, volume: 0, flags: 6, source: 'mt5:a-long-broker-server-name-to-make-rows-wide' }));
    const { columns, strings } = columnsOf(rows);
    for (let from = 0; from < rows.length; from += 700) body.add(columns, strings, from, Math.min(rows.length, from + 700));
    const lines = body.take().toString('utf8').trimEnd().split('\n');
    expect(body.take().length).toBeGreaterThan(1024 * 1024);
    expect(lines).toHaveLength(rows.length);
    expect(Number(lines.at(-1)!.split('\t')[3])).toBe(rows.at(-1)!.bid);
  });
});

describe('insertTickText on chDB', () => {
  let store: TempClickHouse;
  let handle: ClickHouseHandle;
  let repo: MarketDataRepository;

  beforeAll(async () => {
    store = await openTempClickHouse('chdb-ticktext');
    ({ handle, repository: repo } = store);
  });
  afterAll(async () => store?.close());

  const stored = async (client: ClickHouseClient, symbol: string) =>
    (
      await client.query({
        query: `SELECT toUnixTimestamp64Milli(time) AS ms, toString(bid) AS bid, toString(ask) AS ask, toString(last) AS last, toString(volume) AS volume, flags, source
                FROM ticks FINAL WHERE symbol = {symbol:String} ORDER BY time`,
        query_params: { symbol },
        format: 'JSONEachRow',
      })
    ).json<Record<string, string>>();

  // 'auto' hands the bytes to chDB itself; 'client' is the path a ClickHouse server gets.
  it.each(['auto', 'client'] as const)('stores through %s exactly what insertTicks stores, to the last bit', async (transport) => {
    const tag = transport.toUpperCase();
    const source = 'mt5:Брокер\tLive';
    await repo.insertTicks(ticks(`ROWS${tag}`, source));
    const { columns, strings } = columnsOf(ticks(`TEXT${tag}`, source));
    const body = new TickTextBody();
    body.add(columns, strings, 0, TIMES.length);
    await createMarketDataRepository(handle.client, { bulkTransport: transport }).insertTickText(body.take());

    const text = await stored(handle.client, `TEXT${tag}`);
    expect(text).toEqual(await stored(handle.client, `ROWS${tag}`));
    expect(text.map((r) => Number(r.ms))).toEqual(TIMES);
    expect(text.map((r) => Number(r.bid))).toEqual(PRICES);
    expect(text.every((r) => r.source === source)).toBe(true);
  });
});
