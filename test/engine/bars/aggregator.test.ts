import { describe, expect, it } from 'vitest';
import { BarAggregator } from '../../../engine/bars';
import { TICK_FLAG, type Bar, type Tick } from '../../../engine/market/types';

const D = Date.UTC(2025, 5, 2); // Monday 00:00 UTC
const S = 1000;
const M = 60 * S;
const H = 60 * M;

function tick(timeMs: number, bid: number, ask: number, flags = TICK_FLAG.BID | TICK_FLAG.ASK): Tick {
  return { symbol: 'EURUSD', timeMs, bid, ask, last: 0, volume: 0, flags, source: 'test' };
}

function ohlc(bar: Bar): [string, number, number, number, number, number, number] {
  return [new Date(bar.timeMs).toISOString().slice(0, 16), bar.open, bar.high, bar.low, bar.close, bar.tickVolume, bar.spread];
}

describe('BarAggregator', () => {
  it('builds M1..D1 bid bars with tick volume, minimum spread in points and period-start times', () => {
    const agg = new BarAggregator('EURUSD', { digits: 5 });
    const e1 = agg.onTick(tick(D + 3 * H + 59 * M + 58 * S, 1.1, 1.10008));
    expect(e1.updated.map((b) => b.timeframe)).toEqual(['M1', 'M5', 'M15', 'H1', 'H4', 'D1']);
    expect(e1.closed).toEqual([]);
    expect(ohlc(e1.updated[0]!)).toEqual(['2025-06-02T03:59', 1.1, 1.1, 1.1, 1.1, 1, 8]);
    expect(ohlc(e1.updated[2]!)).toEqual(['2025-06-02T03:45', 1.1, 1.1, 1.1, 1.1, 1, 8]);
    expect(ohlc(e1.updated[4]!)).toEqual(['2025-06-02T00:00', 1.1, 1.1, 1.1, 1.1, 1, 8]);

    agg.onTick(tick(D + 3 * H + 59 * M + 59_500, 1.1001, 1.10015));
    // 04:00:00 closes the 03:59 M1, 03:55 M5, 03:45 M15, 03:00 H1 and 00:00 H4 bars.
    const e3 = agg.onTick(tick(D + 4 * H, 1.0999, 1.1));
    expect(e3.closed.map(ohlc)).toEqual([
      ['2025-06-02T03:59', 1.1, 1.1001, 1.1, 1.1001, 2, 5],
      ['2025-06-02T03:55', 1.1, 1.1001, 1.1, 1.1001, 2, 5],
      ['2025-06-02T03:45', 1.1, 1.1001, 1.1, 1.1001, 2, 5],
      ['2025-06-02T03:00', 1.1, 1.1001, 1.1, 1.1001, 2, 5],
      ['2025-06-02T00:00', 1.1, 1.1001, 1.1, 1.1001, 2, 5],
    ]);
    expect(e3.updated.map(ohlc)).toEqual([
      ['2025-06-02T04:00', 1.0999, 1.0999, 1.0999, 1.0999, 1, 10],
      ['2025-06-02T04:00', 1.0999, 1.0999, 1.0999, 1.0999, 1, 10],
      ['2025-06-02T04:00', 1.0999, 1.0999, 1.0999, 1.0999, 1, 10],
      ['2025-06-02T04:00', 1.0999, 1.0999, 1.0999, 1.0999, 1, 10],
      ['2025-06-02T04:00', 1.0999, 1.0999, 1.0999, 1.0999, 1, 10],
      ['2025-06-02T00:00', 1.1, 1.1001, 1.0999, 1.0999, 3, 5],
    ]);
    agg.onTick(tick(D + 4 * H + 30 * S, 1.1002, 1.10026));
    const e5 = agg.onTick(tick(D + 4 * H + M, 1.10005, 1.10012));
    expect(e5.closed.map(ohlc)).toEqual([['2025-06-02T04:00', 1.0999, 1.1002, 1.0999, 1.1002, 2, 6]]);
    expect(ohlc(agg.forming('D1')!)).toEqual(['2025-06-02T00:00', 1.1, 1.1002, 1.0999, 1.10005, 5, 5]);

    // The next day closes everything, D1 included.
    const e6 = agg.onTick(tick(D + 24 * H + 5 * S, 1.101, 1.1011));
    expect(e6.closed.map((b) => `${b.timeframe}@${new Date(b.timeMs).toISOString().slice(0, 16)}`)).toEqual([
      'M1@2025-06-02T04:01',
      'M5@2025-06-02T04:00',
      'M15@2025-06-02T04:00',
      'H1@2025-06-02T04:00',
      'H4@2025-06-02T04:00',
      'D1@2025-06-02T00:00',
    ]);
    expect(e6.closed.at(-1)).toMatchObject({ symbol: 'EURUSD', timeframe: 'D1', open: 1.1, high: 1.1002, low: 1.0999, close: 1.10005, tickVolume: 5, volume: 0, spread: 5 });
  });

  it('updates the forming bar in place and hands the same object over when it closes', () => {
    const agg = new BarAggregator('EURUSD', { digits: 5, timeframes: ['M1'] });
    const first = agg.onTick(tick(D + 10 * S, 1.1, 1.1001)).updated[0]!;
    const second = agg.onTick(tick(D + 20 * S, 1.1003, 1.1004)).updated[0]!;
    expect(second).toBe(first);
    expect(first).toMatchObject({ high: 1.1003, close: 1.1003, tickVolume: 2 });
    const closing = agg.onTick(tick(D + M + 1, 1.1002, 1.1003));
    expect(closing.closed[0]).toBe(first);
    expect(closing.updated[0]).not.toBe(first);
  });

  it('rounds the spread to whole points instead of truncating float noise', () => {
    const agg = new BarAggregator('BTCUSD', { digits: 2, timeframes: ['M1'] });
    // (67624.05 − 67606.99) / 0.01 = 1705.9999999997672 in binary floating point.
    expect(agg.onTick(tick(D, 67606.99, 67624.05)).updated[0]!.spread).toBe(1706);
  });

  it('counts only bid changes as tick volume; an ASK-only tick just narrows the spread', () => {
    const agg = new BarAggregator('EURUSD', { digits: 5, timeframes: ['M1'] });
    agg.onTick(tick(D + S, 1.1, 1.1001));
    const askOnly = agg.onTick(tick(D + 2 * S, 1.1, 1.10006, TICK_FLAG.ASK));
    expect(askOnly.updated[0]).toMatchObject({ tickVolume: 1, spread: 6, close: 1.1 });
    // An ASK-only tick in a new minute closes the old bar but opens none.
    const next = agg.onTick(tick(D + M + S, 1.1, 1.10004, TICK_FLAG.ASK));
    expect(next.closed).toHaveLength(1);
    expect(next.updated).toEqual([]);
    expect(agg.forming('M1')).toBeNull();
    // flags 0 (the source does not say) counts as a bid tick.
    expect(agg.onTick(tick(D + M + 2 * S, 1.1001, 1.1002, 0)).updated[0]).toMatchObject({ tickVolume: 1, open: 1.1001 });
  });

  it('invents no bar for a minute without ticks', () => {
    const agg = new BarAggregator('EURUSD', { digits: 5, timeframes: ['M1'] });
    agg.onTick(tick(D + 10 * H + 5 * S, 1.1, 1.1001));
    const e = agg.onTick(tick(D + 10 * H + 3 * M + 10 * S, 1.1001, 1.1002));
    expect(e.closed.map(ohlc).map((b) => b[0])).toEqual(['2025-06-02T10:00']);
    expect(ohlc(e.updated[0]!)[0]).toBe('2025-06-02T10:03');
  });

  it('amends the just-closed bar with a late tick inside the grace window and drops later ones', () => {
    const agg = new BarAggregator('EURUSD', { digits: 5, timeframes: ['M1', 'H1'], lateGraceMs: 2000 });
    agg.onTick(tick(D + 10 * S, 1.1, 1.1001));
    agg.onTick(tick(D + 50 * S, 1.1002, 1.1003));
    const closedM1 = agg.onTick(tick(D + M + 500, 1.1001, 1.1002)).closed[0]!;
    // 59.9 s, arriving while the stream is 0.5 s past the bar's end: amends the M1 bar (new
    // high and, being the latest tick of that minute, the close) and updates the forming H1.
    const late = agg.onTick(tick(D + 59_900, 1.1005, 1.1006));
    expect(late.amended).toEqual([closedM1]);
    expect(closedM1).toMatchObject({ high: 1.1005, close: 1.1005, tickVolume: 3 });
    expect(late.updated.map((b) => b.timeframe)).toEqual(['H1']);
    expect(agg.forming('H1')).toMatchObject({ high: 1.1005, tickVolume: 4, close: 1.1001 });
    // An older late tick amends the high/low but not the open or close order.
    agg.onTick(tick(D + 5 * S, 1.0995, 1.0996));
    expect(closedM1).toMatchObject({ open: 1.0995, low: 1.0995, close: 1.1005, tickVolume: 4 });

    // The stream moves 3 s past the bar's end: a late tick for it is now dropped for M1.
    agg.onTick(tick(D + M + 3000, 1.1001, 1.1002));
    const dropped = agg.onTick(tick(D + 59_950, 1.1009, 1.1010));
    expect(dropped.amended).toEqual([]);
    expect(dropped.dropped).toEqual(['M1']);
    expect(closedM1.high).toBe(1.1005);
    // A tick two bars back is dropped however recent.
    agg.onTick(tick(D + 2 * M + 100, 1.1001, 1.1002));
    expect(agg.onTick(tick(D + 30 * S, 1.1001, 1.1002)).dropped).toEqual(['M1']);
    expect(agg.counts()).toMatchObject({ amended: { M1: 2, H1: 0 }, late_dropped: { M1: 2, H1: 0 } });
  });

  it('closes due bars from an injected clock and still amends within the grace window', () => {
    const agg = new BarAggregator('EURUSD', { digits: 5, timeframes: ['M1'] });
    agg.onTick(tick(D + 10 * S, 1.1, 1.1001));
    expect(agg.advanceTo(D + 59 * S).closed).toEqual([]);
    // The event arrays are reused by the next call: keep the bar, not the array.
    const closed = [...agg.advanceTo(D + M).closed];
    expect(closed.map(ohlc)).toEqual([['2025-06-02T00:00', 1.1, 1.1, 1.1, 1.1, 1, 10]]);
    expect(agg.forming('M1')).toBeNull();
    expect(agg.onTick(tick(D + 59_999, 1.1004, 1.1005)).amended).toEqual([closed[0]]);
    expect(closed[0]).toMatchObject({ close: 1.1004, tickVolume: 2 });
  });

  it('starts D1 bars at the session offset when one is given', () => {
    const agg = new BarAggregator('EURUSD', { digits: 5, timeframes: ['H4', 'D1'], sessionOffsetMs: 2 * H });
    const e = agg.onTick(tick(D + 23 * H, 1.1, 1.1001));
    expect(e.updated.map((b) => new Date(b.timeMs).toISOString())).toEqual(['2025-06-02T22:00:00.000Z', '2025-06-02T22:00:00.000Z']);
  });

  it('hands a store the bars changed since it last asked, as copies, each once', () => {
    const agg = new BarAggregator('EURUSD', { digits: 5, timeframes: ['M1', 'H1'] });
    const taken = () => {
      const bars: Bar[] = [];
      agg.takeChanged(bars);
      return bars;
    };
    expect(taken()).toEqual([]);
    agg.onTick(tick(D + 10 * S, 1.1, 1.1001));
    agg.onTick(tick(D + 20 * S, 1.1003, 1.1004));
    const first = taken();
    expect(first.map(ohlc)).toEqual([
      ['2025-06-02T00:00', 1.1, 1.1003, 1.1, 1.1003, 2, 10],
      ['2025-06-02T00:00', 1.1, 1.1003, 1.1, 1.1003, 2, 10],
    ]);
    expect(first[0]).not.toBe(agg.forming('M1'));
    expect(taken()).toEqual([]);
    // An ASK-only tick that does not narrow the spread changes nothing.
    agg.onTick(tick(D + 25 * S, 1.1003, 1.1005, TICK_FLAG.ASK));
    expect(taken()).toEqual([]);

    // M1 closes: its final state leaves in `closed`, not here; the new M1 and the H1 are changed.
    const closed = agg.onTick(tick(D + M + 1, 1.1002, 1.1003)).closed.map((b) => ({ ...b }));
    expect(closed.map((b) => b.timeframe)).toEqual(['M1']);
    expect(taken().map((b) => [b.timeframe, b.timeMs - D])).toEqual([
      ['M1', M],
      ['H1', 0],
    ]);
    // A late tick amends the closed M1: the amended bar is handed over once.
    agg.onTick(tick(D + 59 * S, 1.1009, 1.101));
    expect(taken().map((b) => [b.timeframe, b.timeMs - D, b.high])).toEqual([
      ['M1', 0, 1.1009],
      ['H1', 0, 1.1009],
    ]);
    // Amended, then replaced as "just closed" before anyone asked: still handed over.
    agg.onTick(tick(D + M + 59 * S, 1.1001, 1.1002));
    agg.onTick(tick(D + 2 * M, 1.1001, 1.1002));
    agg.onTick(tick(D + 2 * M - 1, 1.0991, 1.0992));
    agg.onTick(tick(D + 3 * M, 1.1, 1.1001));
    expect(taken().map((b) => [b.timeframe, b.timeMs - D, b.low])).toEqual([
      ['M1', M, 1.0991],
      ['M1', 3 * M, 1.1],
      ['H1', 0, 1.0991],
    ]);
  });
});
