import { ALWAYS_OPEN, type MarketCalendar } from './calendar';

export interface StaleFeedOptions {
  /** Open-market silence after which a (symbol, source) is stale. */
  thresholdMs: number;
  /** Per-symbol override of the threshold. */
  thresholdFor?: (symbol: string, source: string) => number | undefined;
  /** Market hours per symbol; silence while closed does not count. Default: always open. */
  calendarFor?: (symbol: string) => MarketCalendar;
}

export interface FeedKey {
  symbol: string;
  source: string;
}

export interface StaleEntry extends FeedKey {
  lastMs: number;
  /** Wall time since the last tick. */
  silentMs: number;
  /** Open-market time since the last tick; compared with the threshold. */
  openSilentMs: number;
}

interface Entry {
  symbol: string;
  source: string;
  lastMs: number;
  down: boolean;
}

/**
 * Which (symbol, source) pairs have gone quiet. Time is what the caller says it is: `observe`
 * takes the tick's time, `stale` and `poll` take `nowMs` from an injected clock.
 */
export class StaleFeedMonitor {
  private readonly feeds = new Map<string, Map<string, Entry>>();

  constructor(private readonly options: StaleFeedOptions) {
    if (!(options.thresholdMs > 0)) throw new RangeError(`thresholdMs must be > 0, got ${options.thresholdMs}`);
  }

  /** Record that `source` delivered `symbol` at `timeMs` (older times are ignored). */
  observe(symbol: string, source: string, timeMs: number): void {
    let bySource = this.feeds.get(symbol);
    if (!bySource) this.feeds.set(symbol, (bySource = new Map()));
    const entry = bySource.get(source);
    if (!entry) bySource.set(source, { symbol, source, lastMs: timeMs, down: false });
    else if (timeMs > entry.lastMs) entry.lastMs = timeMs;
  }

  /** Every (symbol, source) silent past its threshold at `nowMs`. */
  stale(nowMs: number): StaleEntry[] {
    const out: StaleEntry[] = [];
    for (const entry of this.entries()) {
      const report = this.judge(entry, nowMs);
      if (report) out.push(report);
    }
    return out;
  }

  /**
   * Status changes since the previous poll: `down` lists feeds that just went stale, `up`
   * those that were down and have delivered since. Feeds the `feed.status` bus event.
   */
  poll(nowMs: number): { down: StaleEntry[]; up: FeedKey[] } {
    const down: StaleEntry[] = [];
    const up: FeedKey[] = [];
    for (const entry of this.entries()) {
      const report = this.judge(entry, nowMs);
      if (report && !entry.down) {
        entry.down = true;
        down.push(report);
      } else if (!report && entry.down) {
        entry.down = false;
        up.push({ symbol: entry.symbol, source: entry.source });
      }
    }
    return { down, up };
  }

  lastSeen(symbol: string, source: string): number | undefined {
    return this.feeds.get(symbol)?.get(source)?.lastMs;
  }

  private *entries(): Iterable<Entry> {
    for (const bySource of this.feeds.values()) yield* bySource.values();
  }

  private judge(entry: Entry, nowMs: number): StaleEntry | null {
    const threshold = this.options.thresholdFor?.(entry.symbol, entry.source) ?? this.options.thresholdMs;
    const silentMs = nowMs - entry.lastMs;
    if (silentMs <= threshold) return null;
    const calendar = this.options.calendarFor?.(entry.symbol) ?? ALWAYS_OPEN;
    const openSilentMs = calendar.openMsBetween(entry.lastMs, nowMs);
    if (openSilentMs <= threshold) return null;
    return { symbol: entry.symbol, source: entry.source, lastMs: entry.lastMs, silentMs, openSilentMs };
  }
}
