import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BarResampler, resampleBars } from '../../../engine/bars';
import { TIMEFRAME_MS, type Bar, type Timeframe } from '../../../engine/market/types';

/** The real EURUSD H1 export, read as is (times are the broker's, like MT5's own D1 bars). */
const file = fileURLToPath(new URL('../../../../shared/data/mt5/EURUSD_H1_export_crlf.csv', import.meta.url));
const h1: Bar[] = readFileSync(file, 'utf8')
  .split(/\r?\n/)
  .slice(1)
  .filter((line) => line.length > 0)
  .map((line) => {
    const [date, time, open, high, low, close, tickVolume, volume, spread] = line.split('\t') as string[];
    return {
      symbol: 'EURUSD',
      timeframe: 'H1' as const,
      timeMs: Date.parse(`${date!.replace(/\./g, '-')}T${time}Z`),
      open: Number(open),
      high: Number(high),
      low: Number(low),
      close: Number(close),
      tickVolume: Number(tickVolume),
      volume: Number(volume),
      spread: Number(spread),
    };
  });

const DATES = new Set(
  readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .slice(1)
    .filter((line) => line.length > 0)
    .map((line) => line.slice(0, 10)),
).size;

/** The obvious way: group by period, then fold each group. */
function naive(bars: Bar[], tf: Timeframe): Bar[] {
  const len = TIMEFRAME_MS[tf];
  const groups = new Map<number, Bar[]>();
  for (const bar of bars) {
    const key = Math.floor(bar.timeMs / len) * len;
    groups.set(key, [...(groups.get(key) ?? []), bar]);
  }
  return [...groups].map(([timeMs, group]) => ({
    symbol: 'EURUSD',
    timeframe: tf,
    timeMs,
    open: group[0]!.open,
    high: Math.max(...group.map((b) => b.high)),
    low: Math.min(...group.map((b) => b.low)),
    close: group.at(-1)!.close,
    tickVolume: group.reduce((sum, b) => sum + b.tickVolume, 0),
    volume: group.reduce((sum, b) => sum + b.volume, 0),
    spread: Math.min(...group.map((b) => b.spread)),
  }));
}

describe('BarResampler on the real EURUSD H1 export', () => {
  it('matches a naive grouping for H4 and D1', () => {
    expect(h1).toHaveLength(3608);
    const h4 = resampleBars(h1, 'H4');
    const d1 = resampleBars(h1, 'D1');
    expect(h4).toEqual(naive(h1, 'H4'));
    expect(d1).toEqual(naive(h1, 'D1'));
    // One D1 bar per distinct date in the file's <DATE> column.
    expect(d1).toHaveLength(DATES);
    expect(d1[0]).toMatchObject({ timeMs: Date.UTC(2025, 5, 23), open: 1.14565 });
  });

  it('streams: closes each H4 bar on the first H1 bar of the next period', () => {
    const resampler = new BarResampler('EURUSD', { from: 'H1', to: ['H4', 'D1'] });
    let closedH4 = 0;
    let closedD1 = 0;
    for (const bar of h1) {
      const ev = resampler.add(bar);
      expect(ev.updated.map((b) => b.timeframe)).toEqual(['H4', 'D1']);
      for (const c of ev.closed) c.timeframe === 'H4' ? closedH4++ : closedD1++;
    }
    const rest = resampler.flush();
    expect(rest.map((b) => b.timeframe)).toEqual(['H4', 'D1']);
    expect(closedH4 + 1).toBe(naive(h1, 'H4').length);
    expect(closedD1 + 1).toBe(DATES);
  });

  it('drops and counts an input bar that is not after the previous one', () => {
    const resampler = new BarResampler('EURUSD', { from: 'H1', to: ['H4'] });
    resampler.add(h1[1]!);
    expect(resampler.add(h1[0]!).dropped).toBe(true);
    expect(resampler.add(h1[1]!).dropped).toBe(true);
    expect(resampler.add(h1[2]!).dropped).toBe(false);
    expect(resampler.counts()).toEqual({ inputs: 2, out_of_order: 2 });
  });

  it('refuses impossible conversions and bars of the wrong timeframe', () => {
    expect(() => new BarResampler('EURUSD', { from: 'H1', to: ['M5'] })).toThrow(/cannot resample H1 to M5/);
    const resampler = new BarResampler('EURUSD', { from: 'M1', to: ['M5'] });
    expect(() => resampler.add(h1[0]!)).toThrow(/given a H1 bar/);
  });
});
