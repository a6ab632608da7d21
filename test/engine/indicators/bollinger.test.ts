import { describe, expect, it } from 'vitest';
import { BollingerBands } from '../../../engine/indicators';
import { closeSeries, describeIndicatorContract } from './contract';
import { closeJitter, firstMismatch, naiveBollinger, randomCloses, seededRandom, stream } from './naive';

const closes = randomCloses(10_000, 15);

describeIndicatorContract('BB(20,2)', { create: () => new BollingerBands(20, 2), warmUp: 20, ...closeSeries(closes) });
describeIndicatorContract('BB(20,2,ema)', {
  create: () => new BollingerBands(20, 2, { middle: 'ema' }),
  warmUp: 20,
  ...closeSeries(closes),
});
describeIndicatorContract('BB(1,2)', { create: () => new BollingerBands(1, 2), warmUp: 1, ...closeSeries(closes) });

function streamBands(bb: BollingerBands, series: readonly number[], jitter?: Parameters<typeof stream<number, unknown>>[3]) {
  const rows = stream(bb, series, () => [bb.upper, bb.middle, bb.lower] as const, jitter);
  return { upper: rows.map((r) => r[0]), middle: rows.map((r) => r[1]), lower: rows.map((r) => r[2]) };
}

function expectBandsMatch(actual: ReturnType<typeof streamBands>, expected: ReturnType<typeof naiveBollinger>): void {
  expect(firstMismatch(actual.upper, expected.upper)).toBe(-1);
  expect(firstMismatch(actual.middle, expected.middle)).toBe(-1);
  expect(firstMismatch(actual.lower, expected.lower)).toBe(-1);
}

describe('BollingerBands', () => {
  it.each([
    [20, 2, 'sma'],
    [5, 1.5, 'sma'],
    [20, 2, 'ema'],
    [100, 3, 'sma'],
  ] as const)('matches a full recompute over 10,000 random closes (%i, %f, %s)', (period, multiplier, middle) => {
    const streamed = streamBands(new BollingerBands(period, multiplier, { middle }), closes);
    expectBandsMatch(streamed, naiveBollinger(closes, period, multiplier, middle));
  });

  it('matches a full recompute when every bar is replaced several times while it forms', () => {
    const streamed = streamBands(new BollingerBands(20, 2), closes, closeJitter(closes, 9));
    expectBandsMatch(streamed, naiveBollinger(closes, 20, 2));
  });

  it('keeps the band width accurate when the spread is tiny against the price', () => {
    // BTCUSD-like: 60,000 with cent-sized moves; Σx²/n − mean² would lose most digits here.
    const random = seededRandom(21);
    const series = Array.from({ length: 200_000 }, () => 60_000 + 0.01 * Math.round(random() * 3));
    const bb = new BollingerBands(20, 2);
    let worst = 0;
    series.forEach((close, i) => {
      bb.update(close);
      if (i >= 19 && i % 997 === 0) {
        const window = series.slice(i - 19, i + 1);
        const mean = window.reduce((s, v) => s + v, 0) / 20;
        const sd = Math.sqrt(window.reduce((s, v) => s + (v - mean) ** 2, 0) / 20);
        if (sd > 0) worst = Math.max(worst, Math.abs(bb.standardDeviation! - sd) / sd);
      }
    });
    expect(worst).toBeLessThan(1e-9);
  });

  it('has a zero width, never NaN, on a flat series', () => {
    const bb = new BollingerBands(20, 2);
    for (let i = 0; i < 5000; i++) bb.update(1.08512);
    expect(bb.standardDeviation).toBe(0);
    expect(bb.value).toEqual({ upper: 1.08512, middle: 1.08512, lower: 1.08512 });
  });

  it('refuses inputs whose squares would overflow', () => {
    const bb = new BollingerBands(20, 2);
    expect(() => bb.update(1e200)).toThrow('BB(20,2): input must be within ±1e+150, got 1e+200');
    expect(bb.count).toBe(0);
  });

  it('rejects a negative or non-finite multiplier', () => {
    expect(() => new BollingerBands(20, -1)).toThrow(/BB\(20,-1\): multiplier/);
    expect(() => new BollingerBands(20, NaN)).toThrow(RangeError);
  });
});
