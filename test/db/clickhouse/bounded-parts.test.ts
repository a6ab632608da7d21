import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BarRow, TickRow } from '../../../db/clickhouse';
import { openTempClickHouse, type TempClickHouse } from '../../support/clickhouse';

// Migration 3 (bounded_parts): on chDB, a month that stops receiving rows ends up as one data
// part, and the parts merges replaced are removed from memory within seconds, both while
// inserts go on. Without it the cleanup task starved during long imports (outdated parts
// piled up, ≈ 19 KB of engine memory each) and past months kept several parts each.

const MONTHS = [Date.UTC(2021, 0, 1), Date.UTC(2021, 1, 1), Date.UTC(2021, 2, 1)];
const INSERTS_PER_MONTH = 12;
const ROWS_PER_INSERT = 200;
const SETTLE_MS = 25_000;

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

/** Polls until every partition of `table` is one active part and no outdated part is left. */
async function settled(ch: TempClickHouse, table: string): Promise<PartCounts[]> {
  const deadline = Date.now() + SETTLE_MS;
  let counts = await partCounts(ch, table);
  while (Date.now() < deadline && !counts.every((c) => c.active === 1 && c.outdated === 0)) {
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

    const after = await settled(ch, 'bars');
    expect(after).toEqual([
      { partition: '202101', active: 1, outdated: 0 },
      { partition: '202102', active: 1, outdated: 0 },
      { partition: '202103', active: 1, outdated: 0 },
    ]);
    expect(await ch.repository.countBars('EURUSD', 'M1')).toBe(MONTHS.length * INSERTS_PER_MONTH * ROWS_PER_INSERT);
  }, SETTLE_MS + 15_000);

  it('does the same for ticks', async () => {
    for (const month of MONTHS) {
      for (let insert = 0; insert < INSERTS_PER_MONTH; insert++) {
        const rows: TickRow[] = [];
        for (let i = 0; i < ROWS_PER_INSERT; i++) {
          const bid = 1.1 + i / 1e5;
          rows.push({ symbol: 'EURUSD', timeMs: month + (insert * ROWS_PER_INSERT + i) * 1_000, bid, ask: bid + 0.0002, last: 0, volume: 0, flags: 6, source: 'test' });
        }
        await ch.repository.insertTicks(rows);
      }
    }
    const after = await settled(ch, 'ticks');
    expect(after).toEqual([
      { partition: '202101', active: 1, outdated: 0 },
      { partition: '202102', active: 1, outdated: 0 },
      { partition: '202103', active: 1, outdated: 0 },
    ]);
    expect(await ch.repository.countTicks('EURUSD')).toBe(MONTHS.length * INSERTS_PER_MONTH * ROWS_PER_INSERT);
  }, SETTLE_MS + 15_000);
});
