import { TICK_FLAG, TIMEFRAMES, TIMEFRAME_MS, periodStart, pointSize, toPoints, type Bar, type Tick, type Timeframe } from '../market/types';

/**
 * Streaming tick → OHLCV bars for several timeframes at once, one aggregator per symbol.
 *
 * How a bar is built (following MT5 charts):
 * - OHLC from the bid. Open is the bid of the earliest tick in the period, close of the latest.
 * - `tickVolume` counts ticks that changed the bid. The captured BTCUSD EA ticks show it:
 *   MT5's chart tick volume does not move on an ASK-only tick and does on a BID-only one.
 *   A tick with `flags` 0 (source does not say) counts as a bid tick. An ASK-only tick only
 *   lowers the spread of the forming bar; it never opens a bar.
 * - `volume` sums the ticks' deal volumes (MT5 `real_volume`; 0 for FX).
 * - `spread` is the MINIMUM spread of the period in points, as MT5's `<SPREAD>` column: the
 *   EURUSD H1 export has a median of 8 points on its 00:00 rollover bars, where spreads
 *   briefly widen several-fold, which a maximum or last value would show.
 *   Points are rounded, not truncated (see `toPoints`), from the symbol's `digits`.
 * - Bar time is the start of the period in UTC. `sessionOffsetMs` shifts every boundary
 *   as if the clock read UTC+offset: with +2 h a D1 bar starts at 22:00 UTC (a broker at
 *   UTC+2) and H4 bars at 22:00, 02:00, …. A fixed offset: daylight saving is not followed.
 * - Nothing is silently invented: a period without ticks has no bar (no flat fill-ins).
 *
 * Closing: a bar closes when a tick (or `advanceTo(nowMs)`, for an injected clock) reaches
 * a later period. Late ticks: a tick older than the forming bar's period amends the bar that
 * just closed if that bar is its period and the stream has not moved more than
 * `lateGraceMs` (default 2000) past that bar's end — the "watermark" is the newest tick time
 * or clock time seen. Otherwise it is dropped for that timeframe and counted in
 * `late_dropped` (a tick may amend M1 and still update a forming H1 bar).
 *
 * Allocation: the forming Bar objects are updated in place and handed out as-is; the event
 * object and its arrays are reused, valid until the next call. Copy what you keep.
 *
 * Changes for a store: `takeChanged` copies out the forming bars changed since its last call,
 * and just-closed bars a late tick amended since then, so a writer can save bars in their
 * latest state once per flush instead of once per tick. A bar that closes leaves in `closed`
 * (its final state); takeChanged hands it over again only if a late tick amends it.
 */
export interface BarAggregatorOptions {
  /** Decimals of the symbol's prices (EURUSD 5, USDJPY 3, XAUUSD 2): point = 10^-digits. */
  digits: number;
  timeframes?: readonly Timeframe[];
  sessionOffsetMs?: number;
  lateGraceMs?: number;
}

export interface BarEvents {
  /** Forming bars this tick changed (or opened). */
  updated: Bar[];
  /** Bars this tick completed. */
  closed: Bar[];
  /** Just-closed bars this late tick amended. */
  amended: Bar[];
  /** Timeframes for which this late tick was dropped. */
  dropped: Timeframe[];
}

export interface BarAggregatorCounts {
  ticks: number;
  amended: Record<Timeframe, number>;
  late_dropped: Record<Timeframe, number>;
}

interface Slot {
  tf: Timeframe;
  len: number;
  forming: Bar | null;
  formingFirstMs: number;
  formingLastMs: number;
  /** The forming bar changed since the last takeChanged. */
  formingChanged: boolean;
  closed: Bar | null;
  closedFirstMs: number;
  closedLastMs: number;
  /** A late tick amended the just-closed bar since the last takeChanged. */
  closedChanged: boolean;
}

/** Amended bars kept for takeChanged after a newer bar closed (only the newest beyond it). */
const MAX_UNTAKEN = 1024;

function perTimeframe(): Record<Timeframe, number> {
  return { M1: 0, M5: 0, M15: 0, H1: 0, H4: 0, D1: 0 };
}

export class BarAggregator {
  private readonly slots: Slot[];
  private readonly point: number;
  private readonly offsetMs: number;
  private readonly graceMs: number;
  private watermark = Number.NEGATIVE_INFINITY;
  private ticks = 0;
  /** Some slot has formingChanged or closedChanged set, or amendedUntaken is not empty. */
  private changed = false;
  /** Amended bars that stopped being "just closed" before takeChanged saw them. */
  private amendedUntaken: Bar[] = [];
  private readonly amendedCounts = perTimeframe();
  private readonly droppedCounts = perTimeframe();
  private readonly events: BarEvents = { updated: [], closed: [], amended: [], dropped: [] };

  constructor(
    readonly symbol: string,
    options: BarAggregatorOptions,
  ) {
    this.point = pointSize(options.digits);
    this.offsetMs = options.sessionOffsetMs ?? 0;
    this.graceMs = options.lateGraceMs ?? 2000;
    const timeframes = options.timeframes ?? TIMEFRAMES;
    this.slots = TIMEFRAMES.filter((tf) => timeframes.includes(tf)).map((tf) => ({
      tf,
      len: TIMEFRAME_MS[tf],
      forming: null,
      formingFirstMs: 0,
      formingLastMs: 0,
      formingChanged: false,
      closed: null,
      closedFirstMs: 0,
      closedLastMs: 0,
      closedChanged: false,
    }));
    if (this.slots.length === 0) throw new RangeError('BarAggregator needs at least one timeframe');
  }

