import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createMetrics, STREAMS, type EventOf } from '../../core';
import { createMarketDataRepository, type ClickHouseHandle, type DatabaseHandle, type SharedState } from '../../db';
import { openEngineStores } from '../support/engine-stores';
import { mayRaiseNice } from '../support/priority';
import { createTenancy } from '../../tenancy';
import { createBridgeTokens } from '../../engine/ingest/bridge';
import { SimulatedEa, tickSeries, until } from './ingest/bridge/support';
import { startEngineRole } from '../../engine/role';
import { MarketPipeline } from '../../engine/pipeline';
import type { Tick } from '../../engine/market/types';

const logger = createLogger({ level: 'silent', pretty: false });

function tick(symbol: string, timeMs: number, bid: number, spread = 0.00002): Tick {
  return { symbol, timeMs, bid, ask: +(bid + spread).toFixed(5), last: 0, volume: 0, flags: 6, source: 'test' };
}

describe('MarketPipeline', () => {
  it('gates bad ticks by reason and closes bars on the period boundary', () => {
    const pipeline = new MarketPipeline([{ symbol: 'EURUSD', digits: 5 }]);
    const t0 = Date.UTC(2026, 10, 24, 10, 0, 0);
    expect(pipeline.process(tick('EURUSD', t0, 1.085)).accepted).toBe(true);
    expect(pipeline.process({ ...tick('EURUSD', t0 + 1000, 1.0851), ask: 1.085 }).reason).toBe('crossed_quote');
    expect(pipeline.process(tick('EURUSD', t0 - 1000, 1.0851)).reason).toBe('out_of_order');
    expect(pipeline.process(tick('GBPUSD', t0, 1.27)).reason).toBe('unknown_symbol');
    const next = pipeline.process(tick('EURUSD', t0 + 60_000, 1.0852));
    expect(next.closed.map((b) => b.timeframe)).toEqual(['M1']);
    expect(next.closed[0]).toMatchObject({ symbol: 'EURUSD', timeMs: t0, open: 1.085, close: 1.085, tickVolume: 1 });
    expect(pipeline.rejections()).toEqual({ crossed_quote: 1, out_of_order: 1, unknown_symbol: 1 });
    expect(pipeline.lastPrice('EURUSD')).toMatchObject({ bid: 1.0852, digits: 5 });
  });

  it('hands out live forming bars per tick, copies of closed ones, and the changed bars on request', () => {
    const pipeline = new MarketPipeline([{ symbol: 'EURUSD', digits: 5 }]);
    const t0 = Date.UTC(2026, 10, 24, 10, 0, 0);
    const first = pipeline.process(tick('EURUSD', t0, 1.085));
    const m1 = first.updated[0]!;
    pipeline.process(tick('EURUSD', t0 + 1000, 1.0853));
    // The forming bar itself, updated in place (valid until the next call, as documented).
    expect(m1).toMatchObject({ timeframe: 'M1', high: 1.0853, tickVolume: 2 });
    const changed = pipeline.takeChangedBars();
    expect(changed.map((b) => b.timeframe)).toEqual(['M1', 'M5', 'M15', 'H1', 'H4', 'D1']);
    expect(changed[0]).toEqual({ ...m1 });
    expect(changed[0]).not.toBe(m1);
    expect(pipeline.takeChangedBars()).toEqual([]);
    const next = pipeline.process(tick('EURUSD', t0 + 60_000, 1.0852));
    expect(next.closed[0]).not.toBe(m1);
    pipeline.process(tick('EURUSD', t0 + 61_000, 1.0849));
    expect(next.closed[0]).toMatchObject({ timeMs: t0, close: 1.0853, tickVolume: 2 });
    // The last price is a copy too.
    const last = pipeline.lastPrice('EURUSD')!;
    pipeline.process(tick('EURUSD', t0 + 62_000, 1.0848));
    expect(last.bid).toBe(1.0849);
  });
});

