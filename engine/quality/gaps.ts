import { ALWAYS_OPEN, type MarketCalendar } from './calendar';

export interface GapDetectorOptions {
  /** Silence longer than this is a gap. */
  maxGapMs: number;
  /**
   * Length of one observation: 0 for ticks, the bar length for bars (a bar stamped 10:00 on
   * H1 covers until 11:00, so the silence starts there). Default 0.
   */
  intervalMs?: number;
  /** Market hours; silence while closed does not count. Default: always open. */
  calendar?: MarketCalendar;
}

/**
 * A silence between two consecutive observations. `weekend` means the market calendar
 * explains it (the open-market time inside it is within `maxGapMs`): normal, not an alert.
 * `gap` means data is missing while the market was open: report it.
 */
export interface Gap {
  kind: 'weekend' | 'gap';
  /** End of the last observation (its time plus `intervalMs`). */
  fromMs: number;
  /** Time of the observation that ended the silence. */
  toMs: number;
  silentMs: number;
  /** Open-market time inside the silence, per the calendar. */
  openMs: number;
}

export class GapDetector {
  private readonly maxGapMs: number;
  private readonly intervalMs: number;
  private readonly calendar: MarketCalendar;
  private lastMs = Number.NaN;
  private readonly tally = { weekend: 0, gap: 0 };

  constructor(options: GapDetectorOptions) {
    if (!(options.maxGapMs >= 0)) throw new RangeError(`maxGapMs must be ≥ 0, got ${options.maxGapMs}`);
    this.maxGapMs = options.maxGapMs;
    this.intervalMs = options.intervalMs ?? 0;
    this.calendar = options.calendar ?? ALWAYS_OPEN;
  }

  /**
   * Feed the next observation time; returns the gap it ends, if any. A time not after the
   * previous one ends no gap (ordering is the validator's job) and does not move the mark.
   */
  observe(timeMs: number): Gap | null {
    const previous = this.lastMs;
    if (!Number.isNaN(previous) && timeMs <= previous) return null;
    this.lastMs = timeMs;
    if (Number.isNaN(previous)) return null;
    const fromMs = previous + this.intervalMs;
    const silentMs = timeMs - fromMs;
    if (silentMs <= this.maxGapMs) return null;
    const openMs = this.calendar.openMsBetween(fromMs, timeMs);
    const kind = openMs <= this.maxGapMs ? 'weekend' : 'gap';
    this.tally[kind]++;
    return { kind, fromMs, toMs: timeMs, silentMs, openMs };
  }

  counts(): { weekend: number; gap: number } {
    return { ...this.tally };
  }
}

/** All gaps in an ascending series of observation times. */
export function findGaps(times: Iterable<number>, options: GapDetectorOptions): Gap[] {
  const detector = new GapDetector(options);
  const gaps: Gap[] = [];
  for (const t of times) {
    const gap = detector.observe(t);
    if (gap) gaps.push(gap);
  }
  return gaps;
}
