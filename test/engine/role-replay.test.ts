import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createMetrics, type ReplayConfig } from '../../core';
import { createMarketDataRepository } from '../../db';
import { startEngineRole, type EngineRole } from '../../engine/role';
import { openEngineStores, type EngineStores } from '../support/engine-stores';
import { BTCUSD_EA_JSON, BTCUSD_TICKS } from './ingest/import/support';

// MARKET_FEED=replay: stored history through the live engine (quality gate, bars, ClickHouse,
// the bus), from a tick file or from the ticks ClickHouse holds, at ×N or as fast as it goes.

const logger = createLogger({ level: 'silent', pretty: false });
/** The EA capture's server time is UTC+1. */
const CAPTURE_OFFSET_MINUTES = 60;

interface CaptureTick {
  time_msc: number;
  bid: number;
}

function replayConfig(replay: Partial<ReplayConfig>) {
  const base: ReplayConfig = { symbols: [], files: [], fromMs: undefined, toMs: undefined, speed: 'max', tzOffsetMinutes: 0 };
  return { marketFeed: 'replay' as const, mt5Symbols: [], mt5BridgePort: 0, replay: { ...base, ...replay } };
}

async function untilFinished(engine: EngineRole, withinMs: number): Promise<number> {
  const started = Date.now();
  while (engine.health().detail !== 'replay finished') {
    if (Date.now() - started > withinMs) throw new Error(`the replay did not finish in ${withinMs} ms: ${JSON.stringify(engine.health())}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Date.now() - started;
}

describe('engine role replaying history', () => {
  let stores: EngineStores;
  let capture: CaptureTick[];

  beforeAll(async () => {
    stores = await openEngineStores();
    capture = (JSON.parse(await readFile(BTCUSD_EA_JSON, 'utf8')) as { ticks: CaptureTick[] }).ticks;
  });
  afterAll(async () => stores?.close());

  const start = (config: ReturnType<typeof replayConfig>) =>
    startEngineRole({ config, logger, metrics: createMetrics({ defaultMetrics: false }), shared: stores.shared, clickhouse: stores.clickhouse, db: stores.database.db, instanceId: 'test' });

  it('plays a tick capture at max speed through the pipeline into ticks and bars, then reports it finished', async () => {
    const engine = await start(replayConfig({ files: [BTCUSD_EA_JSON], tzOffsetMinutes: CAPTURE_OFFSET_MINUTES }));
    await untilFinished(engine, 20_000);
    const health = engine.health();
    expect(health.status).toBe('ok');
    const rejected = Object.values(health.rejected as Record<string, number>).reduce((sum, n) => sum + n, 0);
    expect(health.ticksAccepted).toBeGreaterThan(BTCUSD_TICKS * 0.9);
    expect((health.ticksAccepted as number) + rejected).toBe(BTCUSD_TICKS);
    await engine.stop();

    const repository = createMarketDataRepository(stores.clickhouse.client);
    expect(await repository.countTicks('BTCUSD')).toBe(health.ticksAccepted);
    const last = capture.at(-1)!;
    // Recorded times, shifted from the broker's UTC+1 to UTC; the last price is the capture's.
    expect(await repository.lastTick('BTCUSD')).toMatchObject({ timeMs: last.time_msc - CAPTURE_OFFSET_MINUTES * 60_000, bid: last.bid });
    expect(engine.lastPrice('BTCUSD')?.bid).toBe(last.bid);
    const m1 = await repository.lastBars('BTCUSD', 'M1', 10);
    // 09:03:42 → 09:07:13 server time: five M1 bars, the last still forming when the replay ended.
    expect(m1.map((bar) => new Date(bar.timeMs).toISOString())).toEqual([
      '2026-03-07T08:03:00.000Z',
      '2026-03-07T08:04:00.000Z',
      '2026-03-07T08:05:00.000Z',
      '2026-03-07T08:06:00.000Z',
      '2026-03-07T08:07:00.000Z',
    ]);
    expect(m1.at(-1)?.close).toBe(last.bid);
  }, 40_000);

  it('plays the ticks ClickHouse holds for a range at ×N, in their recorded spacing', async () => {
    const repository = createMarketDataRepository(stores.clickhouse.client);
    const fromMs = Date.UTC(2026, 2, 7, 8, 4, 0);
    const toMs = Date.UTC(2026, 2, 7, 8, 6, 0);
    const inRange = await repository.countTicks('BTCUSD', { fromMs, toMs });
    expect(inRange).toBeGreaterThan(100);
    const stored = await stores.clickhouse.client.query({
      query: 'SELECT toUnixTimestamp64Milli(min(time)) AS first, toUnixTimestamp64Milli(max(time)) AS last FROM ticks FINAL WHERE symbol = {symbol:String} AND time >= fromUnixTimestamp64Milli({from:Int64}) AND time < fromUnixTimestamp64Milli({to:Int64})',
      query_params: { symbol: 'BTCUSD', from: fromMs, to: toMs },
      format: 'JSONEachRow',
    });
    const [span] = await stored.json<{ first: string | number; last: string | number }>();
    const marketMs = Number(span!.last) - Number(span!.first);
    const speed = 60;
    const storedBefore = await repository.countTicks('BTCUSD');

    const engine = await start(replayConfig({ symbols: ['BTCUSD'], fromMs, toMs, speed }));
    const tookMs = await untilFinished(engine, 20_000);
    const health = engine.health();
    await engine.stop();
    expect(health.ticksAccepted).toBe(inRange);
    // Two minutes of market at ×60 take two seconds: not less (the ticks were paced), and not
    // much more.
    expect(tookMs).toBeGreaterThanOrEqual(marketMs / speed - 50);
    expect(tookMs).toBeLessThan(marketMs / speed + 5_000);
    // Replayed rows collapse into the stored ones: no duplicates.
    expect(await repository.countTicks('BTCUSD')).toBe(storedBefore);
  }, 40_000);
});