  /** Feed one (validated) tick of this symbol. */
  onTick(tick: Tick): BarEvents {
    const ev = this.reset();
    this.ticks++;
    const t = tick.timeMs;
    if (t > this.watermark) this.watermark = t;
    const isBid = tick.flags === 0 || (tick.flags & TICK_FLAG.BID) !== 0;
    const spread = toPoints(tick.ask - tick.bid, this.point);

    for (const slot of this.slots) {
      const start = periodStart(t, slot.len, this.offsetMs);
      const forming = slot.forming;
      if (forming !== null && start === forming.timeMs) {
        if (this.absorb(slot, true, tick, isBid, spread)) {
          ev.updated.push(forming);
          slot.formingChanged = true;
          this.changed = true;
        }
        continue;
      }
      const latest = forming?.timeMs ?? slot.closed?.timeMs ?? Number.NEGATIVE_INFINITY;
      if (start > latest) {
        if (forming !== null) this.closeForming(slot);
        if (isBid) {
          slot.forming = {
            symbol: this.symbol,
            timeframe: slot.tf,
            timeMs: start,
            open: tick.bid,
            high: tick.bid,
            low: tick.bid,
            close: tick.bid,
            tickVolume: 1,
            volume: tick.volume,
            spread,
          };
          slot.formingFirstMs = t;
          slot.formingLastMs = t;
          slot.formingChanged = true;
          this.changed = true;
          ev.updated.push(slot.forming);
        }
        continue;
      }
      // Older than the newest period of this timeframe: a late tick.
      const closed = slot.closed;
      if (closed !== null && start === closed.timeMs && this.watermark <= closed.timeMs + slot.len + this.graceMs) {
        if (this.absorb(slot, false, tick, isBid, spread)) {
          ev.amended.push(closed);
          slot.closedChanged = true;
          this.changed = true;
        }
        this.amendedCounts[slot.tf]++;
      } else {
        ev.dropped.push(slot.tf);
        this.droppedCounts[slot.tf]++;
      }
    }
    return ev;
  }

  /**
   * Close every forming bar whose period ended at or before `nowMs` (time from an injected
   * clock, so the last bar before a quiet spell does not wait for the next tick).
   */
  advanceTo(nowMs: number): BarEvents {
    const ev = this.reset();
    if (nowMs > this.watermark) this.watermark = nowMs;
    for (const slot of this.slots) {
      if (slot.forming !== null && slot.forming.timeMs + slot.len <= nowMs) this.closeForming(slot);
    }
    return ev;
  }

  /** The forming bar of a timeframe, if any (the live object). */
  forming(tf: Timeframe): Bar | null {
    return this.slots.find((s) => s.tf === tf)?.forming ?? null;
  }

  /**
   * Pushes copies of the bars changed since the last call onto `into`: forming bars a tick
   * opened or changed, and just-closed bars a late tick amended. Cheap when nothing changed.
   */
  takeChanged(into: Bar[]): void {
    if (!this.changed) return;
    this.changed = false;
    if (this.amendedUntaken.length > 0) {
      for (const bar of this.amendedUntaken) into.push(bar);
      this.amendedUntaken = [];
    }
    for (const slot of this.slots) {
      if (slot.closedChanged) {
        slot.closedChanged = false;
        if (slot.closed !== null) into.push({ ...slot.closed });
      }
      if (slot.formingChanged) {
        slot.formingChanged = false;
        if (slot.forming !== null) into.push({ ...slot.forming });
      }
    }
  }

  counts(): BarAggregatorCounts {
    return { ticks: this.ticks, amended: { ...this.amendedCounts }, late_dropped: { ...this.droppedCounts } };
  }

  private reset(): BarEvents {
    const ev = this.events;
    // Setting length is a runtime call even on an empty array: most of these are empty.
    if (ev.updated.length !== 0) ev.updated.length = 0;
    if (ev.closed.length !== 0) ev.closed.length = 0;
    if (ev.amended.length !== 0) ev.amended.length = 0;
    if (ev.dropped.length !== 0) ev.dropped.length = 0;
    return ev;
  }

  private closeForming(slot: Slot): void {
    const bar = slot.forming!;
    // The bar this one replaces as "just closed" may carry an amendment not taken yet: keep it.
    if (slot.closedChanged && slot.closed !== null) {
      if (this.amendedUntaken.length >= MAX_UNTAKEN) this.amendedUntaken.shift();
      this.amendedUntaken.push({ ...slot.closed });
    }
    slot.closed = bar;
    slot.closedFirstMs = slot.formingFirstMs;
    slot.closedLastMs = slot.formingLastMs;
    slot.closedChanged = false;
    // Its final state leaves in `closed`.
    slot.forming = null;
    slot.formingChanged = false;
    this.events.closed.push(bar);
  }

  /** Fold a tick into the forming or the just-closed bar; returns whether the bar changed. */
  private absorb(slot: Slot, intoForming: boolean, tick: Tick, isBid: boolean, spread: number): boolean {
    const bar = (intoForming ? slot.forming : slot.closed)!;
    let changed = false;
    if (spread < bar.spread) {
      bar.spread = spread;
      changed = true;
    }
    if (!isBid) return changed;
    const t = tick.timeMs;
    const bid = tick.bid;
    bar.tickVolume++;
    bar.volume += tick.volume;
    if (bid > bar.high) bar.high = bid;
    if (bid < bar.low) bar.low = bid;
    if (intoForming) {
      if (t < slot.formingFirstMs) {
        bar.open = bid;
        slot.formingFirstMs = t;
      }
      if (t >= slot.formingLastMs) {
        bar.close = bid;
        slot.formingLastMs = t;
      }
    } else {
      if (t < slot.closedFirstMs) {
        bar.open = bid;
        slot.closedFirstMs = t;
      }
      if (t >= slot.closedLastMs) {
        bar.close = bid;
        slot.closedLastMs = t;
      }
    }
    return true;
  }
}