describe('engine role on chDB', () => {
  let clickhouse: ClickHouseHandle;
  let database: DatabaseHandle;
  let shared: SharedState;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ clickhouse, database, shared, close } = await openEngineStores());
  });
  afterAll(async () => close?.());

  it('runs the sandbox feed into ClickHouse and flushes everything on stop', async () => {
    const bars: EventOf<'bar.closed'>[] = [];
    const subscription = shared.bus.subscribe(STREAMS.bars, { group: 'test', consumer: 'c1' }, async (message) => {
      if (message.event.type === 'bar.closed') bars.push(message.event);
    });
    await subscription.ready;
    const config = { marketFeed: 'sandbox' as const, mt5Symbols: [], mt5BridgePort: 0, eventLoopNice: -3 };
    const base = os.getPriority(0);
    const engine = await startEngineRole({ config, logger, metrics: createMetrics({ defaultMetrics: false }), shared, clickhouse, db: database.db, instanceId: 'test', feedSeed: 42 });
    // The event-loop thread runs ahead of the rest while the feed runs (where the OS lets it).
    expect(os.getPriority(0)).toBe(mayRaiseNice() ? -3 : base);
    // BTCUSD trades around the clock, so ticks flow whatever the day of the week.
    const deadline = Date.now() + 15_000;
    while (!engine.lastPrice('BTCUSD') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1500));
    const health = engine.health();
    expect(health.status).toBe('ok');
    expect(health.ticksAccepted).toBeGreaterThan(0);
    await engine.stop();
    expect(os.getPriority(0)).toBe(base);
    await subscription.stop();

    const repository = createMarketDataRepository(clickhouse.client);
    let stored = 0;
    for (const symbol of engine.symbols()) stored += await repository.countTicks(symbol);
    // Every accepted tick reached ClickHouse: stop() flushed what was buffered.
    expect(stored).toBe(engine.health().ticksAccepted);
    const last = await repository.lastTick('BTCUSD');
    expect(last?.bid).toBe(engine.lastPrice('BTCUSD')?.bid);
    expect((await repository.lastBars('BTCUSD', 'M1', 5)).length).toBeGreaterThan(0);
    expect(bars.every((b) => b.type === 'bar.closed')).toBe(true);
  }, 30_000);
});

describe('engine role fed by an MT5 terminal', () => {
  let clickhouse: ClickHouseHandle;
  let database: DatabaseHandle;
  let shared: SharedState;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ clickhouse, database, shared, close } = await openEngineStores());
  });
  afterAll(async () => close?.());

  it('takes ticks from an EA with a tenant bridge token into bars, ClickHouse and feed events', async () => {
    const tenancy = createTenancy({ db: database.db, logger });
    const { tenant } = await tenancy.createTenant({ name: 'MT5 Desk', plan: 'pro', actor: 'test' });
    const { token } = await createBridgeTokens(database.db).issue({ tenantId: tenant.id, name: 'terminal 1', actor: 'test' });
    const feed: string[] = [];
    const feedSubscription = shared.bus.subscribe(STREAMS.feed, { group: 'test', consumer: 'c1', startFrom: 'earliest' }, async (message) => {
      if (message.event.type === 'feed.status') feed.push(`${message.event.symbol}:${message.event.status}`);
    });
    await feedSubscription.ready;

    const config = { marketFeed: 'mt5' as const, mt5Symbols: ['EURUSD'], mt5BridgePort: 0 };
    const metrics = createMetrics({ defaultMetrics: false });
    const engine = await startEngineRole({ config, logger, metrics, shared, clickhouse, db: database.db, instanceId: 'test', bridgeHost: '127.0.0.1' });
    const port = engine.bridge()!.port;
    const start = Date.UTC(2025, 5, 2, 9);
    const series = tickSeries('EURUSD', 500, 11, start);
    const ea = new SimulatedEa({ port, token, tzOffsetMinutes: 0 });
    await ea.connect();
    ea.enqueue(...series.map((t) => SimulatedEa.tickLine(t)), SimulatedEa.tickLine({ symbol: 'EURUSD', timeMsc: start + 61_000, bid: 1.085, ask: 1.08512 }));
    await ea.stream();
    await until(() => engine.health().ticksAccepted === 501, 10_000, 'all ticks accepted');
    expect(engine.lastPrice('EURUSD')).toMatchObject({ bid: 1.085, ask: 1.08512, digits: 5 });
    // /metrics counts them by symbol and by the terminal they came from.
    const accepted = (await metrics.ticks.get()).values.filter((v) => v.labels.outcome === 'accepted');
    expect(accepted).toEqual([{ labels: { symbol: 'EURUSD', source: expect.stringMatching(/^mt5:/), outcome: 'accepted' }, value: 501 }]);
    // The terminal goes away: past the silence threshold the feed is reported down on the bus.
    await ea.end();
    await until(() => feed.includes('EURUSD:down'), 12_000, 'feed down event');
    expect(engine.health().status).not.toBe('ok');
    await engine.stop();
    await feedSubscription.stop();

    const repository = createMarketDataRepository(clickhouse.client);
    expect(await repository.countTicks('EURUSD')).toBe(501);
    const [bar] = await repository.lastBars('EURUSD', 'M1', 2);
    expect(bar).toMatchObject({ timeMs: start, open: series[0]!.bid, close: series.at(-1)!.bid });
  }, 30_000);
});
