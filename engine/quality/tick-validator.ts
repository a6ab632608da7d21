import type { Tick } from '../market/types';
import { RobustWindow } from './robust-window';

/**
 * Per-symbol tick quality gate. Every tick gets a verdict; rejected ticks are counted by
 * reason, never dropped without a trace.
 *
 * Rules, in the order they are checked:
 * 1. `invalid_time`: `timeMs` is not a non-negative safe integer.
 * 2. `non_finite_price`: bid, ask or last is NaN or ±Infinity.
 * 3. `non_positive_price`: bid or ask ≤ 0, or last < 0 (last is 0 for FX quotes).
 * 4. `crossed_quote`: ask < bid (ask = bid is a locked quote and accepted).
 * 5. `out_of_order`: older than the newest accepted tick by more than `reorderToleranceMs`
 *    (default 0). Within the tolerance the tick is accepted with flag `late`; it does not move
 *    the reference price or the return window, since it is old news.
 * 6. `duplicate`: same `timeMs`, bid, ask, last and volume as a tick already accepted in that
 *    millisecond. MT5 legitimately sends several ticks in one millisecond with different
 *    prices (flag `same_ms`); for FX/CFD quotes last and volume are 0, so this is exactly
 *    "same time_msc and same bid/ask". Including last and volume keeps distinct trades on
 *    exchange symbols. Up to `duplicateMemory` quotes of the newest millisecond are
 *    remembered; a `late` tick is not checked for duplication.
 * 7. `spike`: the log return of the mid against the last accepted mid, scored by a robust
 *    z-score |r − median| / (1.4826·MAD) over the last `spikeWindow` accepted returns. Not
 *    judged until `spikeMinHistory` returns are known. A tick is a spike when z >
 *    `spikeZ` (10) AND the move exceeds `spikeMinSpreads` (8) times the reference spread
 *    (at least one point). The z-score alone is not enough: in a calm window the MAD can be
 *    a fraction of a point — the captured BTCUSD EA ticks show a z of 23 for a plainly
 *    genuine move of 1.2 spreads — and a quote within a few spreads of the market does no
 *    harm to a bar, while bad prints are typically far off it. With 3 spreads, a week of
 *    sandbox ticks (fat-tailed, regime switches) gets dozens of false spikes; with 8, none.
 *    Level shift: a rejected spike opens a pending level. Each following tick that is not a
 *    spike relative to the pending level (by the same rule) confirms it; the
 *    `levelShiftTicks`-th consecutive tick at the new level (the first spike included) is
 *    accepted with flag `level_shift` and becomes the reference. The earlier ones stay
 *    rejected as `spike` (their verdicts are already out). A tick back at the old level
 *    clears the pending level: it was an isolated spike.
 *
 * Flags on accepted ticks: `same_ms`, `late`, `large_move` (z > `suspectZ` but not a
 * spike), `wide_spread` (spread > `wideSpreadFactor` × median of recent spreads),
 * `level_shift`.
 */
export const TICK_REJECT_REASONS = [
  'invalid_time',
  'non_finite_price',
  'non_positive_price',
  'crossed_quote',
  'out_of_order',
  'duplicate',
  'spike',
] as const;
export type TickRejectReason = (typeof TICK_REJECT_REASONS)[number];

export const TICK_QUALITY_FLAGS = ['same_ms', 'late', 'large_move', 'wide_spread', 'level_shift'] as const;
export type TickQualityFlag = (typeof TICK_QUALITY_FLAGS)[number];

export type TickVerdict = { ok: true; flags: readonly TickQualityFlag[] } | { ok: false; reason: TickRejectReason };

export interface TickValidatorOptions {
  /** Accept ticks up to this much older than the newest accepted one (flag `late`). Default 0. */
  reorderToleranceMs?: number;
  /** Quotes remembered per millisecond for duplicate detection. Default 16. */
  duplicateMemory?: number;
  /** Returns kept for the median/MAD. Default 200. */
  spikeWindow?: number;
  /** Returns needed before spikes are judged. Default 30. */
  spikeMinHistory?: number;
  /** Robust z-score above which a move may be a spike. Default 10. */
  spikeZ?: number;
  /** …and the move must also exceed this many reference spreads. Default 8. */
  spikeMinSpreads?: number;
  /** Consecutive ticks at a new level (the first included) before it is accepted. Default 3. */
  levelShiftTicks?: number;
  /** Robust z-score above which an accepted tick is flagged `large_move`. Default 6. */
  suspectZ?: number;
  /** Spread above this multiple of the recent median spread is flagged `wide_spread`. Default 5. */
  wideSpreadFactor?: number;
  /** Point size; the spread floor used by the spike rule is at least one point. */
  point?: number;
}

