import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMarketDataRepository, type BarRow, type ClickHouseClient, type ClickHouseHandle, type MarketDataRepository, type TickRow } from '../../../db/clickhouse';
import { openTempClickHouse, type TempClickHouse } from '../../support/clickhouse';

const DAY = 86_400_000;
/** Times (ascending) around the edges the encoder formats by hand: day and month changes, 1 and 999 ms, 1970. */
const TIMES = [
  0,
  1,
  999,
  59_999,
  DAY - 1,
  DAY,
  1_700_000_000_123,
  Date.UTC(2024, 0, 31, 23, 59, 59, 999),
  Date.UTC(2024, 1, 1, 0, 0, 0, 0),
  Date.UTC(2024, 1, 29, 12, 0, 0, 7),
  Date.UTC(2024, 2, 1, 0, 0, 0, 10),
  Date.UTC(2099, 11, 31, 23, 59, 59, 999),
];
/** Prices whose shortest text is unusual: exponents, 17 significant digits, the extremes. */
const PRICES = [1.1, 0.1 + 0.2, 1e-7, 1e21, 123456789.12345678, 5e-324, 1.7976931348623157e308, 1.23456, 2, 0, 1.08005, 99999.99999];

function bars(symbol: string): BarRow[] {
  return TIMES.map((timeMs, i) => {
    const price = PRICES[i]!;
    return { symbol, timeframe: 'M1', timeMs, open: price, high: price + 1, low: price / 2, close: price + 0.5, tickVolume: i * 1000, spread: i };
  });
}

function ticks(symbol: string, source: string): TickRow[] {
  return TIMES.map((timeMs, i) => ({ symbol, timeMs, bid: PRICES[i]!, ask: PRICES[i]! + 0.5, last: i, volume: i / 10, flags: i * 2, source }));
}

async function rows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  return (await client.query({ query, format: 'JSONEachRow' })).json<T>();
}

/** A bar's stored columns other than symbol and version, in time order, as text (exact). */
function storedBars(client: ClickHouseClient, symbol: string) {
  return rows<Record<string, string>>(
    client,
    `SELECT timeframe, toUnixTimestamp64Milli(time) AS ms, toString(time) AS text, toString(open) AS open, toString(high) AS high, toString(low) AS low,
            toString(close) AS close, toString(tick_volume) AS tick_volume, toString(spread) AS spread
     FROM bars FINAL WHERE symbol = '${symbol}' ORDER BY time`,
  );
}

function storedTicks(client: ClickHouseClient, symbol: string) {
  return rows<Record<string, string>>(
    client,
    `SELECT toUnixTimestamp64Milli(time) AS ms, toString(time) AS text, toString(bid) AS bid, toString(ask) AS ask, toString(last) AS last,
            toString(volume) AS volume, toString(flags) AS flags, source
     FROM ticks FINAL WHERE symbol = '${symbol}' ORDER BY time`,
  );
}

function valuesOf<T extends object, K extends keyof T>(row: T, ...shared: K[]): Omit<T, K> {
  const copy = { ...row };
  for (const key of shared) delete copy[key];
  return copy;
}

