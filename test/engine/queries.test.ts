import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MarketDataRepository } from '../../db';
import { createMarketQueries } from '../../engine/queries';
import { SMA, RSI } from '../../engine/indicators';
import { openTempClickHouse, type TempClickHouse } from '../support/clickhouse';

describe('market queries on chDB', () => {
  let clickhouse: TempClickHouse;
  let repository: MarketDataRepository;
  const t0 = Date.UTC(2026, 0, 5, 0, 0);
  const closes = Array.from({ length: 60 }, (_, i) => 1.1 + Math.sin(i / 5) * 0.01 + i * 0.0001);

  beforeAll(async () => {
    clickhouse = await openTempClickHouse('queries');
    repository = clickhouse.repository;
    await repository.insertBars(closes.map((close, i) => ({ symbol: 'EURUSD', timeframe: 'H1', timeMs: t0 + i * 3_600_000, open: close, high: close + 0.001, low: close - 0.001, close, tickVolume: 10, spread: 8 })));
    await repository.insertTicks([{ symbol: 'EURUSD', timeMs: t0 + 5, bid: 1.1, ask: 1.10002, last: 0, volume: 0, flags: 6, source: 'test' }]);
  });
  afterAll(async () => clickhouse?.close());

  it('computes an indicator snapshot from stored bars that matches the streaming indicators', async () => {
    const queries = createMarketQueries({ repository });
    const snapshot = await queries.indicatorSnapshot('eurusd', 'h1');
    expect(snapshot).toMatchObject({ symbol: 'EURUSD', timeframe: 'H1', bars: 60, barTimeMs: t0 + 59 * 3_600_000 });
    const sma = new SMA(20);
    const rsi = new RSI(14);
    for (const c of closes) {
      sma.update(c);
      rsi.update(c);
    }
    expect(snapshot.values.sma20).toBeCloseTo(sma.value!, 12);
    expect(snapshot.values.rsi14).toBeCloseTo(rsi.value!, 12);
    expect(snapshot.values.atr14).not.toBeNull();
  });

  it('reads the last price from the live engine when there is one, ClickHouse otherwise', async () => {
    const stored = await createMarketQueries({ repository }).lastPrice('EURUSD');
    expect(stored).toMatchObject({ bid: 1.1, ask: 1.10002, source: 'test' });
    const live = createMarketQueries({ repository, live: { lastPrice: (s) => (s === 'EURUSD' ? { symbol: s, timeMs: 1, bid: 1.2, ask: 1.2001, source: 'mt5' } : undefined) } });
    expect((await live.lastPrice('EURUSD')).bid).toBe(1.2);
  });

  it('names what is wrong in a bad query and says when there is no data', async () => {
    const queries = createMarketQueries({ repository });
    await expect(queries.lastBars('EURUSD', 'H2', 5)).rejects.toThrow(/timeframe "H2" is not one of M1, M5, M15, H1, H4, D1/);
    await expect(queries.lastBars('EUR USD', 'H1', 5)).rejects.toThrow(/symbol "EUR USD" is not valid/);
    await expect(queries.lastBars('EURUSD', 'H1', 0)).rejects.toThrow(/count must be/);
    await expect(queries.indicatorSnapshot('GBPUSD', 'H1')).rejects.toThrow(/no H1 bars for GBPUSD yet/);
    await expect(queries.lastPrice('GBPUSD')).rejects.toThrow(/no price for GBPUSD yet/);
    expect((await queries.lastBars('EURUSD', 'H1', 3)).map((b) => b.timeMs)).toEqual([57, 58, 59].map((i) => t0 + i * 3_600_000));
  });
});
