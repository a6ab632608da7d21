import { describe, expect, it } from 'vitest';
import { EMA } from '../../../engine/indicators';
import { closeSeries, describeIndicatorContract } from './contract';
import { closeJitter, firstMismatch, naiveEma, randomCloses, stream } from './naive';

const closes = randomCloses(10_000, 12);

describeIndicatorContract('EMA(20)', { create: () => new EMA(20), warmUp: 20, ...closeSeries(closes) });
describeIndicatorContract('EMA(1)', { create: () => new EMA(1), warmUp: 1, ...closeSeries(closes) });

describe('EMA', () => {
  it.each([1, 2, 10, 20, 200])('matches a full recompute over 10,000 random closes (period %i)', (period) => {
    const ema = new EMA(period);
    expect(firstMismatch(stream(ema, closes, () => ema.value), naiveEma(closes, period))).toBe(-1);
  });

  it('matches a full recompute when every bar is replaced several times while it forms', () => {
    const ema = new EMA(20);
    const streamed = stream(ema, closes, () => ema.value, closeJitter(closes, 6));
    expect(firstMismatch(streamed, naiveEma(closes, 20))).toBe(-1);
  });

  it('is seeded with the SMA of the first period closes (TA-Lib), not the first close', () => {
    const ema = new EMA(3);
    [1, 2, 6].forEach((close) => ema.update(close));
    expect(ema.value).toBe(3);
    ema.update(7);
    expect(ema.value).toBe(5);
  });
});