describe('bulk inserts on chDB', () => {
  let store: TempClickHouse;
  let handle: ClickHouseHandle;
  let repo: MarketDataRepository;

  beforeAll(async () => {
    store = await openTempClickHouse('chdb-bulk');
    ({ handle, repository: repo } = store);
  });
  afterAll(async () => store?.close());

  it('hands a bulk insert\'s bytes to chDB itself, not to the client (which would copy them into strings)', async () => {
    const client = handle.client;
    const insert = client.insert.bind(client);
    const refused = () => Promise.reject(new Error('the client was asked to insert'));
    client.insert = refused as typeof client.insert;
    try {
      const bulk = createMarketDataRepository(client).bulkInsertBars();
      bulk.add({ timeMs: 0, open: 1, high: 1, low: 1, close: 1, tickVolume: 1, spread: 1 });
      expect(await bulk.flush({ symbol: 'RAWPATH', timeframe: 'M1' })).toBe(1);
      const viaClient = createMarketDataRepository(client, { bulkTransport: 'client' }).bulkInsertBars();
      viaClient.add({ timeMs: 0, open: 1, high: 1, low: 1, close: 1, tickVolume: 1, spread: 1 });
      await expect(viaClient.flush({ symbol: 'RAWPATH', timeframe: 'M1' })).rejects.toThrow('the client was asked to insert');
    } finally {
      client.insert = insert;
    }
    expect(await repo.countBars('RAWPATH', 'M1')).toBe(1);
  });

  // 'auto' hands the bytes to chDB itself; 'client' is the path a ClickHouse server gets.
  describe.each(['auto', 'client'] as const)('through %s', (transport) => {
    const tag = transport.toUpperCase();
    const bulkRepo = () => createMarketDataRepository(handle.client, { bulkTransport: transport });

    it('stores exactly the bars insertBars stores: times to the millisecond, prices to the last bit', async () => {
      await repo.insertBars(bars(`ROWS${tag}`));
      const bulk = bulkRepo().bulkInsertBars();
      for (const row of bars('ignored')) bulk.add(valuesOf(row, 'symbol', 'timeframe'));
      expect(bulk.pending).toBe(TIMES.length);
      expect(await bulk.flush({ symbol: `BULK${tag}`, timeframe: 'M1' })).toBe(TIMES.length);
      expect(bulk.pending).toBe(0);

      const stored = await storedBars(handle.client, `BULK${tag}`);
      expect(stored).toEqual(await storedBars(handle.client, `ROWS${tag}`));
      expect(stored.map((r) => Number(r.ms))).toEqual(TIMES);
      expect(stored.map((r) => Number(r.open))).toEqual(PRICES);
      expect(stored[0]!.text).toBe('1970-01-01 00:00:00.000');
      expect(stored[4]!.text).toBe('1970-01-01 23:59:59.999');
    });

    it('stores exactly the ticks insertTicks stores, with a source that needs escaping', async () => {
      const source = 'import:odd\tname\\with\nbreaks\r.csv';
      await repo.insertTicks(ticks(`ROWS${tag}`, source));
      const bulk = bulkRepo().bulkInsertTicks();
      for (const row of ticks('ignored', 'ignored')) bulk.add(valuesOf(row, 'symbol', 'source'));
      await bulk.flush({ symbol: `BULK${tag}`, source });

      const stored = await storedTicks(handle.client, `BULK${tag}`);
      expect(stored).toEqual(await storedTicks(handle.client, `ROWS${tag}`));
      expect(stored.every((r) => r.source === source)).toBe(true);
      expect(await repo.countTicks(`BULK${tag}`)).toBe(TIMES.length);
    });

    it('sends each flush as its own batch, rows added during a flush going to the next, and replaces bars written again', async () => {
      const bulk = bulkRepo().bulkInsertBars();
      const start = Date.UTC(2024, 5, 1);
      const add = (from: number, to: number, close: number) => {
        for (let i = from; i < to; i++) bulk.add({ timeMs: start + i * 60_000, open: 1, high: 2, low: 0.5, close, tickVolume: i, spread: 1 });
      };
      expect(await bulk.flush({ symbol: `SEQ${tag}`, timeframe: 'M1' })).toBe(0);
      add(0, 30_000, 1.5);
      const first = bulk.flush({ symbol: `SEQ${tag}`, timeframe: 'M1' });
      add(30_000, 30_010, 1.5);
      expect(bulk.pending).toBe(10);
      expect(await first).toBe(30_000);
      // The same bars again, with another close: the later version wins.
      add(0, 5, 1.75);
      expect(await bulk.flush({ symbol: `SEQ${tag}`, timeframe: 'M1' })).toBe(15);

      expect(await repo.countBars(`SEQ${tag}`, 'M1')).toBe(30_010);
      const firstBars = await rows<{ close: number }>(handle.client, `SELECT close FROM bars FINAL WHERE symbol = 'SEQ${tag}' ORDER BY time LIMIT 6`);
      expect(firstBars.map((r) => r.close)).toEqual([1.75, 1.75, 1.75, 1.75, 1.75, 1.5]);
    });

    it('refuses a time that is not whole epoch milliseconds ≥ 0 when the row is added', () => {
      const bulk = bulkRepo().bulkInsertTicks();
      for (const timeMs of [1.5, -1, Number.NaN]) {
        expect(() => bulk.add({ timeMs, bid: 1, ask: 1, last: 0, volume: 0, flags: 0 })).toThrow(expect.objectContaining({ code: 'time_invalid' }));
      }
      expect(bulk.pending).toBe(0);
    });
  });

  it('on chDB hands the encoded bytes to the engine instead of going through client.insert', async () => {
    const noInsert = new Proxy(handle.client, {
      get(target, property, receiver) {
        if (property === 'insert') return () => Promise.reject(new Error('client.insert was used'));
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    const bulk = createMarketDataRepository(noInsert).bulkInsertTicks();
    bulk.add({ timeMs: Date.UTC(2024, 6, 1), bid: 1, ask: 2, last: 0, volume: 0, flags: 6 });
    await bulk.flush({ symbol: 'DIRECT', source: 'test' });
    expect(await repo.countTicks('DIRECT')).toBe(1);
  });

  it('surfaces a failed insert from flush, as ClickHouse reports it', async () => {
    const bulk = repo.bulkInsertBars();
    bulk.add({ timeMs: Date.UTC(2024, 6, 1), open: 1, high: 1, low: 1, close: 1, tickVolume: -1, spread: 0 });
    await expect(bulk.flush({ symbol: 'NEGATIVE', timeframe: 'M1' })).rejects.toThrow();
    expect(bulk.pending).toBe(0);
  });
});
