import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnavailableError } from '../../../core/errors';
import { createLogger } from '../../../core/logger';
import { CLICKHOUSE_MIGRATIONS, createMarketDataRepository, openClickHouse, type BarRow, type ClickHouseHandle, type MarketDataRepository, type TickRow } from '../../../db/clickhouse';

// chDB binds one data directory per process; vitest runs each test file in its own fork,
// so this file owns one fresh directory for all its tests.
const logger = createLogger({ level: 'silent', pretty: false });

async function rows<T>(handle: ClickHouseHandle, query: string): Promise<T[]> {
  const result = await handle.client.query({ query, format: 'JSONEachRow' });
  return result.json<T>();
}

function tick(symbol: string, timeMs: number, bid: number, extra: Partial<TickRow> = {}): TickRow {
  return { symbol, timeMs, bid, ask: bid + 0.0002, last: 0, volume: 0, flags: 6, source: 'mt5-csv', ...extra };
}

function bar(symbol: string, timeMs: number, close: number, extra: Partial<BarRow> = {}): BarRow {
  return { symbol, timeframe: 'M1', timeMs, open: close, high: close, low: close, close, tickVolume: 1, spread: 2, ...extra };
}

describe('ClickHouse on chDB', () => {
  let dataDir: string;
  let handle: ClickHouseHandle;
  let repo: MarketDataRepository;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tp-chdb-'));
    handle = await openClickHouse({ dataDir, logger });
    repo = createMarketDataRepository(handle.client);
  });
  afterAll(async () => {
    await handle?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('opens the embedded engine under <dataDir>/ch and answers ping', async () => {
    expect(handle.kind).toBe('chdb');
    expect(await handle.ping()).toBe(true);
  });

  it('applies the migrations from empty, and again without change', async () => {
    await handle.migrate();
    await handle.migrate();
    const applied = await rows<{ version: number; n: number | string }>(handle, 'SELECT version, count() AS n FROM schema_migrations FINAL GROUP BY version ORDER BY version');
    expect(applied.map((r) => Number(r.version))).toEqual(CLICKHOUSE_MIGRATIONS.map((m) => m.version));
    expect(applied.every((r) => Number(r.n) === 1)).toBe(true);

    const tables = await rows<{ name: string; engine: string; partition_key: string; sorting_key: string; primary_key: string }>(
      handle,
      "SELECT name, engine, partition_key, sorting_key, primary_key FROM system.tables WHERE database = currentDatabase() AND name IN ('ticks', 'bars') ORDER BY name",
    );
    expect(tables).toEqual([
      { name: 'bars', engine: 'ReplacingMergeTree', partition_key: 'toYYYYMM(time)', sorting_key: 'symbol, timeframe, time', primary_key: 'symbol, timeframe, time' },
      { name: 'ticks', engine: 'ReplacingMergeTree', partition_key: 'toYYYYMM(time)', sorting_key: 'symbol, time, bid, ask, last, volume, flags', primary_key: 'symbol, time' },
    ]);
    const columns = await rows<{ table: string; name: string; type: string }>(
      handle,
      "SELECT table, name, type FROM system.columns WHERE database = currentDatabase() AND table = 'ticks' ORDER BY position",
    );
    expect(columns.map((c) => `${c.name} ${c.type}`)).toEqual([
      'symbol LowCardinality(String)',
      "time DateTime64(3, 'UTC')",
      'bid Float64',
      'ask Float64',
      'last Float64',
      'volume Float64',
      'flags UInt32',
      'source LowCardinality(String)',
    ]);
  });

  it('round-trips tick times to the exact millisecond in UTC, across a month (partition) boundary', async () => {
    const times = [
      Date.UTC(2024, 0, 31, 23, 59, 59, 999),
      Date.UTC(2024, 1, 1, 0, 0, 0, 0),
      Date.UTC(2024, 1, 1, 0, 0, 0, 1),
      1_700_000_000_123,
    ];
    await repo.insertTicks(times.map((t, i) => tick('MSPREC', t, 1.1 + i / 10_000)));
    const stored = await rows<{ ms: number | string; text: string; month: number }>(
      handle,
      "SELECT toUnixTimestamp64Milli(time) AS ms, toString(time) AS text, toYYYYMM(time) AS month FROM ticks WHERE symbol = 'MSPREC' ORDER BY time",
    );
    expect(stored.map((r) => Number(r.ms))).toEqual([...times].sort((a, b) => a - b));
    expect(stored.map((r) => r.text)).toEqual(['2023-11-14 22:13:20.123', '2024-01-31 23:59:59.999', '2024-02-01 00:00:00.000', '2024-02-01 00:00:00.001']);
    expect(stored.map((r) => Number(r.month))).toEqual([202311, 202401, 202402, 202402]);

    const last = await repo.lastTick('MSPREC');
    expect(last).toEqual(tick('MSPREC', Date.UTC(2024, 1, 1, 0, 0, 0, 1), 1.1 + 2 / 10_000));
    expect(await repo.countTicks('MSPREC', { fromMs: Date.UTC(2024, 1, 1), toMs: Date.UTC(2024, 1, 1, 0, 0, 0, 1) })).toBe(1);
    expect(await repo.lastTick('NOSUCH')).toBeNull();
  });

  it('re-importing the same ticks adds no rows, while distinct ticks in one millisecond both stay', async () => {
    const base = Date.UTC(2024, 2, 4, 9, 30);
    const batch = [tick('DEDUP', base, 1.2), tick('DEDUP', base + 1, 1.2001), tick('DEDUP', base + 1, 1.2002), tick('DEDUP', base + 2, 1.2003)];
    await repo.insertTicks(batch);
    await repo.insertTicks(batch);
    await repo.insertTicks(batch, { batchSize: 1 });
    expect(await repo.countTicks('DEDUP')).toBe(4);

    // The engine itself collapses the copies, not only the FINAL read.
    await handle.client.command({ query: 'OPTIMIZE TABLE ticks FINAL' });
    const [raw] = await rows<{ n: number | string }>(handle, "SELECT count() AS n FROM ticks WHERE symbol = 'DEDUP'");
    expect(Number(raw!.n)).toBe(4);
  });

  it('updates the forming bar in place and keeps re-imported bars single', async () => {
    const t0 = Date.UTC(2024, 2, 4, 10, 0);
    const history = [0, 1, 2].map((i) => bar('EURUSD', t0 + i * 60_000, 1.08 + i / 1000, { tickVolume: 10 + i }));
    await repo.insertBars(history);
    await repo.insertBars(history);

    const forming = bar('EURUSD', t0 + 3 * 60_000, 1.0831, { tickVolume: 1 });
    await repo.insertBars([forming]);
    await repo.insertBars([{ ...forming, high: 1.0840, close: 1.0838, tickVolume: 2 }]);
    await repo.insertBars([{ ...forming, high: 1.0840, low: 1.0829, close: 1.0835, tickVolume: 3 }]);

    expect(await repo.countBars('EURUSD', 'M1')).toBe(4);
    const last = await repo.lastBars('EURUSD', 'M1', 2);
    expect(last).toEqual([history[2], { ...forming, high: 1.0840, low: 1.0829, close: 1.0835, tickVolume: 3 }]);
    expect((await repo.lastBars('EURUSD', 'M1', 10)).map((b) => b.timeMs)).toEqual([0, 1, 2, 3].map((i) => t0 + i * 60_000));
    expect(await repo.lastBars('EURUSD', 'H1', 10)).toEqual([]);
    expect(await repo.lastBars('EURUSD', 'M1', 0)).toEqual([]);

    await handle.client.command({ query: 'OPTIMIZE TABLE bars FINAL' });
    const merged = await rows<{ close: number; tick_volume: number | string }>(
      handle,
      `SELECT close, tick_volume FROM bars WHERE symbol = 'EURUSD' AND timeframe = 'M1' AND time = fromUnixTimestamp64Milli(${forming.timeMs}, 'UTC')`,
    );
    expect(merged.map((r) => [r.close, Number(r.tick_volume)])).toEqual([[1.0835, 3]]);
  });

  it('inserts large batches in several blocks', async () => {
    const start = Date.UTC(2024, 3, 1);
    const many = Array.from({ length: 25_001 }, (_, i) => tick('BULK', start + i, 1 + i / 1e6));
    expect(await repo.insertTicks(many, { batchSize: 10_000 })).toBe(25_001);
    expect(await repo.countTicks('BULK')).toBe(25_001);
    expect((await repo.lastTick('BULK'))!.timeMs).toBe(start + 25_000);
  });

  it('rejects a time that is not whole epoch milliseconds', async () => {
    await expect(repo.insertTicks([tick('BAD', 1.5, 1)])).rejects.toMatchObject({ code: 'time_invalid' });
    await expect(repo.insertTicks([tick('BAD', Number.NaN, 1)])).rejects.toMatchObject({ code: 'time_invalid' });
  });

  it('keeps the data when the same directory is opened again', async () => {
    await handle.close();
    expect(await handle.ping()).toBe(false);
    handle = await openClickHouse({ dataDir, logger });
    await handle.migrate();
    repo = createMarketDataRepository(handle.client);
    expect(await repo.countTicks('DEDUP')).toBe(4);
    expect((await repo.lastBars('EURUSD', 'M1', 1))[0]!.close).toBe(1.0835);
  });
});

describe('ClickHouse server', () => {
  it('rejects an unreachable CLICKHOUSE_URL, naming it but not the password', async () => {
    const error = await openClickHouse({ clickhouseUrl: 'http://default:Ch5ecretPw@127.0.0.1:1', dataDir: '/nonexistent', logger, requestTimeoutMs: 2_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as Error).message).toContain('CLICKHOUSE_URL');
    expect((error as Error).message).toContain('127.0.0.1:1');
    expect((error as Error).message).not.toContain('Ch5ecretPw');
  });
});
