import { describe, expect, it } from 'vitest';
import { ATR, type OhlcBar } from '../../../engine/indicators';
import { describeIndicatorContract } from './contract';
import { firstMismatch, naiveAtr, randomBars, seededRandom, stream } from './naive';

const bars = randomBars(10_000, 16);

function otherBar(bar: OhlcBar, factor: number): OhlcBar {
  return { high: bar.high * factor, low: bar.low * factor, close: bar.close * factor };
}

const good = bars[0]!;
const invalid = [
  { input: { ...good, high: NaN }, mentions: 'high must be a finite number, got NaN' },
  { input: { ...good, low: -Infinity }, mentions: 'low must be a finite number, got -Infinity' },
  { input: { ...good, close: Infinity }, mentions: 'close must be a finite number, got Infinity' },
  { input: { high: 1, low: 2, close: 1.5 }, mentions: 'high 1 is below low 2' },
];

describeIndicatorContract('ATR(14)', {
  create: () => new ATR(14),
  warmUp: 15,
  input: (i) => bars[i % bars.length]!,
  alternative: (i, variant) => otherBar(bars[i % bars.length]!, 1.011 + 0.009 * variant),
  invalid,
});

describe('ATR', () => {
  it.each([1, 14, 50])('matches a full recompute over 10,000 random bars (period %i)', (period) => {
    const atr = new ATR(period);
    expect(firstMismatch(stream(atr, bars, () => atr.value), naiveAtr(bars, period))).toBe(-1);
  });

  it('matches a full recompute when every bar is replaced several times while it forms', () => {
    const random = seededRandom(10);
    const atr = new ATR(14);
    const jitter = { value: (i: number) => otherBar(bars[i]!, 0.98 + 0.04 * random()), seed: 10 };
    expect(firstMismatch(stream(atr, bars, () => atr.value, jitter), naiveAtr(bars, 14))).toBe(-1);
  });

  it('uses the previous close in the true range (a gap counts)', () => {
    const atr = new ATR(1);
    atr.update({ high: 10, low: 9, close: 10 });
    atr.update({ high: 15, low: 14, close: 14.5 }); // gap up: TR = 15 − 10
    expect(atr.value).toBe(5);
  });
});
