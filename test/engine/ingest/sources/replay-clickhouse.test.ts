import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseHandle, TickRow } from '../../../../db/clickhouse';
import { ManualClock, ReplaySource } from '../../../../engine/ingest/sources';
import type { Tick } from '../../../../engine/market/types';
import { openTempClickHouse, type TempClickHouse } from '../../../support/clickhouse';
import { drive } from './support';

// chDB binds one data directory per process; vitest runs each file in its own fork.
const T0 = Date.UTC(2024, 4, 31, 22, 0); // the range crosses a month (and partition) boundary
const N = 25_000;

/** Generated ticks: mostly 100 ms apart, every 50th shares its millisecond with a second tick. */
function generate(): TickRow[] {
  const rows: TickRow[] = [];
  let t = T0;
  for (let i = 0; i < N; i++) {
    if (i % 50 !== 1) t += 100;
    const bid = (108_000 + ((i * 7) % 400)) / 1e5;
    rows.push({ symbol: 'EURUSD', timeMs: t, bid, ask: Math.round((bid + 0.00008) * 1e5) / 1e5, last: 0, volume: 0, flags: 6, source: 'mt5' });
  }
  return rows;
}

function byKey(a: TickRow, b: TickRow): number {
  return a.timeMs - b.timeMs || a.bid - b.bid || a.ask - b.ask;
}

describe('ReplaySource from ClickHouse (chDB)', () => {
  let ch: TempClickHouse;
  let handle: ClickHouseHandle;
  const rows = generate();

  beforeAll(async () => {
    ch = await openTempClickHouse('replay-ch');
    handle = ch.handle;
    const repo = ch.repository;
    await repo.insertTicks(rows);
    // A re-import of a stretch (not yet merged away) and another symbol in the same range.
    await repo.insertTicks(rows.slice(1000, 3000));
    await repo.insertTicks(rows.slice(0, 2000).map((r) => ({ ...r, symbol: 'GBPUSD', bid: r.bid + 0.2, ask: r.ask + 0.2 })));
  });
  afterAll(async () => {
    await ch?.close();
  });

  it('replays every tick of the range once, in time order, page by page', async () => {
    const source = ReplaySource.fromClickHouse({ client: handle.client, symbol: 'EURUSD', speed: 'max', pageSize: 1000, name: 'history' });
    const out: Tick[] = [];
    await source.start((t) => out.push(t));
    await expect(source.finished()).resolves.toEqual({ state: 'ended', emitted: N });
    const expected = [...rows].sort(byKey).map((r) => ({ ...r, source: 'history' }));
    expect(out).toEqual(expected);
  });

  it('honours [fromMs, toMs) and a page size that splits same-millisecond ticks', async () => {
    const sorted = [...rows].sort(byKey);
    const fromMs = sorted[4000]!.timeMs;
    const toMs = sorted[9000]!.timeMs;
    const expected = sorted.filter((r) => r.timeMs >= fromMs && r.timeMs < toMs);
    const source = ReplaySource.fromClickHouse({ client: handle.client, symbol: 'EURUSD', fromMs, toMs, speed: 'max', pageSize: 7 * 50 + 1 });
    const out: Tick[] = [];
    await source.start((t) => out.push(t));
    await source.finished();
    expect(out.map((t) => [t.timeMs, t.bid])).toEqual(expected.map((r) => [r.timeMs, r.bid]));
  });

  it('plays stored ticks at ×N on a virtual clock', async () => {
    const sorted = [...rows].sort(byKey).slice(0, 120);
    const clock = new ManualClock(0);
    const source = ReplaySource.fromClickHouse({ client: handle.client, symbol: 'EURUSD', toMs: sorted[sorted.length - 1]!.timeMs + 1, speed: 4, pageSize: 25, clock });
    const at: number[] = [];
    await source.start(() => at.push(clock.now()));
    await drive(clock, source.finished());
    expect(at).toEqual(sorted.map((r) => (r.timeMs - T0 - 100) / 4));
  });

  it('starts with nothing to play when the range is empty, and refuses an inverted range', async () => {
    const source = ReplaySource.fromClickHouse({ client: handle.client, symbol: 'USDJPY', speed: 'max' });
    await source.start(() => undefined);
    await expect(source.finished()).resolves.toEqual({ state: 'ended', emitted: 0 });
    expect(() => ReplaySource.fromClickHouse({ client: handle.client, symbol: 'EURUSD', fromMs: 10, toMs: 10, speed: 'max' })).toThrow(/range is empty/);
  });
});
