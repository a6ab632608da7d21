import { describe, expect, it } from 'vitest';
import { RobustWindow } from '../../../engine/quality/robust-window';

function naiveMedian(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

describe('RobustWindow', () => {
  it('matches a sort-based median and MAD over a sliding window, odd and even sizes, with ties', () => {
    for (const capacity of [3, 4, 7, 50]) {
      const window = new RobustWindow(capacity);
      const all: number[] = [];
      let state = 99;
      for (let i = 0; i < 500; i++) {
        state = (state * 1103515245 + 12345) % 2147483648;
        // Few distinct values, so ties are common (as zero returns are in real ticks).
        const value = ((state >> 16) % 9) - 4 + (i % 50 === 0 ? 1000 : 0);
        window.push(value);
        all.push(value);
        const recent = all.slice(-capacity);
        const m = naiveMedian(recent);
        expect(window.size).toBe(recent.length);
        expect(window.median()).toBe(m);
        expect(window.mad()).toBe(naiveMedian(recent.map((v) => Math.abs(v - m))));
      }
    }
  });
});
