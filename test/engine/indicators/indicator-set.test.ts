import { describe, expect, it } from 'vitest';
import { ATR, BollingerBands, EMA, IndicatorSet, MACD, RSI, SMA } from '../../../engine/indicators';
import { closeSeries, describeIndicatorContract } from './contract';
import { randomBars, randomCloses } from './naive';

const closes = randomCloses(2_000, 17);
const bars = randomBars(2_000, 18);

describeIndicatorContract('IndicatorSet', { create: () => new IndicatorSet(), warmUp: 34, ...closeSeries(closes) });

describe('IndicatorSet', () => {
  it('updates all six indicators with one call per bar, as they would separately', () => {
    const set = new IndicatorSet();
    const [sma, ema, rsi, macd, bb, atr] = [new SMA(20), new EMA(20), new RSI(14), new MACD(12, 26, 9), new BollingerBands(20, 2), new ATR(14)];
    for (const bar of bars) {
      set.updateBar(bar);
      [sma, ema, rsi, macd, bb].forEach((indicator) => indicator.update(bar.close));
      atr.update(bar);
      expect(set.snapshot()).toEqual({
        sma20: sma.value,
        ema20: ema.value,
        rsi14: rsi.value,
        macd: macd.macd,
        macdSignal: macd.signal,
        macdHistogram: macd.histogram,
        bbUpper: bb.upper,
        bbMiddle: bb.middle,
        bbLower: bb.lower,
        atr14: atr.value,
      });
    }
  });

  it('has partial values in snapshot() while warming up and value only once all are warm', () => {
    const set = new IndicatorSet();
    closes.slice(0, 20).forEach((close) => set.update(close));
    expect(set.value).toBeNull();
    expect(set.snapshot()).toMatchObject({ macd: null, macdSignal: null, atr14: null });
    expect(set.snapshot().sma20).not.toBeNull();
    closes.slice(20, 34).forEach((close) => set.update(close));
    expect(set.value).not.toBeNull();
    expect(set.value?.atr14).toBeNull();
  });

  it('replaces the forming bar of all indicators, ATR included', () => {
    const replaced = new IndicatorSet();
    const fresh = new IndicatorSet();
    bars.slice(0, 99).forEach((bar) => {
      replaced.updateBar(bar);
      fresh.updateBar(bar);
    });
    replaced.updateBar({ high: 1, low: 1, close: 1 });
    replaced.replaceBar({ high: 500, low: 2, close: 3 });
    replaced.replaceBar(bars[99]!);
    fresh.updateBar(bars[99]!);
    expect(replaced.snapshot()).toEqual(fresh.snapshot());
    expect(replaced.count).toBe(100);
  });

  it('refuses a close-only bar after bars with high and low, since ATR would miss it', () => {
    const set = new IndicatorSet();
    set.updateBar(bars[0]!);
    expect(() => set.update(100)).toThrow(/IndicatorSet: update\(close\) after bars with high\/low/);
    expect(() => set.replace(100)).toThrow(RangeError);
    expect(set.count).toBe(1);
    set.reset();
    expect(() => set.update(100)).not.toThrow();
  });

  it('rejects a bad bar before touching any indicator', () => {
    const set = new IndicatorSet();
    const control = new IndicatorSet();
    bars.slice(0, 50).forEach((bar) => {
      set.updateBar(bar);
      control.updateBar(bar);
    });
    expect(() => set.updateBar({ high: 1, low: 2, close: 1.5 })).toThrow('IndicatorSet: high 1 is below low 2');
    expect(() => set.replaceBar({ high: 2, low: 1, close: NaN })).toThrow('IndicatorSet: close must be a finite number, got NaN');
    expect(() => set.updateBar({ high: 2e200, low: 1e200, close: 1e200 })).toThrow('IndicatorSet: close must be within');
    expect(set.snapshot()).toEqual(control.snapshot());
    expect(set.count).toBe(50);
  });
});
