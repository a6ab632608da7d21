import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ALWAYS_OPEN, GapDetector, findGaps, fxCalendar, weeklyCalendar } from '../../../engine/quality';

const HOUR = 3_600_000;
const MINUTE = 60_000;

/**
 * The real EURUSD H1 export: bar times in the broker's server time, which follows
 * Eastern European time (UTC+3 from the last Sunday of March to the last Sunday of
 * October, UTC+2 otherwise) — the 50 h weekend of 31 October 2025 shows it: Europe had left
 * summer time, New York had not.
 */
const file = fileURLToPath(new URL('../../../../shared/data/mt5/EURUSD_H1_export_crlf.csv', import.meta.url));
const serverTimes = readFileSync(file, 'utf8')
  .split(/\r?\n/)
  .slice(1)
  .filter((line) => line.length > 0)
  .map((line) => {
    const [date, time] = line.split('\t') as [string, string];
    return Date.parse(`${date.replace(/\./g, '-')}T${time}Z`);
  });

function lastSundayUtc(year: number, month: number): number {
  const lastDay = Date.UTC(year, month + 1, 0);
  return lastDay - new Date(lastDay).getUTCDay() * 86_400_000;
}
function easternEuropeToUtc(serverMs: number): number {
  const year = new Date(serverMs).getUTCFullYear();
  const summer = serverMs >= lastSundayUtc(year, 2) + 3 * HOUR && serverMs < lastSundayUtc(year, 9) + 4 * HOUR;
  return serverMs - (summer ? 3 : 2) * HOUR;
}
const utcTimes = serverTimes.map(easternEuropeToUtc);

describe('fxCalendar', () => {
  const fx = fxCalendar();
  it('closes Friday 17:00 New York time: 21:00 UTC in summer, 22:00 UTC in winter', () => {
    expect(fx.isOpen(Date.UTC(2025, 6, 4, 20, 59))).toBe(true);
    expect(fx.isOpen(Date.UTC(2025, 6, 4, 21, 0))).toBe(false);
    expect(fx.isOpen(Date.UTC(2026, 0, 9, 21, 30))).toBe(true);
    expect(fx.isOpen(Date.UTC(2026, 0, 9, 22, 0))).toBe(false);
  });
  it('is closed all Saturday and reopens Sunday 17:00 New York time', () => {
    for (let h = 0; h < 24; h++) expect(fx.isOpen(Date.UTC(2025, 6, 5, h, 30))).toBe(false);
    expect(fx.isOpen(Date.UTC(2025, 6, 6, 20, 59))).toBe(false);
    expect(fx.isOpen(Date.UTC(2025, 6, 6, 21, 0))).toBe(true);
    expect(fx.isOpen(Date.UTC(2026, 0, 11, 21, 30))).toBe(false);
    expect(fx.isOpen(Date.UTC(2026, 0, 11, 22, 0))).toBe(true);
  });
  it('counts open time across a weekend and names the next change', () => {
    // Friday 20:00 → Monday 00:00 UTC in July: 1 h before the close, 3 h after the open.
    expect(fx.openMsBetween(Date.UTC(2025, 6, 4, 20), Date.UTC(2025, 6, 7, 0))).toBe(4 * HOUR);
    expect(fx.nextChangeMs(Date.UTC(2025, 6, 4, 12))).toBe(Date.UTC(2025, 6, 4, 21));
    expect(fx.nextChangeMs(Date.UTC(2025, 6, 5, 12))).toBe(Date.UTC(2025, 6, 6, 21));
  });
  it('accepts another weekly schedule as a parameter', () => {
    const utcWeekend = weeklyCalendar({ close: { day: 6, minute: 0 }, open: { day: 1, minute: 0 } });
    expect(utcWeekend.isOpen(Date.UTC(2025, 6, 6, 23))).toBe(false); // Sunday 23:00
    expect(utcWeekend.isOpen(Date.UTC(2025, 6, 7, 0))).toBe(true); // Monday 00:00
  });
});

