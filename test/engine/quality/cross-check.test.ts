import { describe, expect, it } from 'vitest';
import { crossCheck, type QuoteSample } from '../../../engine/quality';

const T0 = Date.UTC(2025, 6, 9, 12);
const POINT = 0.00001;

function series(n: number, offsetPoints: number, startMs = T0): QuoteSample[] {
  return Array.from({ length: n }, (_, i) => {
    const bid = Math.round((1.1 + (i % 5) * POINT + offsetPoints * POINT) * 1e5) / 1e5;
    return { timeMs: startMs + i * 500, bid, ask: Math.round((bid + 8 * POINT) * 1e5) / 1e5 };
  });
}

describe('crossCheck', () => {
  it('measures a small constant divergence in points and percent and passes it', () => {
    const result = crossCheck(series(20, 2), series(20, 0), { point: POINT, maxDivergencePoints: 10 });
    expect(result.verdict).toBe('ok');
    expect(result.pairs).toBe(20);
    expect(result.divergencePoints).toBe(2);
    expect(result.divergencePct).toBeCloseTo((2 * POINT * 100) / 1.10006, 8);
  });

  it('calls a divergence over the threshold', () => {
    expect(crossCheck(series(20, 25), series(20, 0), { point: POINT, maxDivergencePoints: 10 }).verdict).toBe('diverged');
    // 0.2 % of 1.1 is 220 points: over the default 0.1 %.
    expect(crossCheck(series(20, 220), series(20, 0), { point: POINT })).toMatchObject({ verdict: 'diverged', divergencePoints: 220 });
    expect(crossCheck(series(20, -220), series(20, 0), { point: POINT })).toMatchObject({ verdict: 'diverged', divergencePoints: -220 });
  });

  it('is not flipped by one stray quote', () => {
    const a = series(21, 0);
    a[10] = { ...a[10]!, bid: 1.2, ask: 1.20008 };
    const result = crossCheck(a, series(21, 0), { point: POINT, maxDivergencePoints: 10 });
    expect(result.verdict).toBe('ok');
    expect(result.maxAbsPoints).toBeGreaterThan(9000);
  });

  it('says so when the two sources do not overlap in time', () => {
    const result = crossCheck(series(10, 0, T0), series(10, 0, T0 + 60_000), { point: POINT });
    expect(result).toMatchObject({ verdict: 'insufficient_data', pairs: 0 });
  });
});
