import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../../core/logger';
import { createPushSource, FailoverRouter, ManualClock, SourceManager, type FeedStatusEvent, type PushSource, type TickSource } from '../../../../engine/ingest/sources';
import type { Tick } from '../../../../engine/market/types';
import { ALWAYS_OPEN } from '../../../../engine/quality';
import { CHECK, RECOVERY, SILENCE, routerHarness, tick } from './support';

const logger = createLogger({ level: 'silent', pretty: false });
const WEDNESDAY = Date.UTC(2024, 0, 10, 12);

/** A router for `sources`, none of them ticking yet, with the market always open. */
function router(sources: string[]) {
  return routerHarness(WEDNESDAY, { calendar: ALWAYS_OPEN }, sources, []);
}

describe('FailoverRouter with sources added at runtime', () => {
  it('starts with no source as down, and makes the first added source active on its first tick', () => {
    const h = router([]);
    expect(h.router.health()).toMatchObject({ state: 'down', active: null, primary: null, sources: [] });
    h.runUntil(WEDNESDAY + 20_000);
    expect(h.events).toEqual([]);

    h.router.addSource('a');
    h.live.add('a');
    h.runUntil(WEDNESDAY + 20_100);
    expect(h.forwarded.map((t) => t.source)).toEqual(['a']);
    expect(h.events).toEqual([expect.objectContaining({ source: 'a', status: 'up', atMs: WEDNESDAY + 20_100, reason: 'active: first source delivering' })]);
    expect(h.router.health()).toMatchObject({ state: 'ok', active: 'a', primary: 'a', switches: 0 });
  });

  it('lets a source added ahead of the active one take over only after it has delivered for recoveryMs', () => {
    const h = router(['b']);
    h.live.add('b');
    h.runUntil(WEDNESDAY + 3000);
    h.router.addSource('a', 0);
    expect(h.router.sourceNames()).toEqual(['a', 'b']);
    // The active source is now a backup by rank: failover until the new primary has earned trust.
    expect(h.router.health()).toMatchObject({ state: 'failover', active: 'b', primary: 'a' });
    expect(h.router.health().sources.map((s) => [s.name, s.priority])).toEqual([['a', 0], ['b', 1]]);

    const joined = h.clock.now();
    h.live.add('a');
    h.runUntil(joined + RECOVERY - 500);
    expect(h.forwarded.every((t) => t.source === 'b')).toBe(true);
    h.runUntil(joined + RECOVERY + 2000);
    expect(h.events).toHaveLength(1);
    expect(h.events[0]).toMatchObject({ source: 'a', status: 'up', reason: expect.stringMatching(/^active: recovered: delivering for 10\.\d s; switching back from b$/) });
    expect(h.events[0]!.atMs).toBeGreaterThanOrEqual(joined + RECOVERY);
    expect(h.events[0]!.atMs).toBeLessThanOrEqual(joined + RECOVERY + 100 + CHECK);
    const switchedAt = h.forwarded.find((t) => t.source === 'a')!.timeMs;
    expect(h.forwarded.filter((t) => t.timeMs > switchedAt).every((t) => t.source === 'a')).toBe(true);
    expect(h.router.health()).toMatchObject({ state: 'ok', active: 'a', switches: 1 });
  });

  it('reports a source added behind that never delivers as down after silenceMs, and fails over to a backup added later', () => {
    const h = router(['a']);
    h.live.add('a');
    h.runUntil(WEDNESDAY + 1000);
    h.router.addSource('mute');
    h.runUntil(WEDNESDAY + 1000 + SILENCE + CHECK + 100);
    expect(h.events.map((e) => [e.source, e.status])).toEqual([['mute', 'down']]);
    expect(h.events[0]!.reason).toMatch(/; standby$/);

    h.router.addSource('late');
    expect(h.router.sourceNames()).toEqual(['a', 'mute', 'late']);
    h.live.add('late');
    h.runUntil(h.clock.now() + 2000);
    const stoppedAt = h.clock.now();
    h.live.delete('a');
    h.runUntil(stoppedAt + SILENCE + 1000);
    expect(h.events.slice(1).map((e) => [e.source, e.status])).toEqual([['a', 'down'], ['late', 'up']]);
    expect(h.events[1]!.atMs).toBeLessThanOrEqual(stoppedAt + SILENCE + CHECK);
    expect(h.router.health()).toMatchObject({ state: 'failover', active: 'late' });
  });

  it('refuses a source twice and a position outside the list', () => {
    const h = router(['a']);
    expect(() => h.router.addSource('a')).toThrow(/source a is already routed/);
    expect(() => h.router.addSource('b', 2)).toThrow(/position must be a whole number from 0 to 1, got 2/);
    expect(() => h.router.addSource('b', -1)).toThrow(RangeError);
    expect(h.router.sourceNames()).toEqual(['a']);
  });
});