export interface TickValidatorTotals {
  seen: number;
  accepted: number;
  rejected: number;
  flagged: Record<TickQualityFlag, number>;
}

const MAD_TO_SIGMA = 1.4826;
const NO_FLAGS: readonly TickQualityFlag[] = Object.freeze([]);
const ACCEPTED: TickVerdict = Object.freeze({ ok: true, flags: NO_FLAGS });
const REJECTED = Object.fromEntries(TICK_REJECT_REASONS.map((reason) => [reason, Object.freeze({ ok: false, reason })])) as Record<
  TickRejectReason,
  TickVerdict
>;

function zeroes<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

export class TickValidator {
  private readonly opts: Required<Omit<TickValidatorOptions, 'point'>> & { point: number };
  private readonly returns: RobustWindow;
  private readonly spreads: RobustWindow;
  private readonly reasonCounts = zeroes(TICK_REJECT_REASONS);
  private readonly flagCounts = zeroes(TICK_QUALITY_FLAGS);
  private seen = 0;
  private accepted = 0;

  private lastTimeMs = Number.NEGATIVE_INFINITY;
  private refMid = Number.NaN;
  private refSpread = 0;
  // Quotes accepted in the newest millisecond, as (bid, ask, last, volume) quadruples.
  private readonly msQuotes: Float64Array;
  private msCount = 0;
  private pendingMid = Number.NaN;
  private pendingTicks = 0;

  constructor(
    readonly symbol: string,
    options: TickValidatorOptions = {},
  ) {
    this.opts = {
      reorderToleranceMs: options.reorderToleranceMs ?? 0,
      duplicateMemory: options.duplicateMemory ?? 16,
      spikeWindow: options.spikeWindow ?? 200,
      spikeMinHistory: options.spikeMinHistory ?? 30,
      spikeZ: options.spikeZ ?? 10,
      spikeMinSpreads: options.spikeMinSpreads ?? 8,
      levelShiftTicks: options.levelShiftTicks ?? 3,
      suspectZ: options.suspectZ ?? 6,
      wideSpreadFactor: options.wideSpreadFactor ?? 5,
      point: options.point ?? 0,
    };
    if (this.opts.spikeMinHistory > this.opts.spikeWindow) throw new RangeError('spikeMinHistory must not exceed spikeWindow');
    if (this.opts.levelShiftTicks < 1) throw new RangeError('levelShiftTicks must be ≥ 1');
    this.returns = new RobustWindow(this.opts.spikeWindow);
    this.spreads = new RobustWindow(this.opts.spikeWindow);
    this.msQuotes = new Float64Array(this.opts.duplicateMemory * 4);
  }

