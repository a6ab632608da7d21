import { TIMEFRAMES, TIMEFRAME_MS, periodStart, type Bar, type Timeframe } from '../market/types';

/**
 * Bars of a lower timeframe → bars of higher ones (M1 files from MT5 "Export bars" to M5…D1),
 * with the same conventions as BarAggregator: open of the first, close of the last, high/low
 * extremes, tick and deal volumes summed, spread the minimum, time the period start in UTC
 * (shifted by `sessionOffsetMs`). No bar is invented for a period without input bars.
 *
 * Input must be ascending; a bar not after the previous input is dropped and counted in
 * `out_of_order`. The same event object is reused between calls, as in BarAggregator.
 */
export interface BarResamplerOptions {
  from: Timeframe;
  to: readonly Timeframe[];
  sessionOffsetMs?: number;
}

export interface ResampleEvents {
  updated: Bar[];
  closed: Bar[];
  /** Whether this input bar was dropped (out of order or duplicate). */
  dropped: boolean;
}

interface Target {
  tf: Timeframe;
  len: number;
  forming: Bar | null;
}

export class BarResampler {
  private readonly from: Timeframe;
  private readonly targets: Target[];
  private readonly offsetMs: number;
  private lastInputMs = Number.NEGATIVE_INFINITY;
  private outOfOrder = 0;
  private inputs = 0;
  private readonly events: ResampleEvents = { updated: [], closed: [], dropped: false };

  constructor(
    readonly symbol: string,
    options: BarResamplerOptions,
  ) {
    this.from = options.from;
    this.offsetMs = options.sessionOffsetMs ?? 0;
    const fromLen = TIMEFRAME_MS[options.from];
    this.targets = TIMEFRAMES.filter((tf) => options.to.includes(tf)).map((tf) => {
      const len = TIMEFRAME_MS[tf];
      if (len <= fromLen || len % fromLen !== 0) throw new RangeError(`cannot resample ${options.from} to ${tf}: not a larger multiple`);
      return { tf, len, forming: null };
    });
    if (this.targets.length === 0) throw new RangeError('BarResampler needs at least one target timeframe');
  }

  add(bar: Bar): ResampleEvents {
    const ev = this.events;
    ev.updated.length = 0;
    ev.closed.length = 0;
    ev.dropped = false;
    if (bar.timeframe !== this.from) throw new RangeError(`BarResampler(${this.from}) was given a ${bar.timeframe} bar`);
    if (bar.timeMs <= this.lastInputMs) {
      this.outOfOrder++;
      ev.dropped = true;
      return ev;
    }
    this.inputs++;
    this.lastInputMs = bar.timeMs;
    for (const target of this.targets) {
      const start = periodStart(bar.timeMs, target.len, this.offsetMs);
      const f = target.forming;
      if (f !== null && f.timeMs === start) {
        if (bar.high > f.high) f.high = bar.high;
        if (bar.low < f.low) f.low = bar.low;
        f.close = bar.close;
        f.tickVolume += bar.tickVolume;
        f.volume += bar.volume;
        if (bar.spread < f.spread) f.spread = bar.spread;
      } else {
        if (f !== null) ev.closed.push(f);
        target.forming = { ...bar, symbol: this.symbol, timeframe: target.tf, timeMs: start };
      }
      ev.updated.push(target.forming!);
    }
    return ev;
  }

  /** Close and return every forming bar (end of input). Its last bars may cover part of a period. */
  flush(): Bar[] {
    const out: Bar[] = [];
    for (const target of this.targets) {
      if (target.forming !== null) out.push(target.forming);
      target.forming = null;
    }
    return out;
  }

  counts(): { inputs: number; out_of_order: number } {
    return { inputs: this.inputs, out_of_order: this.outOfOrder };
  }
}

/** Resample a whole ascending series of one symbol and timeframe (the last, possibly partial, bar included). */
export function resampleBars(bars: readonly Bar[], to: Timeframe, sessionOffsetMs = 0): Bar[] {
  const first = bars[0];
  if (first === undefined) return [];
  const resampler = new BarResampler(first.symbol, { from: first.timeframe, to: [to], sessionOffsetMs });
  const out: Bar[] = [];
  for (const bar of bars) {
    for (const closed of resampler.add(bar).closed) out.push(closed);
  }
  out.push(...resampler.flush());
  return out;
}
