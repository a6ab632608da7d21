import type { EventOf, Logger } from '../../../core';
import type { Tick } from '../../market/types';
import { ALWAYS_OPEN, crossCheck, StaleFeedMonitor, type CrossCheckResult, type MarketCalendar, type QuoteSample } from '../../quality';
import type { Clock, TimerHandle } from './clock';
import type { TickSink } from './types';

export type FeedStatusEvent = EventOf<'feed.status'>;

export interface RouterCrossCheckOptions {
  /** Point size of the symbol (EURUSD 0.00001). */
  point: number;
  /** How often to compare the primary with each flowing backup. Default 10 000 ms. */
  everyMs?: number;
  /** Recent quotes kept per source for the comparison. Default 200. */
  samples?: number;
  maxDivergencePoints?: number;
  /** Default 0.1 %. */
  maxDivergencePct?: number;
  /** Quotes are aligned by arrival time; pairs further apart are skipped. Default 1000 ms. */
  maxSkewMs?: number;
  minPairs?: number;
}

export interface FailoverRouterOptions {
  symbol: string;
  /**
   * Source names by priority: the first is the primary, the rest are backups in order. May be
   * empty when sources join later (`addSource`, e.g. MT5 terminals as they connect): the
   * symbol is then `down` until one delivers.
   */
  sources: readonly string[];
  clock: Clock;
  /** Open-market silence after which a source is down and the active one is replaced. Default 5000. */
  silenceMs?: number;
  /** How long a source that came back must deliver without a gap before it is trusted (and the primary switched back to). Default 10 000. */
  recoveryMs?: number;
  /** How often silence is checked; failover happens at most this long after the threshold. Default 250. */
  checkEveryMs?: number;
  /** Market hours of the symbol: silence while closed is not an outage. Default: always open. */
  calendar?: MarketCalendar;
  /** Receives the active source's ticks. */
  onTick: TickSink;
  /** Receives feed.status events, in order. */
  onStatus?: (event: FeedStatusEvent) => void;
  crossCheck?: RouterCrossCheckOptions;
  logger?: Logger;
}

/** `ok`: the primary is active; `failover`: a backup is; `down`: no source is delivering. */
export type RouterState = 'ok' | 'failover' | 'down';

export interface SourceHealth {
  name: string;
  /** 0 is the primary. */
  priority: number;
  status: 'up' | 'down';
  active: boolean;
  ticks: number;
  /** Clock ms since this source's last tick for the symbol; null before the first. */
  lastTickAgeMs: number | null;
  /** Span of its current run of ticks, first to last, with no gap past the silence threshold; null while silent. */
  flowingForMs: number | null;
  failed?: string;
}

export interface DivergenceHealth {
  checks: number;
  diverged: number;
  last?: CrossCheckResult & { primary: string; backup: string; atMs: number };
}

export interface SymbolFeedHealth {
  symbol: string;
  state: RouterState;
  marketOpen: boolean;
  active: string | null;
  /** Null while the router has no source at all. */
  primary: string | null;
  switches: number;
  forwarded: number;
  sources: SourceHealth[];
  divergence?: DivergenceHealth;
}

interface SourceState {
  name: string;
  priority: number;
  ticks: number;
  lastTickAt: number | undefined;
  flowingSince: number | undefined;
  /** Status as last reported; sources start presumed up. */
  up: boolean;
  failed: string | undefined;
  samples: QuoteRing | undefined;
}

const REASON_MAX = 200;
const CLOSED_CHECK_MS = 60_000;

/**
 * Chooses, for one symbol, which of several sources the engine listens to. Ticks of the
 * active source are forwarded, the others only watched. A check every `checkEveryMs`:
 * - the active source silent past `silenceMs` of open market (a weekend is not an outage) →
 *   `down` for it, and the highest-priority source that delivered within `silenceMs` takes
 *   over (`up` for it, reason `took over from …`);
 * - a higher-priority source that has delivered without a gap for `recoveryMs` → switch back
 *   to it; a source that keeps dropping out restarts that count and never takes over;
 * - any other source going silent or recovering → `down` / `up` for it (a backup lost or regained).
 * With no source delivering, the first one to tick becomes active at once.
 *
 * Silence is measured in clock time of arrival, not the ticks' own timestamps: a replay
 * stamps ticks in the past, and a broker's clock may be off.
 */
