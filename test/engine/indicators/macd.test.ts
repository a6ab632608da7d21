import { describe, expect, it } from 'vitest';
import { MACD } from '../../../engine/indicators';
import { closeSeries, describeIndicatorContract } from './contract';
import { closeJitter, firstMismatch, naiveMacd, randomCloses, stream } from './naive';

const closes = randomCloses(10_000, 14);

describeIndicatorContract('MACD(12,26,9)', { create: () => new MACD(12, 26, 9), warmUp: 34, ...closeSeries(closes) });
describeIndicatorContract('MACD(1,2,1)', { create: () => new MACD(1, 2, 1), warmUp: 2, ...closeSeries(closes) });

function streamMacd(macd: MACD, jitter?: Parameters<typeof stream<number, unknown>>[3]) {
  const rows = stream(macd, closes, () => [macd.macd, macd.signal, macd.histogram] as const, jitter);
  return { macd: rows.map((r) => r[0]), signal: rows.map((r) => r[1]), histogram: rows.map((r) => r[2]) };
}

describe('MACD', () => {
  it.each([
    [12, 26, 9],
    [5, 35, 5],
  ])('matches a full recompute over 10,000 random closes (%i,%i,%i)', (fast, slow, signal) => {
    const streamed = streamMacd(new MACD(fast, slow, signal));
    const naive = naiveMacd(closes, fast, slow, signal);
    expect(firstMismatch(streamed.macd, naive.macd)).toBe(-1);
    expect(firstMismatch(streamed.signal, naive.signal)).toBe(-1);
    expect(firstMismatch(streamed.histogram, naive.histogram)).toBe(-1);
  });

  it('matches a full recompute when every bar is replaced several times while it forms', () => {
    const streamed = streamMacd(new MACD(), closeJitter(closes, 8));
    const naive = naiveMacd(closes);
    expect(firstMismatch(streamed.macd, naive.macd)).toBe(-1);
    expect(firstMismatch(streamed.signal, naive.signal)).toBe(-1);
    expect(firstMismatch(streamed.histogram, naive.histogram)).toBe(-1);
  });

  it('starts the MACD line on bar 25 and the signal and histogram on bar 33, as TA-Lib does', () => {
    const macd = new MACD();
    closes.slice(0, 40).forEach((close, bar) => {
      macd.update(close);
      expect(macd.macd === null).toBe(bar < 25);
      expect(macd.signal === null).toBe(bar < 33);
      expect(macd.histogram === null).toBe(bar < 33);
      expect(macd.value === null).toBe(bar < 33);
    });
  });

  it('rejects a fast period that is not below the slow one', () => {
    expect(() => new MACD(26, 12, 9)).toThrow('MACD(26,12,9): fast period must be below slow period');
    expect(() => new MACD(12, 12, 9)).toThrow(RangeError);
  });
});
