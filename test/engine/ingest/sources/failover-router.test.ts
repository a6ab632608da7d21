import { describe, expect, it } from 'vitest';
import { feedStatusEvent } from '../../../../core/events';
import type { Tick } from '../../../../engine/market/types';
import { FailoverRouter, ManualClock } from '../../../../engine/ingest/sources';
import { fxCalendar } from '../../../../engine/quality';
import { CHECK, RECOVERY, SILENCE, routerHarness, tick } from './support';

/** Wednesday 10 January 2024, 12:00 UTC: FX is open. */
const WEDNESDAY = Date.UTC(2024, 0, 10, 12);

/** The clock time of the first forwarded tick from `source` (the moment it became active). */
function firstFrom(forwarded: Tick[], source: string): number | undefined {
  return forwarded.find((t) => t.source === source)?.timeMs;
}

describe('FailoverRouter', () => {
  it('forwards only the primary while it delivers', () => {
    const h = routerHarness(WEDNESDAY);
    h.runUntil(WEDNESDAY + 60_000);
    expect(h.forwarded.length).toBe(600);
    expect(h.forwarded.every((t) => t.source === 'mt5')).toBe(true);
    expect(h.events).toEqual([]);
    expect(h.router.health()).toMatchObject({ state: 'ok', active: 'mt5', switches: 0, marketOpen: true });
  });

  it('fails over to the backup within one check of the silence threshold being crossed', () => {
    const h = routerHarness(WEDNESDAY);
    h.runUntil(WEDNESDAY + 10_000);
    const lastPrimary = h.clock.now();
    h.live.delete('mt5');
    h.runUntil(lastPrimary + 20_000);

    const down = h.events.find((e) => e.status === 'down');
    const up = h.events.find((e) => e.status === 'up');
    expect(down).toMatchObject({ source: 'mt5', symbol: 'EURUSD' });
    expect(up).toMatchObject({ source: 'sandbox', symbol: 'EURUSD' });
    // Crossed at lastPrimary + 5 s; the 250 ms check catches it well inside the 5 s target.
    expect(down!.atMs).toBeGreaterThan(lastPrimary + SILENCE);
    expect(down!.atMs).toBeLessThanOrEqual(lastPrimary + SILENCE + CHECK);
    expect(up!.atMs).toBe(down!.atMs);
    // Not one backup tick before the switch, not one primary tick after it.
    const switchedAt = firstFrom(h.forwarded, 'sandbox')!;
    expect(switchedAt).toBeGreaterThan(down!.atMs);
    expect(switchedAt).toBeLessThanOrEqual(down!.atMs + 100);
    expect(h.forwarded.filter((t) => t.timeMs < switchedAt).every((t) => t.source === 'mt5')).toBe(true);
    expect(h.forwarded.filter((t) => t.timeMs >= switchedAt).every((t) => t.source === 'sandbox')).toBe(true);
    expect(h.router.health()).toMatchObject({ state: 'failover', active: 'sandbox', switches: 1 });
    const mt5 = h.router.health().sources.find((s) => s.name === 'mt5')!;
    expect(mt5).toMatchObject({ status: 'down', active: false, flowingForMs: null });
    expect(mt5.lastTickAgeMs).toBe(h.clock.now() - lastPrimary);
  });

  it('fails over from a primary that never delivers, silenceMs after start', () => {
    const h = routerHarness(WEDNESDAY);
    h.live.delete('mt5');
    h.runUntil(WEDNESDAY + 8000);
    expect(h.events.map((e) => [e.status, e.source])).toEqual([['down', 'mt5'], ['up', 'sandbox']]);
    expect(h.events[0]!.atMs).toBeGreaterThan(WEDNESDAY + SILENCE);
    expect(h.events[0]!.atMs).toBeLessThanOrEqual(WEDNESDAY + SILENCE + CHECK);
  });

  it('does not fail over while the FX market is closed for the weekend', () => {
    // Friday 12 January 2024: FX closes at 17:00 New York = 22:00 UTC (EST), opens Sunday 22:00 UTC.
    const friday = Date.UTC(2024, 0, 12, 21, 50);
    const close = Date.UTC(2024, 0, 12, 22);
    const sundayOpen = Date.UTC(2024, 0, 14, 22);
    const h = routerHarness(friday);
    h.runUntil(close);
    h.live.clear();
    // Both quiet for two days of closed market.
    h.clock.advanceTo(Date.UTC(2024, 0, 13, 12));
    expect(h.router.health()).toMatchObject({ state: 'ok', active: 'mt5', marketOpen: false });
    h.clock.advanceTo(sundayOpen - 1);
    expect(h.events).toEqual([]);
    expect(h.router.health().sources.every((s) => s.status === 'up')).toBe(true);

    // After the open the backup delivers and the primary does not: now silence counts.
    h.live.add('sandbox');
    h.runUntil(sundayOpen + 10_000);
    expect(h.events.map((e) => [e.status, e.source])).toEqual([['down', 'mt5'], ['up', 'sandbox']]);
    // Five seconds of *open* market after the last Friday tick: shortly after Sunday's open.
    expect(h.events[0]!.atMs).toBeGreaterThan(sundayOpen + SILENCE - 100);
    expect(h.events[0]!.atMs).toBeLessThanOrEqual(sundayOpen + SILENCE + CHECK);
  });

  it('counts the same silence as an outage on a weekday', () => {
    const h = routerHarness(WEDNESDAY);
    h.runUntil(WEDNESDAY + 1000);
    h.live.clear();
    h.clock.advance(60_000);
    expect(h.events.map((e) => [e.status, e.source])).toEqual([['down', 'mt5'], ['down', 'sandbox']]);
    expect(h.router.health()).toMatchObject({ state: 'down', active: null });
  });

  it('switches back once the primary has delivered for recoveryMs', () => {
    const h = routerHarness(WEDNESDAY);
    h.runUntil(WEDNESDAY + 5000);
    h.live.delete('mt5');
    h.runUntil(WEDNESDAY + 20_000);
    expect(h.router.state()).toBe('failover');
    const resumed = h.clock.now() + 100;
    h.live.add('mt5');
    h.runUntil(resumed + 30_000);

    const back = h.events[2]!;
    expect(back).toMatchObject({ status: 'up', source: 'mt5' });
    expect(back.atMs).toBeGreaterThanOrEqual(resumed + RECOVERY);
    expect(back.atMs).toBeLessThanOrEqual(resumed + RECOVERY + CHECK);
    expect(h.events).toHaveLength(3);
    const switchedBack = h.forwarded.find((t) => t.source === 'mt5' && t.timeMs > resumed)!.timeMs;
    expect(switchedBack).toBeGreaterThan(back.atMs);
    expect(h.forwarded.filter((t) => t.timeMs > switchedBack).every((t) => t.source === 'mt5')).toBe(true);
    // The backup stays healthy on standby: no event for it.
    expect(h.router.health()).toMatchObject({ state: 'ok', active: 'mt5', switches: 2 });
    expect(h.router.health().sources.find((s) => s.name === 'sandbox')).toMatchObject({ status: 'up', active: false });
  });

  it('does not switch back to a primary that keeps dropping out for less than recoveryMs', () => {
    const h = routerHarness(WEDNESDAY);
    h.runUntil(WEDNESDAY + 5000);
    h.live.delete('mt5');
    h.runUntil(WEDNESDAY + 15_000);
    const failedOverAt = h.clock.now();
    // 8 s on, 6 s off (past the silence threshold), for two minutes: never 10 s in a row.
    for (let cycle = 0; cycle < 9; cycle++) {
      h.live.add('mt5');
      h.runUntil(h.clock.now() + 8000);
      h.live.delete('mt5');
      h.runUntil(h.clock.now() + 6000);
    }
    expect(h.events.map((e) => [e.status, e.source])).toEqual([['down', 'mt5'], ['up', 'sandbox']]);
    expect(h.forwarded.filter((t) => t.timeMs > failedOverAt).every((t) => t.source === 'sandbox')).toBe(true);
    expect(h.router.health()).toMatchObject({ state: 'failover', active: 'sandbox', switches: 1 });

    // Once it stays up, it is trusted again.
    h.live.add('mt5');
    h.runUntil(h.clock.now() + RECOVERY + 1000);
    expect(h.router.health()).toMatchObject({ state: 'ok', active: 'mt5', switches: 2 });
  });

  it('emits feed.status events in order, each a valid bus event with a reason', () => {
    const h = routerHarness(WEDNESDAY, {}, ['mt5', 'bridge2', 'sandbox']);
    h.runUntil(WEDNESDAY + 5000);
    // The primary goes quiet: the first backup takes over.
    h.live.delete('mt5');
    h.runUntil(WEDNESDAY + 15_000);
    // The last backup goes quiet on standby.
    h.live.delete('sandbox');
    h.runUntil(WEDNESDAY + 25_000);
    // The active backup goes quiet too: nothing left.
    h.live.delete('bridge2');
    h.runUntil(WEDNESDAY + 35_000);
    // The last backup comes back first and is taken at once; then the primary, after recovery.
    h.live.add('sandbox');
    h.runUntil(WEDNESDAY + 40_000);
    h.live.add('mt5');
    h.runUntil(WEDNESDAY + 55_000);

    expect(h.events.map((e) => [e.status, e.source])).toEqual([
      ['down', 'mt5'],
      ['up', 'bridge2'],
      ['down', 'sandbox'],
      ['down', 'bridge2'],
      ['up', 'sandbox'],
      ['up', 'mt5'],
    ]);
    const reasons = h.events.map((e) => e.reason ?? '');
    expect(reasons[0]).toMatch(/^silent for 5\.\d s of open market \(threshold 5\.0 s\); switching to bridge2$/);
    expect(reasons[1]).toMatch(/^active: took over from mt5 \(silent for 5\.\d s/);
    expect(reasons[2]).toMatch(/^silent for 5\.\d s .*; standby$/);
    expect(reasons[3]).toMatch(/; no other source is delivering$/);
    expect(reasons[4]).toBe('active: ticks resumed after an outage of every source');
    expect(reasons[5]).toMatch(/^active: recovered: delivering for 10\.\d s; switching back from sandbox$/);
    for (const event of h.events) expect(feedStatusEvent.parse(event)).toEqual(event);
    const times = h.events.map((e) => e.atMs);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('takes a source that failed to start as down at once', () => {
    const h = routerHarness(WEDNESDAY);
    h.live.delete('mt5');
    h.runUntil(WEDNESDAY + 1000);
    h.router.markFailed('mt5', 'listen EADDRINUSE');
    expect(h.events.map((e) => [e.status, e.source, e.atMs])).toEqual([
      ['down', 'mt5', WEDNESDAY + 1000],
      ['up', 'sandbox', WEDNESDAY + 1000],
    ]);
    expect(h.events[0]!.reason).toBe('failed: listen EADDRINUSE; switching to sandbox');
  });

  it('counts and flags divergence between primary and backup without blocking ticks', () => {
    const clock = new ManualClock(WEDNESDAY);
    const forwarded: Tick[] = [];
    const router = new FailoverRouter({
      symbol: 'EURUSD',
      sources: ['mt5', 'sandbox'],
      clock,
      calendar: fxCalendar(),
      onTick: (t) => forwarded.push(t),
      crossCheck: { point: 0.00001, everyMs: 5000, samples: 40, maxDivergencePoints: 20 },
    });
    router.start();
    // Agreeing for 10 s, then the backup drifts 50 points away.
    for (let i = 1; i <= 200; i++) {
      clock.advance(100);
      router.receive('mt5', tick('EURUSD', clock.now(), 1.085, 'mt5'));
      router.receive('sandbox', tick('EURUSD', clock.now(), i <= 100 ? 1.085 : 1.0855, 'sandbox'));
    }
    const divergence = router.health().divergence!;
    expect(divergence.checks).toBe(4);
    expect(divergence.diverged).toBe(2);
    expect(divergence.last).toMatchObject({ verdict: 'diverged', primary: 'mt5', backup: 'sandbox', divergencePoints: -50 });
    expect(forwarded).toHaveLength(200);
    expect(forwarded.every((t) => t.source === 'mt5')).toBe(true);
  });
});
