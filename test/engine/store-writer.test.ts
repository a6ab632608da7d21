import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../core';
import type { BarRow, MarketDataRepository, TickRow } from '../../db';
import type { Tick } from '../../engine/market/types';
import { MarketPipeline } from '../../engine/pipeline';
import { StoreWriter } from '../../engine/store-writer';
import { openTempClickHouse, type TempClickHouse } from '../support/clickhouse';

const logger = createLogger({ level: 'silent', pretty: false });

function tick(symbol: string, timeMs: number, bid: number, spread = 0.00002): Tick {
  return { symbol, timeMs, bid, ask: +(bid + spread).toFixed(5), last: 0, volume: 0, flags: 6, source: 'test' };
}

/** The rows of a TabSeparated tick body, read back the way ClickHouse reads them. */
function rowsOf(body: Buffer): TickRow[] {
  const text = body.toString('utf8');
  if (text === '') return [];
  return text
    .trimEnd()
    .split('\n')
    .map((line) => {
      const [symbol, source, time, bid, ask, last, volume, flags] = line.split('\t') as [string, string, string, string, string, string, string, string];
      return { symbol, timeMs: Date.parse(`${time.replace(' ', 'T')}Z`), bid: Number(bid), ask: Number(ask), last: Number(last), volume: Number(volume), flags: Number(flags), source };
    });
}

/**
 * A store that can be switched off, recording what reached it. Ticks arrive as the writer
 * sends them to ClickHouse: encoded bodies (insertTickText), decoded here.
 */
function fakeStore() {
  const state = { down: false, failAfterTicks: Number.POSITIVE_INFINITY, ticks: [] as TickRow[], bars: [] as BarRow[], tickInserts: 0 };
  const repository = {
    async insertTickText(body: Buffer) {
      if (state.down) throw new Error('clickhouse: connection refused');
      if (state.ticks.length >= state.failAfterTicks) throw new Error('clickhouse: timeout');
      state.ticks.push(...rowsOf(body));
      state.tickInserts += 1;
    },
    async insertBars(rows: readonly BarRow[]) {
      if (state.down) throw new Error('clickhouse: connection refused');
      state.bars.push(...rows);
      return rows.length;
    },
  } as unknown as MarketDataRepository;
  return { state, repository };
}

