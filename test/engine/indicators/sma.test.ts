import { describe, expect, it } from 'vitest';
import { SMA } from '../../../engine/indicators';
import { closeSeries, describeIndicatorContract } from './contract';
import { closeJitter, firstMismatch, naiveSma, randomCloses, stream } from './naive';

const closes = randomCloses(10_000, 11);

describeIndicatorContract('SMA(20)', { create: () => new SMA(20), warmUp: 20, ...closeSeries(closes) });
describeIndicatorContract('SMA(1)', { create: () => new SMA(1), warmUp: 1, ...closeSeries(closes) });

describe('SMA', () => {
  it.each([1, 2, 20, 200])('matches a full recompute over 10,000 random closes (period %i)', (period) => {
    const sma = new SMA(period);
    expect(firstMismatch(stream(sma, closes, () => sma.value), naiveSma(closes, period))).toBe(-1);
  });

  it('matches a full recompute when every bar is replaced several times while it forms', () => {
    const sma = new SMA(20);
    const streamed = stream(sma, closes, () => sma.value, closeJitter(closes, 5));
    expect(firstMismatch(streamed, naiveSma(closes, 20))).toBe(-1);
  });

  it('does not drift over two million updates', () => {
    const long = randomCloses(2_000_000, 3).map((c) => c * 1000);
    const sma = new SMA(20);
    for (const close of long) sma.update(close);
    const last = naiveSma(long.slice(-20), 20)[19]!;
    expect(Math.abs(sma.value! - last)).toBeLessThanOrEqual(1e-12 * last);
  });

  it('rejects a period that is not a positive integer', () => {
    for (const period of [0, -1, 2.5, NaN, 2 ** 25]) {
      expect(() => new SMA(period)).toThrow(/SMA\(.*\): period must be an integer from 1 to 16777216/);
    }
  });
});
