import { describe, expect, it } from 'vitest';
import { createSandboxFeed } from '../../../../engine/ingest/sandbox';
import { ManualClock, SandboxSource, type Clock } from '../../../../engine/ingest/sources';
import type { Tick } from '../../../../engine/market/types';

/** Wednesday 10 January 2024, 12:00 UTC. */
const START = Date.UTC(2024, 0, 10, 12);
const WALL = 1_000_000;

function record(source: SandboxSource, clock: ManualClock): Array<{ at: number; tick: Tick }> {
  const out: Array<{ at: number; tick: Tick }> = [];
  void source.start((tick) => out.push({ at: clock.now(), tick }));
  return out;
}

describe('SandboxSource', () => {
  it("emits the feed's ticks in order, each when its market time comes at ×60", () => {
    const clock = new ManualClock(WALL);
    const source = new SandboxSource({ seed: 7, symbols: ['EURUSD', 'BTCUSD'], startMs: START, speed: 60, clock });
    const emitted = record(source, clock);
    clock.advance(60_000); // one market hour

    const reference = createSandboxFeed({ seed: 7, symbols: ['EURUSD', 'BTCUSD'], startMs: START, source: 'sandbox' });
    const expected: Tick[] = [];
    while (reference.nextTickTimeMs() <= START + 3_600_000) expected.push(reference.nextTick());
    expect(expected.length).toBeGreaterThan(5000);
    expect(emitted.map((e) => e.tick)).toEqual(expected);
    for (const { at, tick } of emitted) expect(at).toBeCloseTo(WALL + (tick.timeMs - START) / 60, 6);
    expect(source.marketNow()).toBe(START + 3_600_000);
    expect(source.stats()).toMatchObject({ state: 'running', emitted: expected.length, speed: 60 });
  });

  it('plays in real time at ×1: a minute of clock is a minute of market', () => {
    const clock = new ManualClock(START);
    const source = new SandboxSource({ seed: 3, symbols: ['EURUSD'], clock, name: 'demo' });
    const emitted = record(source, clock);
    clock.advance(60_000);
    expect(emitted.length).toBeGreaterThan(20);
    expect(emitted.every(({ at, tick }) => at === tick.timeMs && tick.source === 'demo' && tick.symbol === 'EURUSD')).toBe(true);
    expect(source.symbols()).toEqual(['EURUSD']);
  });

  it('emits nothing after stop and leaves no timer behind', async () => {
    const clock = new ManualClock(WALL);
    const source = new SandboxSource({ seed: 1, symbols: ['BTCUSD'], startMs: START, speed: 10, clock });
    const emitted = record(source, clock);
    clock.advance(10_000);
    const count = emitted.length;
    expect(count).toBeGreaterThan(0);
    await source.stop();
    expect(clock.pendingTimers).toBe(0);
    clock.advance(60_000);
    expect(emitted.length).toBe(count);
    expect(source.stats().state).toBe('stopped');
  });

  it('catches up after a stalled event loop in batches of maxBatch, yielding between them', () => {
    const manual = new ManualClock(WALL);
    // Timers that fire late, as Node's do when the event loop was busy.
    let lateMs = 0;
    const clock: Clock = { now: () => manual.now() + lateMs, setTimeout: (f, ms) => manual.setTimeout(f, ms), clearTimeout: (h) => manual.clearTimeout(h) };
    const source = new SandboxSource({ seed: 5, symbols: ['EURUSD', 'GBPUSD'], startMs: START, speed: 60, maxBatch: 100, clock });
    const perTurn: number[] = [];
    let inTurn = 0;
    void source.start(() => inTurn++);
    lateMs = 600_000; // ten market hours behind
    for (let i = 0; i < 5; i++) {
      manual.runNext();
      perTurn.push(inTurn);
      inTurn = 0;
    }
    expect(perTurn).toEqual([100, 100, 100, 100, 100]);
  });

  it('refuses a speed that is not a positive number', () => {
    expect(() => new SandboxSource({ seed: 1, speed: 0 })).toThrow(/speed/);
    expect(() => new SandboxSource({ seed: 1, speed: Number.POSITIVE_INFINITY })).toThrow(/speed/);
  });
});
