import { describe, expect, it } from 'vitest';
import { ALWAYS_OPEN, StaleFeedMonitor, fxCalendar } from '../../../engine/quality';

const WED = Date.UTC(2025, 6, 9, 12, 0); // Wednesday noon UTC
const SAT = Date.UTC(2025, 6, 12, 12, 0);

describe('StaleFeedMonitor', () => {
  it('names the symbol and source silent past the threshold', () => {
    const m = new StaleFeedMonitor({ thresholdMs: 30_000 });
    m.observe('EURUSD', 'mt5', WED);
    m.observe('EURUSD', 'sandbox', WED + 20_000);
    m.observe('BTCUSD', 'mt5', WED + 5_000);
    expect(m.stale(WED + 30_000)).toEqual([]);
    expect(m.stale(WED + 34_000)).toEqual([{ symbol: 'EURUSD', source: 'mt5', lastMs: WED, silentMs: 34_000, openSilentMs: 34_000 }]);
    expect(m.stale(WED + 60_000).map((e) => `${e.symbol}/${e.source}`)).toEqual(['EURUSD/mt5', 'EURUSD/sandbox', 'BTCUSD/mt5']);
  });

  it('does not call a closed market stale', () => {
    const m = new StaleFeedMonitor({
      thresholdMs: 60_000,
      calendarFor: (symbol) => (symbol === 'BTCUSD' ? ALWAYS_OPEN : fxCalendar()),
    });
    const fridayLast = Date.UTC(2025, 6, 11, 20, 59, 30);
    m.observe('EURUSD', 'mt5', fridayLast);
    m.observe('BTCUSD', 'mt5', fridayLast);
    expect(m.stale(SAT).map((e) => e.symbol)).toEqual(['BTCUSD']);
    // Sunday 21:05 UTC: FX has been open for five minutes without a tick.
    expect(m.stale(Date.UTC(2025, 6, 13, 21, 5)).map((e) => [e.symbol, e.openSilentMs])).toEqual([
      ['EURUSD', 30_000 + 5 * 60_000],
      ['BTCUSD', Date.UTC(2025, 6, 13, 21, 5) - fridayLast],
    ]);
  });

  it('reports each change of status once through poll', () => {
    const m = new StaleFeedMonitor({ thresholdMs: 10_000, thresholdFor: (s) => (s === 'XAUUSD' ? 60_000 : undefined) });
    m.observe('EURUSD', 'mt5', WED);
    m.observe('XAUUSD', 'mt5', WED);
    expect(m.poll(WED + 5_000)).toEqual({ down: [], up: [] });
    expect(m.poll(WED + 15_000).down.map((e) => e.symbol)).toEqual(['EURUSD']);
    expect(m.poll(WED + 16_000)).toEqual({ down: [], up: [] });
    m.observe('EURUSD', 'mt5', WED + 17_000);
    expect(m.poll(WED + 18_000)).toEqual({ down: [], up: [{ symbol: 'EURUSD', source: 'mt5' }] });
    expect(m.lastSeen('EURUSD', 'mt5')).toBe(WED + 17_000);
  });
});
