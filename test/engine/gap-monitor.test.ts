import { describe, expect, it } from 'vitest';
import { GapMonitor } from '../../engine/gap-monitor';
import { ALWAYS_OPEN, fxCalendar } from '../../engine/quality';
import type { Tick } from '../../engine/market/types';

const tick = (symbol: string, timeMs: number): Tick => ({ symbol, timeMs, bid: 1.1, ask: 1.1001, last: 0, volume: 0, flags: 6, source: 'mt5:Demo' });

describe('GapMonitor', () => {
  const monitor = new GapMonitor({ calendarFor: (s) => (s === 'BTCUSD' ? ALWAYS_OPEN : fxCalendar()), maxGapMs: 5 * 60_000 });

  it('reports open-market holes per symbol and keeps the weekend apart', () => {
    const monday = Date.UTC(2026, 10, 23, 10, 0);
    expect(monitor.observe(tick('EURUSD', monday))).toBeNull();
    expect(monitor.observe(tick('EURUSD', monday + 4 * 60_000))).toBeNull();
    const hole = monitor.observe(tick('EURUSD', monday + 30 * 60_000));
    expect(hole).toMatchObject({ kind: 'gap', symbol: 'EURUSD', source: 'mt5:Demo', silentMs: 26 * 60_000 });

    // Friday 21:58 UTC to Sunday 22:02 UTC: FX closes 17:00 New York (22:00 UTC in winter)
    // and reopens Sunday 17:00 New York, so only 4 minutes of open market were silent.
    const friday = Date.UTC(2026, 10, 27, 21, 58);
    monitor.observe(tick('GBPUSD', friday - 60_000));
    monitor.observe(tick('GBPUSD', friday));
    const weekend = monitor.observe(tick('GBPUSD', Date.UTC(2026, 10, 29, 22, 2)));
    expect(weekend?.kind).toBe('weekend');

    // Crypto trades at weekends: the same silence is a real gap there.
    monitor.observe(tick('BTCUSD', friday));
    expect(monitor.observe(tick('BTCUSD', Date.UTC(2026, 10, 29, 22, 2)))?.kind).toBe('gap');

    expect(monitor.recent().map((g) => g.symbol)).toEqual(['EURUSD', 'BTCUSD']);
    expect(monitor.counts()).toEqual({ EURUSD: { weekend: 0, gap: 1 }, GBPUSD: { weekend: 1, gap: 0 }, BTCUSD: { weekend: 0, gap: 1 } });
  });
});
