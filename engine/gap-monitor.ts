import type { Tick } from './market/types';
import { GapDetector, type Gap, type MarketCalendar } from './quality';

export interface SymbolGap extends Gap {
  symbol: string;
  source: string;
}

export interface GapMonitorOptions {
  /** Market hours per symbol: silence while the market is closed is a `weekend`, not a gap. */
  calendarFor(symbol: string): MarketCalendar;
  /** Open-market silence between two ticks beyond which data counts as missing (default 5 min). */
  maxGapMs?: number;
  /** Most recent gaps kept for /healthz and /status (default 20). */
  keep?: number;
}

/**
 * Finds holes in each symbol's accepted tick times: a `gap` is open-market time with no
 * data (a terminal that was offline longer than its ring buffer covers, a broker outage);
 * a `weekend` is silence the market calendar explains. Pure: the role logs and counts.
 */
export class GapMonitor {
  private readonly detectors = new Map<string, GapDetector>();
  private readonly recentGaps: SymbolGap[] = [];
  private readonly maxGapMs: number;
  private readonly keep: number;

  constructor(private readonly options: GapMonitorOptions) {
    this.maxGapMs = options.maxGapMs ?? 5 * 60_000;
    this.keep = options.keep ?? 20;
  }

  /** Feed an accepted tick; returns the gap it ends, if any (weekends included, kind says which). */
  observe(tick: Tick): SymbolGap | null {
    let detector = this.detectors.get(tick.symbol);
    if (!detector) {
      detector = new GapDetector({ maxGapMs: this.maxGapMs, calendar: this.options.calendarFor(tick.symbol) });
      this.detectors.set(tick.symbol, detector);
    }
    const gap = detector.observe(tick.timeMs);
    if (!gap) return null;
    const found: SymbolGap = { ...gap, symbol: tick.symbol, source: tick.source };
    if (gap.kind === 'gap') {
      this.recentGaps.push(found);
      if (this.recentGaps.length > this.keep) this.recentGaps.shift();
    }
    return found;
  }

  /** The latest real gaps (not weekends), oldest first. */
  recent(): SymbolGap[] {
    return [...this.recentGaps];
  }

  counts(): Record<string, { weekend: number; gap: number }> {
    return Object.fromEntries([...this.detectors].map(([symbol, detector]) => [symbol, detector.counts()]));
  }
}
