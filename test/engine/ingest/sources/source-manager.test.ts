import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../../core/logger';
import { createPushSource, ManualClock, SandboxSource, SourceManager, type FeedStatusEvent, type PushSource, type TickSource } from '../../../../engine/ingest/sources';
import type { Tick } from '../../../../engine/market/types';
import { ALWAYS_OPEN, fxCalendar } from '../../../../engine/quality';
import { tick } from './support';

const logger = createLogger({ level: 'silent', pretty: false });
const WEDNESDAY = Date.UTC(2024, 0, 10, 12);

function setup(extra: TickSource[] = []) {
  const clock = new ManualClock(WEDNESDAY);
  const mt5 = createPushSource({ name: 'mt5', kind: 'mt5', symbols: ['EURUSD', 'BTCUSD'] });
  const backup = createPushSource({ name: 'backup', symbols: ['EURUSD'] });
  const events: FeedStatusEvent[] = [];
  const manager = new SourceManager({
    sources: [mt5, backup, ...extra],
    clock,
    logger,
    calendarFor: (symbol) => (symbol === 'BTCUSD' ? ALWAYS_OPEN : fxCalendar()),
    onStatus: (e) => events.push(e),
  });
  const merged: Tick[] = [];
  /** Advance in 100 ms steps; each step every (source, symbol) in `live` pushes one tick. */
  const run = (untilMs: number, live: Array<[PushSource, string]>) => {
    while (clock.now() < untilMs) {
      clock.advance(100);
      for (const [source, symbol] of live) source.push(tick(symbol, clock.now(), symbol === 'BTCUSD' ? 65_000 : 1.085, 'raw'));
    }
  };
  return { clock, mt5, backup, manager, events, merged, run };
}

describe('SourceManager', () => {
  it('merges the active source of every symbol into one stream, tagged with the source name', async () => {
    const { manager, mt5, backup, merged, run } = setup();
    expect(manager.symbols()).toEqual(['EURUSD', 'BTCUSD']);
    await manager.start((t) => merged.push(t));
    run(WEDNESDAY + 2000, [[mt5, 'EURUSD'], [mt5, 'BTCUSD'], [backup, 'EURUSD']]);
    expect(merged).toHaveLength(40);
    expect(new Set(merged.map((t) => `${t.source}:${t.symbol}`))).toEqual(new Set(['mt5:EURUSD', 'mt5:BTCUSD']));
    expect(manager.health()).toMatchObject({ status: 'ok', symbols: { EURUSD: { state: 'ok', active: 'mt5' }, BTCUSD: { state: 'ok', active: 'mt5' } } });
    await manager.stop();
  });

  it('fails one symbol over while the others stay on the primary, and reports it in health and status', async () => {
    const { manager, mt5, backup, merged, events, run } = setup();
    await manager.start((t) => merged.push(t));
    run(WEDNESDAY + 2000, [[mt5, 'EURUSD'], [mt5, 'BTCUSD'], [backup, 'EURUSD']]);
    // The terminal stops sending EURUSD (symbol removed from Market Watch); BTCUSD goes on.
    run(WEDNESDAY + 10_000, [[mt5, 'BTCUSD'], [backup, 'EURUSD']]);
    expect(events.map((e) => [e.symbol, e.status, e.source])).toEqual([
      ['EURUSD', 'down', 'mt5'],
      ['EURUSD', 'up', 'backup'],
    ]);
    const tail = merged.filter((t) => t.timeMs > WEDNESDAY + 7500);
    expect(new Set(tail.map((t) => `${t.source}:${t.symbol}`))).toEqual(new Set(['backup:EURUSD', 'mt5:BTCUSD']));

    const health = manager.health();
    expect(health).toMatchObject({ status: 'degraded', detail: 'EURUSD: on backup backup' });
    const status = manager.status();
    expect(status.running).toBe(true);
    expect(status.symbols.find((s) => s.symbol === 'EURUSD')).toMatchObject({ state: 'failover', active: 'backup', primary: 'mt5', switches: 1 });
    expect(status.sources.map((s) => [s.name, s.kind, s.stats?.state])).toEqual([
      ['mt5', 'mt5', 'running'],
      ['backup', 'push', 'running'],
    ]);
    await manager.stop();
    expect(manager.health()).toMatchObject({ status: 'down', detail: 'market data sources are not running' });
  });

  it('keeps going when one source fails to start, and fails its symbols over at once', async () => {
    const broken: TickSource = {
      name: 'bridge',
      kind: 'mt5',
      symbols: () => ['EURUSD'],
      start: () => Promise.reject(new Error('listen EADDRINUSE: address already in use 0.0.0.0:5555')),
      stop: async () => undefined,
    };
    const clock = new ManualClock(WEDNESDAY);
    const sandbox = new SandboxSource({ seed: 11, symbols: ['EURUSD'], clock });
    const events: FeedStatusEvent[] = [];
    const merged: Tick[] = [];
    const manager = new SourceManager({ sources: [broken, sandbox], clock, logger, calendarFor: () => fxCalendar(), onStatus: (e) => events.push(e) });
    await manager.start((t) => merged.push(t));
    expect(events[0]).toMatchObject({ symbol: 'EURUSD', source: 'bridge', status: 'down', reason: expect.stringMatching(/^failed: listen EADDRINUSE/) });
    clock.advance(60_000);
    expect(events[1]).toMatchObject({ source: 'sandbox', status: 'up' });
    expect(merged.length).toBeGreaterThan(10);
    expect(merged.every((t) => t.source === 'sandbox')).toBe(true);
    expect(manager.status().sources[0]).toMatchObject({ name: 'bridge', stats: null, startError: expect.stringMatching(/EADDRINUSE/) });
    await manager.stop();
  });

  it('fails to start when no source can start', async () => {
    const broken = (name: string): TickSource => ({ name, kind: 'mt5', symbols: () => ['EURUSD'], start: () => Promise.reject(new Error(`${name} is down`)), stop: async () => undefined });
    const manager = new SourceManager({ sources: [broken('a'), broken('b')], clock: new ManualClock(WEDNESDAY), logger });
    await expect(manager.start(() => undefined)).rejects.toThrow('a is down');
  });

  it('follows explicit routes, and refuses a route naming an unknown source', async () => {
    const clock = new ManualClock(WEDNESDAY);
    const a = createPushSource({ name: 'a', symbols: ['EURUSD'] });
    const b = createPushSource({ name: 'b', symbols: ['EURUSD'] });
    const merged: Tick[] = [];
    const manager = new SourceManager({ sources: [a, b], routes: { EURUSD: ['b', 'a'] }, clock, logger });
    await manager.start((t) => merged.push(t));
    a.push(tick('EURUSD', clock.now(), 1.1));
    b.push(tick('EURUSD', clock.now(), 1.2));
    expect(merged.map((t) => t.source)).toEqual(['b']);
    await manager.stop();
    expect(() => new SourceManager({ sources: [a, b], routes: { EURUSD: ['c'] }, clock, logger })).toThrow(/unknown source\(s\) c; known: a, b/);
    expect(() => new SourceManager({ sources: [a, a], clock, logger })).toThrow(/two market data sources are named a/);
  });

  it('survives a consumer that throws', async () => {
    const { manager, mt5, run } = setup();
    let calls = 0;
    await manager.start(() => {
      calls++;
      throw new Error('pipeline bug');
    });
    run(WEDNESDAY + 1000, [[mt5, 'EURUSD']]);
    expect(calls).toBe(10);
    await manager.stop();
  });
});
