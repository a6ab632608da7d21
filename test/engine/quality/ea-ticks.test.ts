import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GapDetector, TickValidator } from '../../../engine/quality';
import { TICK_FLAG, type Tick } from '../../../engine/market/types';

/**
 * 694 live BTCUSD ticks captured by an MQL5 EA (see shared/data/PROVENANCE.md). Their
 * time_msc is broker server time, UTC+1: one hour is taken off to store UTC.
 */
interface EaTick {
  time_msc: number;
  bid: number;
  ask: number;
  last: number;
  real_volume: number;
  tick_flags: string;
}
const file = fileURLToPath(new URL('../../../../shared/data/mt5/BTCUSD_ea_ticks_20260307.json', import.meta.url));
const raw = JSON.parse(readFileSync(file, 'utf8')) as { ticks: EaTick[] };
const BROKER_OFFSET_MS = 3_600_000;
const ticks: Tick[] = raw.ticks.map((t) => ({
  symbol: 'BTCUSD',
  timeMs: t.time_msc - BROKER_OFFSET_MS,
  bid: t.bid,
  ask: t.ask,
  last: t.last,
  volume: t.real_volume,
  flags: (t.tick_flags.includes('BID') ? TICK_FLAG.BID : 0) | (t.tick_flags.includes('ASK') ? TICK_FLAG.ASK : 0),
  source: 'mt5',
}));

describe('TickValidator on the captured BTCUSD EA ticks', () => {
  it('accepts all 694 ticks: the capture is clean', () => {
    // Why every count is zero: time_msc strictly increases (no same-millisecond pair, so no
    // duplicate and no out-of-order tick), every ask exceeds its bid by 16.93-17.12 USD,
    // prices are positive and finite, and the largest tick-to-tick mid move is 20.02 USD,
    // 1.2 spreads — far below the 8-spread floor of the spike rule.
    expect(ticks).toHaveLength(694);
    const v = new TickValidator('BTCUSD', { point: 0.01 });
    for (const t of ticks) v.check(t);
    expect(v.counts()).toEqual({
      invalid_time: 0,
      non_finite_price: 0,
      non_positive_price: 0,
      crossed_quote: 0,
      out_of_order: 0,
      duplicate: 0,
      spike: 0,
    });
    const totals = v.totals();
    expect(totals).toMatchObject({ seen: 694, accepted: 694, rejected: 0 });
    // Spreads stay within 1693..1712 points: never 5× the median. No same ms, nothing late.
    expect(totals.flagged).toMatchObject({ wide_spread: 0, same_ms: 0, late: 0, level_shift: 0 });
  });

  it('rejects exactly the faults injected into the real stream', () => {
    const stream = [...ticks];
    const base = stream[300]!;
    stream.splice(301, 0, { ...base, bid: base.bid * 1.02, ask: base.ask * 1.02, timeMs: base.timeMs + 1 }); // 2 % spike
    stream.splice(200, 0, { ...stream[199]! }); // exact duplicate of tick 199
    [stream[100], stream[101]] = [stream[101]!, stream[100]!]; // two ticks swapped
    stream.splice(50, 0, { ...stream[49]!, timeMs: stream[49]!.timeMs + 1, ask: stream[49]!.bid - 1 }); // crossed
    const v = new TickValidator('BTCUSD', { point: 0.01 });
    for (const t of stream) v.check(t);
    expect(v.counts()).toMatchObject({ crossed_quote: 1, out_of_order: 1, duplicate: 1, spike: 1 });
    // 694 originals + 3 injected; accepted: the originals but the swapped-back one.
    expect(v.totals()).toMatchObject({ seen: 697, accepted: 693, rejected: 4 });
  });

  it('finds no gap over a minute in the 3.5-minute capture', () => {
    const detector = new GapDetector({ maxGapMs: 60_000 });
    const gaps = ticks.map((t) => detector.observe(t.timeMs)).filter((g) => g !== null);
    expect(gaps).toEqual([]);
    // …but a 5-second threshold finds the quiet spells, independently computed.
    const silences = ticks.slice(1).filter((t, i) => t.timeMs - ticks[i]!.timeMs > 5000).length;
    const strict = new GapDetector({ maxGapMs: 5000 });
    expect(ticks.map((t) => strict.observe(t.timeMs)).filter((g) => g !== null)).toHaveLength(silences);
  });
});
