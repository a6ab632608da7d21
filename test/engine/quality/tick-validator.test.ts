import { describe, expect, it } from 'vitest';
import { TickValidator, type TickVerdict } from '../../../engine/quality';
import type { Tick } from '../../../engine/market/types';

const T0 = Date.UTC(2025, 5, 4, 10, 0, 0); // a Wednesday
const POINT = 0.00001;

function tick(timeMs: number, bid: number, ask = bid + 10 * POINT, extra: Partial<Tick> = {}): Tick {
  return { symbol: 'EURUSD', timeMs, bid, ask, last: 0, volume: 0, flags: 6, source: 'test', ...extra };
}

/** A deterministic wiggle of ±1..3 points around 1.10000, one tick a second. */
function history(validator: TickValidator, n: number): { timeMs: number; bid: number } {
  let state = 12345;
  let bid = 1.1;
  let timeMs = T0;
  for (let i = 0; i < n; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const step = ((state >> 16) % 7) - 3; // -3..3 points
    bid = Math.round((bid + step * POINT) * 1e5) / 1e5;
    timeMs += 1000;
    expect(validator.check(tick(timeMs, bid))).toEqual({ ok: true, flags: [] });
  }
  return { timeMs, bid };
}

function reasonOf(verdict: TickVerdict): string {
  return verdict.ok ? 'accepted' : verdict.reason;
}