describe('SourceManager with sources added at runtime', () => {
  function manager(options: Partial<ConstructorParameters<typeof SourceManager>[0]> = {}) {
    const clock = new ManualClock(WEDNESDAY);
    const events: FeedStatusEvent[] = [];
    const merged: Tick[] = [];
    const m = new SourceManager({ sources: [], symbols: ['EURUSD', 'BTCUSD'], clock, logger, silenceMs: SILENCE, recoveryMs: RECOVERY, checkEveryMs: CHECK, onStatus: (e) => events.push(e), ...options });
    const run = (untilMs: number, live: Array<[PushSource, string]>) => {
      while (clock.now() < untilMs) {
        clock.advance(100);
        for (const [source, symbol] of live) source.push(tick(symbol, clock.now(), 1.085, 'raw'));
      }
    };
    return { clock, manager: m, events, merged, run };
  }
  const order = (m: SourceManager, symbol: string) => m.status().symbols.find((s) => s.symbol === symbol)!.sources.map((s) => s.name);

  it('routes the configured symbols before any source exists, and reports them down', async () => {
    const { manager: m, merged } = manager();
    expect(m.symbols()).toEqual(['EURUSD', 'BTCUSD']);
    await m.start((t) => merged.push(t));
    expect(m.health()).toMatchObject({ status: 'down', detail: 'EURUSD: no source delivering; BTCUSD: no source delivering', symbols: { EURUSD: { state: 'down', active: null } } });
    await m.stop();
  });

  it('places each added source by rank (equal ranks in order of arrival) and routes its ticks', async () => {
    const { manager: m, merged, events, run } = manager();
    await m.start((t) => merged.push(t));
    const x = createPushSource({ name: 'x', kind: 'mt5', symbols: ['EURUSD'] });
    const y = createPushSource({ name: 'y', kind: 'mt5', symbols: ['EURUSD', 'XAUUSD'] });
    const z = createPushSource({ name: 'z', kind: 'mt5', symbols: ['EURUSD'] });
    const w = createPushSource({ name: 'w', kind: 'mt5', symbols: ['EURUSD'] });
    await m.addSource(x, { rank: 1 });
    run(WEDNESDAY + 1000, [[x, 'EURUSD']]);
    await m.addSource(y, { rank: 1 });
    await m.addSource(z, { rank: 0 });
    await m.addSource(w);
    expect(order(m, 'EURUSD')).toEqual(['z', 'x', 'y', 'w']);
    // A symbol no router had yet gets one, running at once.
    expect(m.symbols()).toEqual(['EURUSD', 'BTCUSD', 'XAUUSD']);
    expect(order(m, 'XAUUSD')).toEqual(['y']);
    run(WEDNESDAY + 2000, [[x, 'EURUSD'], [y, 'XAUUSD']]);
    expect(new Set(merged.map((t) => `${t.source}:${t.symbol}`))).toEqual(new Set(['x:EURUSD', 'y:XAUUSD']));
    expect(events.map((e) => [e.symbol, e.source, e.status])).toEqual([
      ['EURUSD', 'x', 'up'],
      ['XAUUSD', 'y', 'up'],
    ]);
    expect(m.status().sources.map((s) => [s.name, s.stats?.state])).toEqual([
      ['x', 'running'],
      ['y', 'running'],
      ['z', 'running'],
      ['w', 'running'],
    ]);
    expect(() => m.addSource(createPushSource({ name: 'x', symbols: ['EURUSD'] }))).toThrow(/two market data sources are named x/);
    await m.stop();
    expect(x.stats!().state).toBe('stopped');
  });

  it('starts a source added before start together with the others, and keeps explicit routes', async () => {
    const a = createPushSource({ name: 'a', symbols: ['EURUSD', 'BTCUSD'] });
    const { manager: m, merged, run } = manager({ sources: [a], routes: { BTCUSD: ['a'] } });
    const late = createPushSource({ name: 'late', symbols: ['EURUSD', 'BTCUSD'] });
    const tie = createPushSource({ name: 'tie', symbols: ['EURUSD'] });
    // Constructor sources rank by index (a is 0): a tie goes after it, a better rank ahead.
    await m.addSource(tie, { rank: 0 });
    await m.addSource(late, { rank: -1 });
    expect(late.stats!().state).toBe('idle');
    expect(order(m, 'EURUSD')).toEqual(['late', 'a', 'tie']);
    expect(order(m, 'BTCUSD')).toEqual(['a']);
    await m.start((t) => merged.push(t));
    run(WEDNESDAY + 500, [[late, 'EURUSD'], [late, 'BTCUSD']]);
    expect(merged.map((t) => `${t.source}:${t.symbol}`)).toEqual(Array(5).fill('late:EURUSD'));
    expect(m.status().unrouted).toEqual({});
    await m.stop();
  });

  it('reports a source that fails to start at runtime as down for its symbols at once', async () => {
    const { manager: m, events, merged } = manager();
    await m.start((t) => merged.push(t));
    const broken: TickSource = { name: 'broken', kind: 'mt5', symbols: () => ['EURUSD'], start: () => Promise.reject(new Error('no route to host')), stop: async () => undefined };
    await m.addSource(broken);
    expect(events).toEqual([expect.objectContaining({ symbol: 'EURUSD', source: 'broken', status: 'down', reason: expect.stringMatching(/^failed: no route to host/) })]);
    expect(m.status().sources).toEqual([expect.objectContaining({ name: 'broken', startError: expect.stringMatching(/no route to host/) })]);
    await m.stop();
  });
});
