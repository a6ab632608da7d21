import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BarRow, TickRow } from '../../../db/clickhouse';
import { openTempClickHouse, type TempClickHouse } from '../../support/clickhouse';

// Migration 3 (bounded_parts): on chDB the parts merges replaced are removed from memory within
// seconds, and a month of bars that stops receiving rows ends up as one data part. Without it
// the cleanup task starved during long imports (outdated parts piled up, ≈ 19 KB of engine
// memory each) and past months of bars kept several parts each.

const MONTHS = [Date.UTC(2021, 0, 1), Date.UTC(2021, 1, 1), Date.UTC(2021, 2, 1)];
const INSERTS_PER_MONTH = 12;
const ROWS_PER_INSERT = 200;
const STREAM_INSERTS = 600;
/** Bars merge a month 10 s after its last insert; the cleanup runs every second. */
const SETTLE_MS = 30_000;

interface PartCounts {
  partition: string;
  active: number;
  outdated: number;
}

async function partCounts(ch: TempClickHouse, table: string): Promise<PartCounts[]> {
  const result = await ch.handle.client.query({
    query: `SELECT partition, toUInt32(countIf(active)) AS active_parts, toUInt32(countIf(NOT active)) AS outdated_parts
            FROM system.parts WHERE database = currentDatabase() AND table = {table:String}
            GROUP BY partition ORDER BY partition`,
    query_params: { table },
    format: 'JSONEachRow',
  });
  return (await result.json<{ partition: string; active_parts: number; outdated_parts: number }>()).map((row) => ({
    partition: row.partition,
    active: Number(row.active_parts),
    outdated: Number(row.outdated_parts),
  }));
}

/** Polls until `done` holds for every partition of `table`, or `withinMs` has passed. */
async function settled(ch: TempClickHouse, table: string, done: (c: PartCounts) => boolean, withinMs: number): Promise<PartCounts[]> {
  const deadline = Date.now() + withinMs;
  let counts = await partCounts(ch, table);
  while (Date.now() < deadline && !counts.every(done)) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    counts = await partCounts(ch, table);
  }
  return counts;
}