export class FailoverRouter {
  readonly symbol: string;
  private readonly clock: Clock;
  private readonly silenceMs: number;
  private readonly recoveryMs: number;
  private readonly checkEveryMs: number;
  private readonly calendar: MarketCalendar;
  private readonly sources: SourceState[];
  private readonly byName = new Map<string, SourceState>();
  private readonly monitor: StaleFeedMonitor;
  private active: SourceState | null;
  private switches = 0;
  private forwarded = 0;
  private timer: TimerHandle | undefined;
  private running = false;
  private divergence: DivergenceHealth | undefined;
  /** Whether any source was ever active: the first activation is not a recovery from an outage. */
  private everActive: boolean;
  private lastCrossCheckAt = Number.NEGATIVE_INFINITY;
  /** Backups currently diverging from the primary, so a lasting divergence is logged once. */
  private readonly diverging = new Set<string>();

  constructor(private readonly options: FailoverRouterOptions) {
    if (new Set(options.sources).size !== options.sources.length) throw new RangeError(`router for ${options.symbol}: a source is listed twice`);
    this.symbol = options.symbol;
    this.clock = options.clock;
    this.silenceMs = options.silenceMs ?? 5000;
    this.recoveryMs = options.recoveryMs ?? 10_000;
    this.checkEveryMs = options.checkEveryMs ?? 250;
    for (const [what, value] of [['silenceMs', this.silenceMs], ['recoveryMs', this.recoveryMs], ['checkEveryMs', this.checkEveryMs]] as const) {
      if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`router for ${options.symbol}: ${what} must be a finite number > 0, got ${value}`);
    }
    this.calendar = options.calendar ?? ALWAYS_OPEN;
    const calendar = this.calendar;
    this.monitor = new StaleFeedMonitor({ thresholdMs: this.silenceMs, calendarFor: () => calendar });
    if (options.crossCheck) QuoteRing.checkCapacity(options.crossCheck.samples ?? 200);
    this.sources = options.sources.map((name, priority) => this.newSource(name, priority));
    for (const s of this.sources) this.byName.set(s.name, s);
    this.active = this.sources[0] ?? null;
    this.everActive = this.active !== null;
    if (options.crossCheck) this.divergence = { checks: 0, diverged: 0 };
  }

  /**
   * Starts the periodic check. Every source gets `silenceMs` from now to deliver before it
   * counts as silent.
   */
  start(): void {
    if (this.running) return;
    this.running = true;
    const now = this.clock.now();
    for (const s of this.sources) this.monitor.observe(this.symbol, s.name, now);
    this.lastCrossCheckAt = now;
    this.schedule();
  }

  /**
   * Adds a source at runtime at `position` in the priority order (default: last). It starts
   * presumed up, with `silenceMs` from now to deliver. Ranked ahead of the active source, it
   * takes over only once it has delivered for `recoveryMs`, like a primary coming back
   * (unless the active one is itself only presumed, not having ticked yet: then the new
   * primary is presumed instead); with nothing delivering, its first tick makes it active at once.
   */
  addSource(name: string, position = this.sources.length): void {
    if (this.byName.has(name)) throw new RangeError(`router for ${this.symbol}: source ${name} is already routed`);
    if (!Number.isInteger(position) || position < 0 || position > this.sources.length) {
      throw new RangeError(`router for ${this.symbol}: position must be a whole number from 0 to ${this.sources.length}, got ${position}`);
    }
    const s = this.newSource(name, position);
    this.sources.splice(position, 0, s);
    this.sources.forEach((source, priority) => (source.priority = priority));
    this.byName.set(name, s);
    if (position === 0 && this.active?.ticks === 0) this.active = s;
    if (this.running) this.monitor.observe(this.symbol, name, this.clock.now());
  }

  /** Source names by priority, primary first. */
  sourceNames(): string[] {
    return this.sources.map((s) => s.name);
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** A tick from `source`; forwarded when that source is the active one. Returns whether it was. */
  receive(source: string, tick: Tick): boolean {
    const s = this.byName.get(source);
    if (!s) return false;
    const now = this.clock.now();
    // A gap longer than the silence threshold restarts the count towards recovery.
    if (s.lastTickAt === undefined || this.calendar.openMsBetween(s.lastTickAt, now) > this.silenceMs) s.flowingSince = now;
    s.lastTickAt = now;
    s.ticks++;
    s.failed = undefined;
    this.monitor.observe(this.symbol, s.name, now);
    s.samples?.push({ timeMs: now, bid: tick.bid, ask: tick.ask });
    if (this.active === null && this.running) {
      // Nothing was delivering: anything is better than nothing, at once.
      s.up = true;
      this.activate(s, now, this.everActive ? 'ticks resumed after an outage of every source' : 'first source delivering');
    }
    if (s !== this.active) return false;
    this.forwarded++;
    this.options.onTick(tick);
    return true;
  }

  /** A source that cannot run (failed to start): down now, without waiting for silence. */
  markFailed(source: string, reason: string): void {
    const s = this.byName.get(source);
    if (!s) return;
    s.failed = reason;
    s.flowingSince = undefined;
    this.evaluate(this.clock.now());
  }

  /** Runs one check now (the timer calls this every `checkEveryMs`). */
  check(): void {
    this.evaluate(this.clock.now());
  }

  health(): SymbolFeedHealth {
    const now = this.clock.now();
    return {
      symbol: this.symbol,
      state: this.state(),
      marketOpen: this.calendar.isOpen(now),
      active: this.active?.name ?? null,
      primary: this.sources[0]?.name ?? null,
      switches: this.switches,
      forwarded: this.forwarded,
      sources: this.sources.map((s) => ({
        name: s.name,
        priority: s.priority,
        status: s.up ? 'up' : 'down',
        active: s === this.active,
        ticks: s.ticks,
        lastTickAgeMs: s.lastTickAt === undefined ? null : now - s.lastTickAt,
        flowingForMs: s.flowingSince === undefined ? null : flowingFor(s),
        ...(s.failed === undefined ? {} : { failed: s.failed }),
      })),
      ...(this.divergence ? { divergence: { ...this.divergence } } : {}),
    };
  }

  state(): RouterState {
    if (this.active === null) return 'down';
    return this.active.priority === 0 ? 'ok' : 'failover';
  }

  private newSource(name: string, priority: number): SourceState {
    return {
      name,
      priority,
      ticks: 0,
      lastTickAt: undefined,
      flowingSince: undefined,
      up: true,
      failed: undefined,
      samples: this.options.crossCheck ? new QuoteRing(this.options.crossCheck.samples ?? 200) : undefined,
    };
  }

  private schedule(): void {
    const now = this.clock.now();
    let delay = this.checkEveryMs;
    if (!this.calendar.isOpen(now)) {
      // Closed market: no silence accrues, so nothing can go stale before the open; a slower
      // check (still catching a returning source) and one exactly at the open will do.
      delay = Math.max(this.checkEveryMs, Math.min(CLOSED_CHECK_MS, this.calendar.nextChangeMs(now) - now));
    }
    this.timer = this.clock.setTimeout(() => {
      if (!this.running) return;
      this.evaluate(this.clock.now());
      this.schedule();
    }, delay);
  }

  private silent(s: SourceState, staleNames: ReadonlySet<string>): boolean {
    return s.failed !== undefined || staleNames.has(s.name);
  }

  /** Delivered recently (not just presumed up from the start). */
  private healthy(s: SourceState, staleNames: ReadonlySet<string>): boolean {
    return s.lastTickAt !== undefined && !this.silent(s, staleNames);
  }

  /** Delivered over at least `recoveryMs` without a gap past the silence threshold. */
  private recovered(s: SourceState, staleNames: ReadonlySet<string>): boolean {
    return this.healthy(s, staleNames) && flowingFor(s) >= this.recoveryMs;
  }

  private evaluate(now: number): void {
    const stale = new Map(this.monitor.stale(now).filter((e) => e.symbol === this.symbol).map((e) => [e.source, e]));
    const staleNames = new Set(stale.keys());
    const silence = (s: SourceState) => {
      if (s.failed !== undefined) return `failed: ${s.failed}`;
      const e = stale.get(s.name);
      return e ? `silent for ${seconds(e.openSilentMs)} of open market (threshold ${seconds(this.silenceMs)})` : 'silent';
    };
    for (const s of this.sources) if (this.silent(s, staleNames)) s.flowingSince = undefined;

    const active = this.active;
    if (active && this.silent(active, staleNames)) {
      const next = this.sources.find((s) => s !== active && this.healthy(s, staleNames)) ?? null;
      if (active.up) {
        active.up = false;
        this.emitStatus(active, 'down', now, `${silence(active)}; ${next ? `switching to ${next.name}` : 'no other source is delivering'}`);
      }
      if (next) {
        next.up = true;
        this.activate(next, now, `took over from ${active.name} (${silence(active)})`);
      } else {
        this.active = null;
        this.options.logger?.error({ symbol: this.symbol, source: active.name }, 'no market data source is delivering');
      }
    } else if (active === null) {
      const next = this.sources.find((s) => this.healthy(s, staleNames));
      if (next) {
        next.up = true;
        this.activate(next, now, this.everActive ? 'delivering again after an outage of every source' : 'first source delivering');
      }
    } else {
      const better = this.sources.find((s) => s.priority < active.priority && this.recovered(s, staleNames));
      if (better) {
        better.up = true;
        this.activate(better, now, `recovered: delivering for ${seconds(flowingFor(better))}; switching back from ${active.name}`);
      }
    }

    // Sources that are not (or no longer) the active one: report losing or regaining them.
    for (const s of this.sources) {
      if (s === this.active) continue;
      if (s.up && this.silent(s, staleNames)) {
        s.up = false;
        this.emitStatus(s, 'down', now, `${silence(s)}; standby`);
      } else if (!s.up && this.recovered(s, staleNames)) {
        s.up = true;
        this.emitStatus(s, 'up', now, `recovered: delivering for ${seconds(flowingFor(s))}; standby`);
      }
    }

    if (this.options.crossCheck && now - this.lastCrossCheckAt >= (this.options.crossCheck.everyMs ?? 10_000)) {
      this.lastCrossCheckAt = now;
      this.crossCheckSources(now, staleNames);
    }
  }

  private activate(s: SourceState, now: number, reason: string): void {
    const previous = this.active;
    this.active = s;
    this.everActive = true;
    if (previous !== null) this.switches++;
    this.emitStatus(s, 'up', now, `active: ${reason}`);
  }

  private emitStatus(s: SourceState, status: 'up' | 'down', now: number, reason: string): void {
    const event: FeedStatusEvent = {
      type: 'feed.status',
      symbol: this.symbol,
      source: s.name,
      status,
      atMs: Math.max(0, Math.floor(now)),
      reason: reason.length > REASON_MAX ? `${reason.slice(0, REASON_MAX - 1)}…` : reason,
    };
    this.options.logger?.[status === 'down' ? 'warn' : 'info']({ symbol: this.symbol, source: s.name, reason: event.reason }, `market data source ${status}`);
    try {
      this.options.onStatus?.(event);
    } catch (error) {
      this.options.logger?.error({ err: error, symbol: this.symbol, source: s.name }, 'feed status listener failed');
    }
  }

  private crossCheckSources(now: number, staleNames: ReadonlySet<string>): void {
    const options = this.options.crossCheck!;
    const divergence = this.divergence!;
    const primary = this.sources[0];
    if (!primary || !this.healthy(primary, staleNames)) return;
    for (const backup of this.sources.slice(1)) {
      if (!this.healthy(backup, staleNames)) continue;
      const result = crossCheck(primary.samples!.toArray(), backup.samples!.toArray(), {
        point: options.point,
        ...(options.maxDivergencePoints === undefined ? {} : { maxDivergencePoints: options.maxDivergencePoints }),
        ...(options.maxDivergencePct === undefined ? {} : { maxDivergencePct: options.maxDivergencePct }),
        ...(options.maxSkewMs === undefined ? {} : { maxSkewMs: options.maxSkewMs }),
        ...(options.minPairs === undefined ? {} : { minPairs: options.minPairs }),
      });
      if (result.verdict === 'insufficient_data') continue;
      divergence.checks++;
      if (result.verdict === 'diverged') {
        divergence.diverged++;
        if (!this.diverging.has(backup.name)) {
          this.diverging.add(backup.name);
          this.options.logger?.warn({ symbol: this.symbol, primary: primary.name, backup: backup.name, ...result }, 'market data sources disagree');
        }
      } else {
        this.diverging.delete(backup.name);
      }
      divergence.last = { ...result, primary: primary.name, backup: backup.name, atMs: now };
    }
  }
}

/**
 * The span the current run of ticks covers, first to last. Not "until now": a source that
 * delivered for 8 s and then stopped has not earned trust by the time 10 s have passed.
 */
function flowingFor(s: SourceState): number {
  return s.flowingSince === undefined || s.lastTickAt === undefined ? 0 : s.lastTickAt - s.flowingSince;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The last `capacity` quotes, oldest first on read. */
class QuoteRing {
  private readonly items: QuoteSample[] = [];
  private head = 0;

  constructor(private readonly capacity: number) {
    QuoteRing.checkCapacity(capacity);
  }

  static checkCapacity(capacity: number): void {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`crossCheck.samples must be a whole number ≥ 1, got ${capacity}`);
  }

  push(sample: QuoteSample): void {
    if (this.items.length < this.capacity) this.items.push(sample);
    else {
      this.items[this.head] = sample;
      this.head = (this.head + 1) % this.capacity;
    }
  }

  toArray(): QuoteSample[] {
    return [...this.items.slice(this.head), ...this.items.slice(0, this.head)];
  }
}
