import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { garbageCollector } from '../../../../core/gc';
import { ReplaySource } from '../../../../engine/ingest/sources';
import type { Tick } from '../../../../engine/market/types';
import { MT5_TICKS_HEADER, mt5Time } from './support';

const TICKS = 100_000;
const MB = 1024 * 1024;
const T0 = Date.UTC(2024, 0, 8, 0, 0, 0);

let dir: string;
let file: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tp-replay-mem-'));
  file = path.join(dir, 'EURUSD_ticks_generated.csv');
  const lines = [MT5_TICKS_HEADER];
  for (let i = 0; i < TICKS; i++) {
    const bid = (108_000 + (i % 700)) / 1e5;
    lines.push(`${mt5Time(T0 + i * 37, 0)}\t${bid.toFixed(5)}\t${(bid + 0.00008).toFixed(5)}\t\t\t6`);
  }
  await writeFile(file, `${lines.join('\r\n')}\r\n`);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ReplaySource at max speed, memory', () => {
  it('replays a file of 100,000 ticks in order with small, flat heap growth', async () => {
    const gc = garbageCollector();
    gc();
    const baseline = process.memoryUsage().heapUsed;
    let maxGrowth = 0;
    let count = 0;
    let inOrder = true;
    let previous = Number.NEGATIVE_INFINITY;
    let last: Tick | undefined;
    const source = ReplaySource.fromFile({ path: file, tzOffsetMinutes: 0, speed: 'max' });
    await source.start((tick) => {
      count++;
      if (tick.timeMs < previous) inOrder = false;
      previous = tick.timeMs;
      last = tick;
      if (count % 20_000 === 0) {
        gc();
        maxGrowth = Math.max(maxGrowth, process.memoryUsage().heapUsed - baseline);
      }
    });
    await expect(source.finished()).resolves.toEqual({ state: 'ended', emitted: TICKS });
    expect(count).toBe(TICKS);
    expect(inOrder).toBe(true);
    expect(last).toMatchObject({ symbol: 'EURUSD', timeMs: T0 + (TICKS - 1) * 37, source: 'replay' });

    // What holding the range would cost, measured the same way: 100,000 ticks in an array.
    gc();
    const before = process.memoryUsage().heapUsed;
    const held: Tick[] = Array.from({ length: TICKS }, (_, i) => ({ symbol: 'EURUSD', timeMs: T0 + i, bid: 1.08 + i / 1e9, ask: 1.0801 + i / 1e9, last: 0, volume: 0, flags: 6, source: 'replay' }));
    gc();
    const holding = process.memoryUsage().heapUsed - before;
    expect(held.length).toBe(TICKS);
    expect(holding).toBeGreaterThan(5 * MB);
    // The streaming replay keeps a line and a read buffer, not the range.
    expect(maxGrowth).toBeLessThan(Math.min(4 * MB, holding / 3));
  });
});