describe('ClickHouse parts stay bounded (chDB)', () => {
  let ch: TempClickHouse;

  beforeAll(async () => {
    ch = await openTempClickHouse('bounded-parts');
  });
  afterAll(async () => {
    await ch?.close();
  });

  it('merges each month that stopped receiving bars into one part and drops the replaced parts', async () => {
    for (const month of MONTHS) {
      for (let insert = 0; insert < INSERTS_PER_MONTH; insert++) {
        const rows: BarRow[] = [];
        for (let i = 0; i < ROWS_PER_INSERT; i++) {
          const close = 1.1 + i / 1e5;
          rows.push({ symbol: 'EURUSD', timeframe: 'M1', timeMs: month + (insert * ROWS_PER_INSERT + i) * 60_000, open: close, high: close, low: close, close, tickVolume: 1, spread: 2 });
        }
        await ch.repository.insertBars(rows);
      }
    }
    const before = await partCounts(ch, 'bars');
    expect(before.map((c) => c.partition)).toEqual(['202101', '202102', '202103']);
    expect(before.reduce((sum, c) => sum + c.active + c.outdated, 0)).toBeGreaterThan(MONTHS.length);

    const after = await settled(ch, 'bars', (c) => c.active === 1 && c.outdated === 0, SETTLE_MS);
    expect(after).toEqual([
      { partition: '202101', active: 1, outdated: 0 },
      { partition: '202102', active: 1, outdated: 0 },
      { partition: '202103', active: 1, outdated: 0 },
    ]);
    expect(await ch.repository.countBars('EURUSD', 'M1')).toBe(MONTHS.length * INSERTS_PER_MONTH * ROWS_PER_INSERT);
  }, SETTLE_MS + 15_000);

  it('compactBarMonth merges that month into one part at once; a bad time is refused', async () => {
    const month = Date.UTC(2022, 4, 1);
    for (let insert = 0; insert < INSERTS_PER_MONTH; insert++) {
      const rows: BarRow[] = [];
      for (let i = 0; i < ROWS_PER_INSERT; i++) {
        rows.push({ symbol: 'USDJPY', timeframe: 'M1', timeMs: month + (insert * ROWS_PER_INSERT + i) * 60_000, open: 150, high: 150.1, low: 149.9, close: 150, tickVolume: 1, spread: 2 });
      }
      await ch.repository.insertBars(rows);
    }
    await ch.repository.compactBarMonth(month + 17 * 86_400_000);
    expect((await partCounts(ch, 'bars')).find((c) => c.partition === '202205')?.active).toBe(1);
    expect(await ch.repository.countBars('USDJPY', 'M1')).toBe(INSERTS_PER_MONTH * ROWS_PER_INSERT);
    await expect(ch.repository.compactBarMonth(Number.NaN)).rejects.toThrow(/time must be whole epoch milliseconds/);
  });

  it('writes tick parts compact up to 1 GiB (migration 4): one file per part, not one per column', async () => {
    // 450k ticks are ≈ 13.5 MB uncompressed: past ClickHouse's default 10 MiB such a part is wide.
    const start = Date.UTC(2022, 6, 4);
    const rows: TickRow[] = [];
    for (let i = 0; i < 450_000; i++) {
      const bid = 1.02 + (i % 1000) / 1e5;
      rows.push({ symbol: 'EURCHF', timeMs: start + i * 50, bid, ask: bid + 0.0001, last: 0, volume: 0, flags: 6, source: 'test' });
    }
    await ch.repository.insertTicks(rows, { batchSize: rows.length });
    const result = await ch.handle.client.query({
      query: `SELECT part_type, rows, data_uncompressed_bytes AS bytes FROM system.parts
              WHERE database = currentDatabase() AND table = 'ticks' AND active AND partition = '202207'`,
      format: 'JSONEachRow',
    });
    const parts = await result.json<{ part_type: string; rows: number | string; bytes: number | string }>();
    expect(parts.map((p) => Number(p.rows)).reduce((a, b) => a + b, 0)).toBe(rows.length);
    expect(Math.max(...parts.map((p) => Number(p.bytes)))).toBeGreaterThan(10 * 1024 * 1024);
    expect(parts.map((p) => p.part_type)).toEqual(parts.map(() => 'Compact'));
  }, 30_000);

  it('keeps dropping replaced tick parts while inserts never stop', async () => {
    // A long import: one insert after another, so a merge is always waiting. ClickHouse's own
    // cleanup runs only in a round where no merge is, and never did here: every part a merge
    // replaced stayed in memory until the inserts stopped.
    const start = Date.UTC(2021, 3, 1);
    let outdatedMost = 0;
    for (let insert = 0; insert < STREAM_INSERTS; insert++) {
      const rows: TickRow[] = [];
      for (let i = 0; i < ROWS_PER_INSERT; i++) {
        const bid = 1.1 + i / 1e5;
        rows.push({ symbol: 'GBPUSD', timeMs: start + (insert * ROWS_PER_INSERT + i) * 100, bid, ask: bid + 0.0002, last: 0, volume: 0, flags: 6, source: 'test' });
      }
      await ch.repository.insertTicks(rows);
      // Paced (≥ 6 s in all) so that the cleanup, once a second, has several rounds to run.
      await new Promise((resolve) => setTimeout(resolve, 10));
      if (insert % 50 === 49) {
        const counts = await partCounts(ch, 'ticks');
        outdatedMost = Math.max(outdatedMost, counts.reduce((sum, c) => sum + c.outdated, 0));
      }
    }
    const counts = await partCounts(ch, 'ticks');
    const outdated = counts.reduce((sum, c) => sum + c.outdated, 0);
    const active = counts.reduce((sum, c) => sum + c.active, 0);
    // Merged away: most of the inserts' parts. Still in memory: the last second or two of
    // them (without the setting: all, ≈ 700).
    expect(active).toBeLessThan(STREAM_INSERTS / 4);
    expect(Math.max(outdated, outdatedMost), `replaced parts still held (most seen, at the end: ${outdatedMost}, ${outdated})`).toBeLessThan(STREAM_INSERTS / 2);
    expect(await ch.repository.countTicks('GBPUSD')).toBe(STREAM_INSERTS * ROWS_PER_INSERT);
  }, 60_000);
});
