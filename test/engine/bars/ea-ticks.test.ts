import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BarAggregator } from '../../../engine/bars';
import { TICK_FLAG, type Bar, type Tick } from '../../../engine/market/types';

interface EaTick {
  time_msc: number;
  bid: number;
  ask: number;
  real_volume: number;
  tick_flags: string;
  chart_tick_volume: number;
}
const file = fileURLToPath(new URL('../../../../shared/data/mt5/BTCUSD_ea_ticks_20260307.json', import.meta.url));
const raw = (JSON.parse(readFileSync(file, 'utf8')) as { ticks: EaTick[] }).ticks;
const BROKER_OFFSET_MS = 3_600_000; // the broker's server time is UTC+1 (see PROVENANCE.md)
const ticks: Tick[] = raw.map((t) => ({
  symbol: 'BTCUSD',
  timeMs: t.time_msc - BROKER_OFFSET_MS,
  bid: t.bid,
  ask: t.ask,
  last: 0,
  volume: t.real_volume,
  flags: (t.tick_flags.includes('BID') ? TICK_FLAG.BID : 0) | (t.tick_flags.includes('ASK') ? TICK_FLAG.ASK : 0),
  source: 'mt5',
}));

describe('BarAggregator on the captured BTCUSD EA ticks', () => {
  const agg = new BarAggregator('BTCUSD', { digits: 2, timeframes: ['M1'] });
  const closed: Bar[] = [];
  for (const t of ticks) closed.push(...agg.onTick(t).closed);
  const forming = agg.forming('M1')!;

  it('gives four closed M1 bars and a forming fifth, first and last as computed independently', () => {
    const minutes = [...new Set(ticks.map((t) => Math.floor(t.timeMs / 60_000) * 60_000))];
    expect(minutes.map((m) => new Date(m).toISOString())).toEqual([
      '2026-03-07T08:03:00.000Z',
      '2026-03-07T08:04:00.000Z',
      '2026-03-07T08:05:00.000Z',
      '2026-03-07T08:06:00.000Z',
      '2026-03-07T08:07:00.000Z',
    ]);
    expect(closed.map((b) => b.timeMs)).toEqual(minutes.slice(0, 4));
    expect(forming.timeMs).toBe(minutes[4]);

    const inMinute = (m: number) => ticks.filter((t) => t.timeMs >= m && t.timeMs < m + 60_000);
    const bidTicks = (m: number) => inMinute(m).filter((t) => (t.flags & TICK_FLAG.BID) !== 0);
    for (const [i, bar] of [...closed, forming].entries()) {
      const group = bidTicks(minutes[i]!);
      expect(bar).toEqual({
        symbol: 'BTCUSD',
        timeframe: 'M1',
        timeMs: minutes[i],
        open: group[0]!.bid,
        high: Math.max(...group.map((t) => t.bid)),
        low: Math.min(...group.map((t) => t.bid)),
        close: group.at(-1)!.bid,
        tickVolume: group.length,
        volume: 0,
        spread: Math.min(...inMinute(minutes[i]!).map((t) => Math.round((t.ask - t.bid) * 100))),
      });
    }
    expect(closed[0]).toMatchObject({ open: 67606.99 });
    expect(forming).toMatchObject({ close: 67521.5 });
  });

  it("has the tick volume MT5's own chart counted for each complete minute", () => {
    // chart_tick_volume is the terminal's tick volume of the forming M1 bar when the tick
    // came: at the last tick of a minute it is that bar's final tick volume. It does not move
    // on ASK-only ticks, which is why the aggregator skips them.
    const lastOfMinute = (i: number) => raw.filter((t) => Math.floor((t.time_msc - BROKER_OFFSET_MS) / 60_000) * 60_000 === closed[i]!.timeMs).at(-1)!;
    expect([1, 2, 3].map((i) => closed[i]!.tickVolume)).toEqual([1, 2, 3].map((i) => lastOfMinute(i).chart_tick_volume));
    expect([1, 2, 3].map((i) => closed[i]!.tickVolume)).toEqual([131, 213, 255]);
    // The capture started mid-minute at the terminal's 111th tick of 08:03.
    expect(closed[0]!.tickVolume).toBe(lastOfMinute(0).chart_tick_volume - raw[0]!.chart_tick_volume + 1);
  });
});
