import { describe, expect, it } from 'vitest';
import { SANDBOX_SYMBOLS, createSandboxFeed, type Regime, type SandboxFeed } from '../../../../engine/ingest/sandbox';
import { TICK_FLAG, type Tick } from '../../../../engine/market/types';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MONDAY = Date.UTC(2025, 5, 2);
const FRIDAY_NOON = Date.UTC(2025, 5, 6, 12);

function take(feed: SandboxFeed, n: number): Tick[] {
  return Array.from({ length: n }, () => feed.nextTick());
}

function until(feed: SandboxFeed, endMs: number, visit: (tick: Tick) => void): void {
  for (;;) {
    const tick = feed.nextTick();
    if (tick.timeMs >= endMs) return;
    visit(tick);
  }
}

describe('createSandboxFeed', () => {
  it('gives identical ticks for the same seed', () => {
    const a = take(createSandboxFeed({ seed: 42, startMs: MONDAY }), 20_000);
    const b = take(createSandboxFeed({ seed: 42, startMs: MONDAY }), 20_000);
    expect(a).toEqual(b);
    expect(new Set(a.map((t) => t.symbol))).toEqual(new Set(['EURUSD', 'GBPUSD', 'USDJPY', 'XAUUSD', 'BTCUSD']));
  });

  it('gives different ticks for a different seed', () => {
    const a = take(createSandboxFeed({ seed: 42, startMs: MONDAY }), 1000);
    const b = take(createSandboxFeed({ seed: 43, startMs: MONDAY }), 1000);
    const same = a.filter((t, i) => t.timeMs === b[i]!.timeMs && t.bid === b[i]!.bid).length;
    expect(same).toBeLessThan(10);
  });

  it("keeps each symbol's ticks unchanged when another symbol is added", () => {
    const alone = take(createSandboxFeed({ seed: 5, startMs: MONDAY, symbols: ['EURUSD'] }), 2000);
    const mixed: Tick[] = [];
    const feed = createSandboxFeed({ seed: 5, startMs: MONDAY, symbols: ['EURUSD', 'BTCUSD'] });
    while (mixed.length < 2000) {
      const t = feed.nextTick();
      if (t.symbol === 'EURUSD') mixed.push(t);
    }
    expect(mixed).toEqual(alone);
  });

  it('keeps prices positive, ask ≥ bid, on the digits grid, times in order; FX silent on Saturday, BTC not', () => {
    const feed = createSandboxFeed({ seed: 7, startMs: FRIDAY_NOON });
    const digits = Object.fromEntries(Object.values(SANDBOX_SYMBOLS).map((s) => [s.symbol, s.digits]));
    const saturday = { start: Date.UTC(2025, 5, 7), end: Date.UTC(2025, 5, 8) };
    const onSaturday: Record<string, number> = {};
    const firstSunday: Record<string, number> = {};
    let last = 0;
    let count = 0;
    let bad = 0;
    until(feed, Date.UTC(2025, 5, 9, 6), (t) => {
      count++;
      const scale = 10 ** digits[t.symbol]!;
      if (!(t.bid > 0 && t.ask >= t.bid && t.timeMs >= last)) bad++;
      if (Math.round(t.bid * scale) / scale !== t.bid || Math.round(t.ask * scale) / scale !== t.ask) bad++;
      if (t.flags === 0 || (t.flags & ~(TICK_FLAG.BID | TICK_FLAG.ASK)) !== 0) bad++;
      if (!Number.isInteger(t.timeMs) || t.source !== 'sandbox' || t.last !== 0 || t.volume !== 0) bad++;
      last = t.timeMs;
      if (t.timeMs >= saturday.start && t.timeMs < saturday.end) onSaturday[t.symbol] = (onSaturday[t.symbol] ?? 0) + 1;
      if (t.timeMs >= saturday.end && firstSunday[t.symbol] === undefined) firstSunday[t.symbol] = t.timeMs;
    });
    expect(count).toBeGreaterThan(100_000);
    expect(bad).toBe(0);
    expect(Object.keys(onSaturday)).toEqual(['BTCUSD']);
    expect(onSaturday.BTCUSD).toBeGreaterThan(50_000);
    // FX reopens Sunday 17:00 New York = 21:00 UTC in June, within a minute or so.
    for (const symbol of ['EURUSD', 'GBPUSD', 'USDJPY', 'XAUUSD']) {
      expect(firstSunday[symbol]).toBeGreaterThanOrEqual(Date.UTC(2025, 5, 8, 21));
      expect(firstSunday[symbol]).toBeLessThan(Date.UTC(2025, 5, 8, 21, 2));
    }
  });

  it('switches volatility regimes visibly: realized volatility and spread differ between them', () => {
    const feed = createSandboxFeed({ seed: 7, startMs: MONDAY, symbols: ['BTCUSD'] });
    const acc = new Map<Regime, { squares: number; ms: number; spread: number; n: number }>();
    let prev = feed.nextTick();
    until(feed, MONDAY + 10 * DAY, (t) => {
      const regime = feed.regimeOf('BTCUSD')!;
      const a = acc.get(regime) ?? { squares: 0, ms: 0, spread: 0, n: 0 };
      a.squares += Math.log((t.bid + t.ask) / (prev.bid + prev.ask)) ** 2;
      a.ms += t.timeMs - prev.timeMs;
      a.spread += t.ask - t.bid;
      a.n++;
      acc.set(regime, a);
      prev = t;
    });
    const volPerHour = (r: Regime) => Math.sqrt(acc.get(r)!.squares / (acc.get(r)!.ms / HOUR));
    const spread = (r: Regime) => acc.get(r)!.spread / acc.get(r)!.n;
    expect([...acc.keys()].sort()).toEqual(['calm', 'normal', 'volatile']);
    expect(acc.get('volatile')!.ms).toBeGreaterThan(2 * HOUR);
    // Model: volatility ×0.6 / ×1 / ×2.2, spread ×1 / ×1.15 / ×2.2.
    expect(volPerHour('volatile') / volPerHour('calm')).toBeGreaterThan(2.5);
    expect(volPerHour('normal') / volPerHour('calm')).toBeGreaterThan(1.3);
    expect(spread('volatile') / spread('calm')).toBeGreaterThan(1.8);
  });

  it('ticks faster in the London/New York overlap than in the Asian session', () => {
    const feed = createSandboxFeed({ seed: 11, startMs: MONDAY, symbols: ['EURUSD'] });
    const perHour = new Array<number>(24).fill(0);
    until(feed, MONDAY + 5 * DAY, (t) => perHour[Math.floor(t.timeMs / HOUR) % 24]!++);
    const mean = (hours: number[]) => hours.reduce((s, h) => s + perHour[h]!, 0) / hours.length / 5;
    const asia = mean([1, 2, 3, 4, 5]);
    const overlap = mean([12, 13, 14, 15]);
    // Model: rate ×0.45 in Asia, ×1.6 in the overlap, 1.5 ticks/s base for EURUSD.
    expect(overlap / asia).toBeGreaterThan(2.5);
    expect(asia).toBeGreaterThan(1000);
    expect(overlap).toBeLessThan(15_000);
  });

  it('tells the caller when the next tick is due, scaled by speed', () => {
    const feed = createSandboxFeed({ seed: 3, startMs: MONDAY, speed: 60 });
    const due = feed.nextTickTimeMs();
    expect(feed.nextDelayMs()).toBeCloseTo((due - MONDAY) / 60, 9);
    const first = feed.nextTick();
    expect(first.timeMs).toBe(due);
    const next = feed.nextTickTimeMs();
    expect(feed.nextDelayMs()).toBeCloseTo((next - first.timeMs) / 60, 9);
    expect(feed.nextTick().timeMs).toBe(next);
  });

  it('refuses a bad configuration with a clear message', () => {
    expect(() => createSandboxFeed({ seed: Number.NaN, startMs: MONDAY })).toThrow(/seed/);
    expect(() => createSandboxFeed({ seed: 1, startMs: MONDAY, speed: 0 })).toThrow(/speed/);
    expect(() => createSandboxFeed({ seed: 1, startMs: MONDAY, symbols: [] })).toThrow(/at least one symbol/);
    expect(() => createSandboxFeed({ seed: 1, startMs: MONDAY, symbols: ['EURUSD', 'EURUSD'] })).toThrow(/same symbol twice/);
  });
});