describe('StoreWriter', () => {
  it('keeps the batch while the store is down and writes it once it is back', async () => {
    const { state, repository } = fakeStore();
    state.down = true;
    const writer = new StoreWriter({ repository, logger, maxBufferedTicks: 3 });
    const t0 = Date.UTC(2026, 0, 5);
    for (let i = 0; i < 2; i++) writer.addTick(tick('EURUSD', t0 + i, 1.1));
    await writer.flush();
    expect(writer.status()).toMatchObject({ buffered: 2, lastError: 'clickhouse: connection refused' });
    for (let i = 2; i < 5; i++) writer.addTick(tick('EURUSD', t0 + i, 1.1));
    expect(writer.status()).toMatchObject({ buffered: 3, droppedTicks: 2 });
    state.down = false;
    await writer.flush();
    expect(state.ticks.map((t) => t.timeMs)).toEqual([t0 + 2, t0 + 3, t0 + 4]);
    expect(writer.status()).toMatchObject({ buffered: 0, lastError: undefined });
  });

  it('writes ticks field for field, forming bars in their latest state, and resends only what failed', async () => {
    const { state, repository } = fakeStore();
    const pipeline = new MarketPipeline([
      { symbol: 'EURUSD', digits: 5 },
      { symbol: 'USDJPY', digits: 3 },
    ]);
    const writer = new StoreWriter({ repository, logger, insertRows: 1_500, sliceRows: 100, changedBars: () => pipeline.takeChangedBars() });
    const t0 = Date.UTC(2026, 0, 5, 10);
    const sent: Tick[] = [];
    for (let i = 0; i < 10_000; i++) {
      const t = i % 3 === 0 ? { ...tick('USDJPY', t0 + i * 10, 151.123 + i / 1000, 0.012), volume: i, flags: 2, source: 'mt5:B' } : tick('EURUSD', t0 + i * 10, 1.1 + (i % 7) / 1e5);
      sent.push({ ...t });
      const outcome = pipeline.process(t);
      if (outcome.accepted) writer.addTick(t);
      for (const bar of outcome.closed) writer.addBar(bar);
      // The writer copied it: changing the caller's object afterwards changes nothing.
      t.bid = -1;
    }
    state.failAfterTicks = 4_500;
    await writer.flush();
    // Three inserts of 1 500 went before the failure; the rest (and the bars, which follow the ticks) wait.
    expect(state.ticks.length).toBe(4_500);
    expect(writer.status()).toMatchObject({ lastError: 'clickhouse: timeout' });
    expect(writer.status().buffered).toBeGreaterThan(10_000 - 4_500);
    state.failAfterTicks = Number.POSITIVE_INFINITY;
    await writer.flush();
    expect(writer.status()).toMatchObject({ buffered: 0, droppedTicks: 0, lastError: undefined });
    expect(state.ticks).toEqual(sent);
    expect(state.tickInserts).toBe(Math.ceil(10_000 / 1_500));
    // Each bar went once: 100 s of ticks, so M1 bar 0 closed and bar 1 in its state at the flush.
    const m1 = state.bars.filter((b) => b.symbol === 'EURUSD' && b.timeframe === 'M1');
    expect(m1.map((b) => (b.timeMs - t0) / 60_000)).toEqual([0, 1]);
    const last = sent.filter((t) => t.symbol === 'EURUSD').at(-1)!;
    expect(m1[1]).toMatchObject({ close: last.bid });
    writer.addTick(tick('EURUSD', t0 + 100_000, 1.1));
    await Promise.all([writer.flush(), writer.flush()]);
    expect(writer.status().buffered).toBe(0);
  });

  it('drops the oldest ticks beyond its bound while the store is down, and counts them', async () => {
    const { state, repository } = fakeStore();
    state.down = true;
    const writer = new StoreWriter({ repository, logger, maxBufferedTicks: 10_000 });
    for (let i = 0; i < 25_000; i++) writer.addTick(tick('EURUSD', i, 1.1));
    expect(writer.status()).toMatchObject({ buffered: 10_000, droppedTicks: 15_000 });
    await writer.flush();
    for (let i = 25_000; i < 30_000; i++) writer.addTick(tick('EURUSD', i, 1.1));
    expect(writer.status()).toMatchObject({ buffered: 10_000, droppedTicks: 20_000 });
    state.down = false;
    await writer.flush();
    expect(state.ticks.map((t) => t.timeMs)).toEqual(Array.from({ length: 10_000 }, (_, i) => 20_000 + i));
  });

  it('loses no tick that arrives while a flush is running: it goes with the next one, in order', async () => {
    const { state, repository } = fakeStore();
    const writer = new StoreWriter({ repository, logger, sliceRows: 50 });
    for (let i = 0; i < 1_000; i++) writer.addTick(tick('EURUSD', i, 1.1));
    const flushing = writer.flush();
    // The flush yields to the event loop between slices: ticks arriving meanwhile are buffered.
    for (let turn = 0; turn < 5; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
      writer.addTick(tick('EURUSD', 1_000 + turn, 1.1));
    }
    await flushing;
    expect(state.ticks).toHaveLength(1_000);
    expect(writer.status().buffered).toBe(5);
    await writer.flush();
    expect(state.ticks.map((t) => t.timeMs)).toEqual(Array.from({ length: 1_005 }, (_, i) => i));
  });
});

describe('StoreWriter on chDB', () => {
  let store: TempClickHouse;

  beforeAll(async () => {
    store = await openTempClickHouse('store-writer');
  });
  afterAll(async () => store?.close());

  it('encodes a slice at a time and stores every tick once, with its bars', async () => {
    const { repository } = store;
    const pipeline = new MarketPipeline([{ symbol: 'SLICED', digits: 5 }]);
    const writer = new StoreWriter({ repository, logger, insertRows: 2_500, sliceRows: 300, changedBars: () => pipeline.takeChangedBars() });
    const t0 = Date.UTC(2026, 0, 5, 10);
    let last = 0;
    for (let i = 0; i < 6_000; i++) {
      last = 1.1 + (i % 11) / 1e5;
      const outcome = pipeline.process(tick('SLICED', t0 + i * 20, last));
      writer.addTick(tick('SLICED', t0 + i * 20, last));
      for (const bar of outcome.closed) writer.addBar(bar);
    }
    await writer.flush();
    expect(writer.status()).toMatchObject({ buffered: 0, lastError: undefined });
    expect(await repository.countTicks('SLICED')).toBe(6_000);
    expect(await repository.lastTick('SLICED')).toMatchObject({ timeMs: t0 + 5_999 * 20, bid: last, source: 'test' });
    const m1 = await repository.lastBars('SLICED', 'M1', 5);
    expect(m1.map((b) => (b.timeMs - t0) / 60_000)).toEqual([0, 1]);
    expect(m1[1]).toMatchObject({ close: last, tickVolume: 6_000 - 3_000 });
  });
});