  /** Judge one tick. The returned object is shared when there are no flags: do not mutate it. */
  check(tick: Tick): TickVerdict {
    this.seen++;
    const { bid, ask, last, timeMs } = tick;
    if (!Number.isSafeInteger(timeMs) || timeMs < 0) return this.reject('invalid_time');
    if (!Number.isFinite(bid) || !Number.isFinite(ask) || !Number.isFinite(last) || !Number.isFinite(tick.volume)) {
      return this.reject('non_finite_price');
    }
    if (bid <= 0 || ask <= 0 || last < 0) return this.reject('non_positive_price');
    if (ask < bid) return this.reject('crossed_quote');

    let late = false;
    if (timeMs < this.lastTimeMs) {
      if (this.lastTimeMs - timeMs > this.opts.reorderToleranceMs) return this.reject('out_of_order');
      late = true;
    }
    const sameMs = timeMs === this.lastTimeMs;
    if (sameMs && this.isDuplicate(tick)) return this.reject('duplicate');

    const mid = (bid + ask) / 2;
    const spread = ask - bid;
    // Allocated only for a flagged tick; most ticks share the frozen ACCEPTED verdict.
    let flags: TickQualityFlag[] | null = null;

    const hasRef = !Number.isNaN(this.refMid);
    const r = hasRef ? Math.log(mid / this.refMid) : 0;
    let levelShift = false;
    if (hasRef && this.returns.size >= this.opts.spikeMinHistory) {
      const z = this.zScore(r);
      if (this.isSpike(z, mid, this.refMid)) {
        if (late) return this.reject('spike');
        if (this.pendingTicks > 0 && !this.isSpike(this.zScore(Math.log(mid / this.pendingMid)), mid, this.pendingMid)) {
          this.pendingTicks++;
        } else {
          this.pendingTicks = 1;
        }
        this.pendingMid = mid;
        if (this.pendingTicks < this.opts.levelShiftTicks) return this.reject('spike');
        levelShift = true;
        flags = this.flag(flags, 'level_shift');
      } else if (z > this.opts.suspectZ) {
        flags = this.flag(flags, 'large_move');
      }
    }
    if (!late) {
      this.pendingTicks = 0;
      this.pendingMid = Number.NaN;
    }

    if (this.spreads.size >= this.opts.spikeMinHistory) {
      const typical = this.spreads.median();
      if (typical > 0 && spread > this.opts.wideSpreadFactor * typical) flags = this.flag(flags, 'wide_spread');
    }
    if (late) flags = this.flag(flags, 'late');
    else if (sameMs) flags = this.flag(flags, 'same_ms');

    if (!late) {
      // The jump of a level shift is not a sample of tick-to-tick volatility.
      if (hasRef && !levelShift) this.returns.push(r);
      this.spreads.push(spread);
      this.refMid = mid;
      this.refSpread = spread;
      if (!sameMs) this.msCount = 0;
      this.lastTimeMs = timeMs;
      this.rememberQuote(tick);
    }
    this.accepted++;
    return flags === null ? ACCEPTED : { ok: true, flags };
  }

  /** Rejections by reason, every reason present. */
  counts(): Record<TickRejectReason, number> {
    return { ...this.reasonCounts };
  }

  totals(): TickValidatorTotals {
    return { seen: this.seen, accepted: this.accepted, rejected: this.seen - this.accepted, flagged: { ...this.flagCounts } };
  }

  private flag(flags: TickQualityFlag[] | null, flag: TickQualityFlag): TickQualityFlag[] {
    this.flagCounts[flag]++;
    if (flags === null) return [flag];
    flags.push(flag);
    return flags;
  }

  private reject(reason: TickRejectReason): TickVerdict {
    this.reasonCounts[reason]++;
    return REJECTED[reason];
  }

  private zScore(r: number): number {
    const dev = Math.abs(r - this.returns.median());
    const scale = MAD_TO_SIGMA * this.returns.mad();
    if (scale > 0) return dev / scale;
    return dev > 0 ? Number.POSITIVE_INFINITY : 0;
  }

  private isSpike(z: number, mid: number, fromMid: number): boolean {
    if (z <= this.opts.spikeZ) return false;
    const spreadFloor = Math.max(this.refSpread, this.opts.point);
    const move = Math.abs(mid - fromMid);
    return spreadFloor > 0 ? move > this.opts.spikeMinSpreads * spreadFloor : move > 0;
  }

  private isDuplicate(tick: Tick): boolean {
    const q = this.msQuotes;
    for (let i = 0; i < this.msCount; i++) {
      const o = i * 4;
      if (q[o] === tick.bid && q[o + 1] === tick.ask && q[o + 2] === tick.last && q[o + 3] === tick.volume) return true;
    }
    return false;
  }

  private rememberQuote(tick: Tick): void {
    // Beyond `duplicateMemory` quotes in one millisecond the oldest slot is reused.
    const slot = this.msCount < this.opts.duplicateMemory ? this.msCount++ : this.seen % this.opts.duplicateMemory;
    const o = slot * 4;
    this.msQuotes[o] = tick.bid;
    this.msQuotes[o + 1] = tick.ask;
    this.msQuotes[o + 2] = tick.last;
    this.msQuotes[o + 3] = tick.volume;
  }
}