describe('TickValidator', () => {
  it('accepts a clean tick with no flags', () => {
    const v = new TickValidator('EURUSD');
    expect(v.check(tick(T0, 1.1))).toEqual({ ok: true, flags: [] });
    expect(v.totals()).toMatchObject({ seen: 1, accepted: 1, rejected: 0 });
  });

  it('rejects non-finite, non-positive and crossed prices and a bad timestamp, counting each reason', () => {
    const v = new TickValidator('EURUSD');
    expect(reasonOf(v.check(tick(T0, Number.NaN, 1.1)))).toBe('non_finite_price');
    expect(reasonOf(v.check(tick(T0, 1.1, Number.POSITIVE_INFINITY)))).toBe('non_finite_price');
    expect(reasonOf(v.check(tick(T0, 1.1, 1.1001, { last: Number.NaN })))).toBe('non_finite_price');
    expect(reasonOf(v.check(tick(T0, 0, 1.1)))).toBe('non_positive_price');
    expect(reasonOf(v.check(tick(T0, -1.1, 1.1)))).toBe('non_positive_price');
    expect(reasonOf(v.check(tick(T0, 1.1002, 1.1001)))).toBe('crossed_quote');
    expect(reasonOf(v.check(tick(Number.NaN, 1.1)))).toBe('invalid_time');
    expect(reasonOf(v.check(tick(T0 + 0.5, 1.1)))).toBe('invalid_time');
    // A locked quote (ask = bid) is not crossed.
    expect(v.check(tick(T0, 1.1, 1.1)).ok).toBe(true);
    expect(v.counts()).toEqual({
      invalid_time: 2,
      non_finite_price: 3,
      non_positive_price: 2,
      crossed_quote: 1,
      out_of_order: 0,
      duplicate: 0,
      spike: 0,
    });
    expect(v.totals()).toMatchObject({ seen: 9, accepted: 1, rejected: 8 });
  });

  it('rejects a tick older than the last accepted one', () => {
    const v = new TickValidator('EURUSD');
    v.check(tick(T0 + 1000, 1.1));
    expect(reasonOf(v.check(tick(T0 + 999, 1.10001)))).toBe('out_of_order');
    // A rejected tick does not move the clock: the next in-order tick is fine.
    expect(v.check(tick(T0 + 1001, 1.10002)).ok).toBe(true);
    expect(v.counts().out_of_order).toBe(1);
  });

  it('accepts a slightly late tick within the reorder tolerance, flagged late', () => {
    const v = new TickValidator('EURUSD', { reorderToleranceMs: 500 });
    v.check(tick(T0 + 1000, 1.1));
    expect(v.check(tick(T0 + 600, 1.10001))).toEqual({ ok: true, flags: ['late'] });
    expect(reasonOf(v.check(tick(T0 + 400, 1.10001)))).toBe('out_of_order');
  });

  it('rejects an exact duplicate but accepts another price in the same millisecond', () => {
    const v = new TickValidator('EURUSD');
    expect(v.check(tick(T0, 1.1, 1.1001)).ok).toBe(true);
    // MT5 sends several ticks per millisecond with different prices: accepted, flagged.
    expect(v.check(tick(T0, 1.10002, 1.1001))).toEqual({ ok: true, flags: ['same_ms'] });
    expect(reasonOf(v.check(tick(T0, 1.10002, 1.1001)))).toBe('duplicate');
    // A repeat of the first quote of that millisecond, after another one, is still a duplicate.
    expect(reasonOf(v.check(tick(T0, 1.1, 1.1001)))).toBe('duplicate');
    // Same prices one millisecond later: a new tick.
    expect(v.check(tick(T0 + 1, 1.1, 1.1001))).toEqual({ ok: true, flags: [] });
    // Same bid/ask, different deal volume (an exchange trade): not a duplicate.
    expect(v.check(tick(T0 + 1, 1.1, 1.1001, { volume: 2 })).ok).toBe(true);
    expect(v.counts().duplicate).toBe(2);
  });

  it('rejects an isolated spike and keeps accepting the market around it', () => {
    const v = new TickValidator('EURUSD', { point: POINT });
    const { timeMs, bid } = history(v, 100);
    expect(reasonOf(v.check(tick(timeMs + 1000, bid + 300 * POINT)))).toBe('spike');
    expect(v.check(tick(timeMs + 2000, bid + POINT))).toEqual({ ok: true, flags: [] });
    // The spike opened a pending level; the return to the market cleared it, so a second
    // spike to the same level starts counting from one again.
    expect(reasonOf(v.check(tick(timeMs + 3000, bid + 300 * POINT)))).toBe('spike');
    expect(v.check(tick(timeMs + 4000, bid)).ok).toBe(true);
    expect(reasonOf(v.check(tick(timeMs + 5000, bid + 300 * POINT)))).toBe('spike');
    expect(v.counts().spike).toBe(3);
    expect(v.totals().flagged.level_shift).toBe(0);
  });

  it('accepts a genuine level shift on the third consecutive tick at the new level', () => {
    const v = new TickValidator('EURUSD', { point: POINT });
    const { timeMs, bid } = history(v, 100);
    const level = bid + 300 * POINT;
    expect(reasonOf(v.check(tick(timeMs + 1000, level)))).toBe('spike');
    expect(reasonOf(v.check(tick(timeMs + 2000, level + 2 * POINT)))).toBe('spike');
    expect(v.check(tick(timeMs + 3000, level + POINT))).toEqual({ ok: true, flags: ['level_shift'] });
    // The new level is the reference now.
    expect(v.check(tick(timeMs + 4000, level + 3 * POINT))).toEqual({ ok: true, flags: [] });
    expect(v.counts().spike).toBe(2);
  });

  it('follows the configured number of confirmations', () => {
    const v = new TickValidator('EURUSD', { point: POINT, levelShiftTicks: 5 });
    const { timeMs, bid } = history(v, 100);
    const level = bid - 400 * POINT;
    const reasons = [1, 2, 3, 4, 5].map((i) => reasonOf(v.check(tick(timeMs + i * 1000, level))));
    expect(reasons).toEqual(['spike', 'spike', 'spike', 'spike', 'accepted']);
  });

  it('does not judge spikes before the minimum history', () => {
    const v = new TickValidator('EURUSD', { point: POINT, spikeMinHistory: 30 });
    const { timeMs, bid } = history(v, 10);
    expect(v.check(tick(timeMs + 1000, bid + 300 * POINT)).ok).toBe(true);
  });

  it('accepts a move of a few spreads however calm the window, flagging it large_move', () => {
    // BTC-like: a calm window with a MAD far below the spread, then a move of 1.2 spreads.
    const v = new TickValidator('BTCUSD', { point: 0.01 });
    let t = T0;
    let bid = 67600;
    for (let i = 0; i < 50; i++) {
      bid += i % 2 === 0 ? 0.5 : -0.5;
      v.check(tick((t += 100), bid, bid + 17));
    }
    expect(v.check(tick((t += 100), bid - 20.4, bid - 3.4))).toEqual({ ok: true, flags: ['large_move'] });
    expect(v.counts().spike).toBe(0);
  });

  it('flags a spread far wider than the recent median', () => {
    const v = new TickValidator('EURUSD', { point: POINT });
    const { timeMs, bid } = history(v, 40);
    expect(v.check(tick(timeMs + 1000, bid - 35 * POINT, bid + 45 * POINT))).toEqual({ ok: true, flags: ['wide_spread'] });
  });
});
