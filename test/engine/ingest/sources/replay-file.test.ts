import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../../core/errors';
import { ManualClock, ReplaySource, type ReplayQuote } from '../../../../engine/ingest/sources';
import type { Tick } from '../../../../engine/market/types';
import { drive, MT5_TICKS_HEADER, mt5Time, writeTickFile } from './support';

const T0 = Date.UTC(2024, 2, 1, 7, 0, 0, 123);
/** Irregular gaps, two ticks in one millisecond, a long pause. */
const OFFSETS = [0, 40, 40, 250, 1000, 1001, 5000, 5003, 65_000, 65_500];
const QUOTES = OFFSETS.map((dt, i) => ({ timeMs: T0 + dt, bid: (108_500 + i) / 1e5, ask: (108_510 + i) / 1e5 }));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tp-replay-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function played(source: ReplaySource, clock: ManualClock): Promise<Array<{ at: number; tick: Tick }>> {
  const out: Array<{ at: number; tick: Tick }> = [];
  await source.start((tick) => out.push({ at: clock.now(), tick }));
  await drive(clock, source.finished());
  return out;
}

describe('ReplaySource from a file', () => {
  it('plays an MT5 tick export at ×10, each tick at its virtual time', async () => {
    const file = path.join(dir, 'EURUSD_202403010900_202403010902.csv');
    await writeTickFile(file, QUOTES, 120);
    const clock = new ManualClock(50_000);
    const source = ReplaySource.fromFile({ path: file, tzOffsetMinutes: 120, speed: 10, clock });
    expect(source.symbols()).toEqual(['EURUSD']);
    const out = await played(source, clock);

    expect(out.map((o) => o.tick)).toEqual(QUOTES.map((q) => ({ symbol: 'EURUSD', ...q, last: 0, volume: 0, flags: 6, source: 'replay' })));
    expect(out.map((o) => o.at)).toEqual(OFFSETS.map((dt) => 50_000 + dt / 10));
    await expect(source.finished()).resolves.toEqual({ state: 'ended', emitted: QUOTES.length });
    expect(source.stats()).toMatchObject({ state: 'ended', emitted: QUOTES.length, rejected: {}, lastTickTimeMs: T0 + 65_500 });
    expect(clock.pendingTimers).toBe(0);
  });

  it('skips and counts malformed lines', async () => {
    const file = path.join(dir, 'GBPUSD_ticks.csv');
    const lines = [MT5_TICKS_HEADER, `${mt5Time(T0, 0)}\t1.27000\t1.27010\t\t\t6`, 'garbage', `${mt5Time(T0 + 10, 0)}\tabc\t1.27010\t\t\t2`, `${mt5Time(T0 + 20, 0)}\t1.27002\t1.27012\t\t\t6`];
    await writeFile(file, lines.join('\n'));
    const clock = new ManualClock(0);
    const source = ReplaySource.fromFile({ path: file, tzOffsetMinutes: 0, speed: 'max', clock, name: 'gbp-file' });
    const out = await played(source, clock);
    expect(out.map((o) => [o.tick.symbol, o.tick.timeMs, o.tick.bid, o.tick.source])).toEqual([
      ['GBPUSD', T0, 1.27, 'gbp-file'],
      ['GBPUSD', T0 + 20, 1.27002, 'gbp-file'],
    ]);
    expect(source.stats().rejected).toEqual({ column_count: 1, 'bad_number:bid': 1 });
  });

  it('refuses a bars file on start, saying it needs ticks', async () => {
    const file = path.join(dir, 'EURUSD_H1.csv');
    await writeFile(file, '<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\r\n2024.03.01\t09:00:00\t1.08500\t1.08600\t1.08400\t1.08550\t120\t0\t7\r\n');
    const source = ReplaySource.fromFile({ path: file, tzOffsetMinutes: 0, speed: 'max' });
    const error = await source.start(() => undefined).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ code: 'replay_needs_ticks' });
    expect((error as Error).message).toMatch(/is a bar file \(MT5 "Export bars".*replay plays ticks/);
    expect(source.stats()).toMatchObject({ state: 'failed' });
    // A bar format asked for by name (untyped config) is refused the same way.
    const asked = ReplaySource.fromFile({ path: file, tzOffsetMinutes: 0, speed: 'max', format: 'mt5-bars' as never });
    await expect(asked.start(() => undefined)).rejects.toMatchObject({ code: 'replay_needs_ticks' });
  });

  it('names a file that cannot be read, and a symbol it cannot tell', async () => {
    const missing = ReplaySource.fromFile({ path: path.join(dir, 'EURUSD_none.csv'), tzOffsetMinutes: 0, speed: 'max' });
    await expect(missing.start(() => undefined)).rejects.toMatchObject({ code: 'replay_file_unreadable', message: expect.stringMatching(/EURUSD_none\.csv: ENOENT/) });
    expect(() => ReplaySource.fromFile({ path: path.join(dir, 'ticks.csv'), tzOffsetMinutes: 0, speed: 1 })).toThrow(/cannot tell the symbol/);
    expect(() => ReplaySource.fromFile({ path: path.join(dir, 'EURUSD.csv'), tzOffsetMinutes: 0, speed: -2 })).toThrow(/speed must be/);
  });

  it('stops mid-wait: no tick after stop, no timer left, result "stopped"', async () => {
    const file = path.join(dir, 'USDJPY_ticks.csv');
    await writeTickFile(file, QUOTES, 0);
    const clock = new ManualClock(0);
    const source = ReplaySource.fromFile({ path: file, tzOffsetMinutes: 0, speed: 1, clock });
    const out: Tick[] = [];
    await source.start((t) => out.push(t));
    await clock.whenTimerPending();
    clock.runNext(); // the 40 ms ticks
    await clock.whenTimerPending();
    expect(out.length).toBeGreaterThanOrEqual(1);
    const before = out.length;
    await source.stop();
    expect(clock.pendingTimers).toBe(0);
    await expect(source.finished()).resolves.toMatchObject({ state: 'stopped' });
    clock.advance(120_000);
    expect(out.length).toBe(before);
  });
});

describe('ReplaySource at max speed', () => {
  it('pulls one quote at a time: the reader is never more than one tick ahead of the consumer', async () => {
    let produced = 0;
    let consumed = 0;
    let maxAhead = 0;
    async function* quotes(): AsyncGenerator<ReplayQuote> {
      for (let i = 0; i < 20_000; i++) {
        produced++;
        yield { timeMs: T0 + i, bid: 1.1, ask: 1.1001, last: 0, volume: 0, flags: 6 };
      }
    }
    let drains = 0;
    const source = new ReplaySource({
      symbol: 'EURUSD',
      open: quotes,
      speed: 'max',
      yieldEvery: 500,
      drain: async () => {
        drains++;
      },
    });
    await source.start(() => {
      consumed++;
      maxAhead = Math.max(maxAhead, produced - consumed);
    });
    await expect(source.finished()).resolves.toEqual({ state: 'ended', emitted: 20_000 });
    expect(maxAhead).toBeLessThanOrEqual(1);
    expect(drains).toBe(40);
  });
});
