import { describe, expect, it } from 'vitest';
import { RSI } from '../../../engine/indicators';
import { closeSeries, describeIndicatorContract } from './contract';
import { closeJitter, firstMismatch, naiveRsi, randomCloses, stream } from './naive';

const closes = randomCloses(10_000, 13);

describeIndicatorContract('RSI(14)', { create: () => new RSI(14), warmUp: 15, ...closeSeries(closes) });
describeIndicatorContract('RSI(2)', { create: () => new RSI(2), warmUp: 3, ...closeSeries(closes) });

describe('RSI', () => {
  it.each([2, 14, 50])('matches a full recompute over 10,000 random closes (period %i)', (period) => {
    const rsi = new RSI(period);
    expect(firstMismatch(stream(rsi, closes, () => rsi.value), naiveRsi(closes, period))).toBe(-1);
  });

  it('matches a full recompute when every bar is replaced several times while it forms', () => {
    const rsi = new RSI(14);
    const streamed = stream(rsi, closes, () => rsi.value, closeJitter(closes, 7));
    expect(firstMismatch(streamed, naiveRsi(closes, 14))).toBe(-1);
  });

  it('refuses a period below 2, as TA-Lib does', () => {
    expect(() => new RSI(1)).toThrow('RSI(1): period must be an integer from 2 to 16777216, got 1');
  });

  it('is 100 when prices only rose, 0 when they only fell, 50 when they did not move', () => {
    const cases: [number[], number][] = [
      [Array.from({ length: 20 }, (_, i) => 100 + i), 100],
      [Array.from({ length: 20 }, (_, i) => 100 - i), 0],
      [Array.from({ length: 20 }, () => 100), 50],
    ];
    for (const [series, expected] of cases) {
      const rsi = new RSI(14);
      series.forEach((close) => rsi.update(close));
      expect(rsi.value).toBe(expected);
    }
  });
});