describe('GapDetector on the real EURUSD H1 export', () => {
  const options = { maxGapMs: HOUR, intervalMs: HOUR, calendar: fxCalendar() };

  it('has the shape the provenance note describes: 29 + 1 weekends of 49-50 h and two 26 h gaps', () => {
    const spacing = serverTimes.slice(1).map((t, i) => (t - serverTimes[i]!) / HOUR);
    expect(spacing.filter((h) => h === 49)).toHaveLength(29);
    expect(spacing.filter((h) => h === 50)).toHaveLength(1);
    expect(spacing.filter((h) => h === 26)).toHaveLength(2);
    expect(spacing.filter((h) => h !== 1 && h !== 26 && h !== 49 && h !== 50)).toEqual([]);
  });

  it('classes every weekend as weekend and reports the two holiday gaps', () => {
    const gaps = findGaps(utcTimes, options);
    const weekends = gaps.filter((g) => g.kind === 'weekend');
    const real = gaps.filter((g) => g.kind === 'gap');
    expect(weekends).toHaveLength(30);
    // Converted to UTC, the weekends line up with the New York 17:00 close and open, except
    // on 26 October: Europe had left summer time, so the broker's midnight open came at
    // 22:00 UTC while New York (still on EDT) had opened at 21:00 — one open hour, within
    // the threshold.
    const late = weekends.filter((g) => g.openMs !== 0);
    expect(late.map((g) => [new Date(g.toMs).toISOString(), g.openMs])).toEqual([['2025-10-26T22:00:00.000Z', HOUR]]);
    expect(real.map((g) => [new Date(g.fromMs).toISOString(), new Date(g.toMs).toISOString(), g.openMs / HOUR])).toEqual([
      ['2025-12-24T21:00:00.000Z', '2025-12-25T22:00:00.000Z', 25],
      ['2025-12-31T21:00:00.000Z', '2026-01-01T22:00:00.000Z', 25],
    ]);
    const detector = new GapDetector(options);
    for (const t of utcTimes) detector.observe(t);
    expect(detector.counts()).toEqual({ weekend: 30, gap: 2 });
  });

  it('reports every silence as a gap without a market calendar', () => {
    const gaps = findGaps(utcTimes, { ...options, calendar: ALWAYS_OPEN });
    expect(gaps.map((g) => g.kind)).toEqual(Array(32).fill('gap'));
  });

  it('misreads the weekends when broker server time is taken for UTC', () => {
    // Saturday 00:00 → Monday 00:00 "UTC" holds three open hours of Sunday evening.
    const gaps = findGaps(serverTimes, options);
    expect(gaps.filter((g) => g.kind === 'weekend')).toHaveLength(0);
  });
});

describe('GapDetector on ticks', () => {
  it('tells a weekend from an outage and ignores short pauses', () => {
    const d = new GapDetector({ maxGapMs: 5 * MINUTE, calendar: fxCalendar() });
    expect(d.observe(Date.UTC(2025, 6, 4, 20, 59, 50))).toBeNull();
    expect(d.observe(Date.UTC(2025, 6, 6, 21, 0, 30))).toMatchObject({ kind: 'weekend', openMs: 40_000 });
    expect(d.observe(Date.UTC(2025, 6, 9, 10, 0))).toMatchObject({ kind: 'gap' });
    expect(d.observe(Date.UTC(2025, 6, 9, 10, 3))).toBeNull();
    expect(d.observe(Date.UTC(2025, 6, 9, 10, 20))).toMatchObject({ kind: 'gap', silentMs: 17 * MINUTE, openMs: 17 * MINUTE });
    // A time going backwards ends no gap.
    expect(d.observe(Date.UTC(2025, 6, 9, 10, 10))).toBeNull();
    expect(d.counts()).toEqual({ weekend: 1, gap: 2 });
  });
});
