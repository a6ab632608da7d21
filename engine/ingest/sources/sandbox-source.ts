import { createSandboxFeed, SANDBOX_SYMBOLS, type SandboxFeed, type SandboxSymbol, type SandboxSymbolSpec } from '../sandbox';
import { systemClock, type Clock, type TimerHandle } from './clock';
import type { SourceStats, TickSink, TickSource } from './types';

export interface SandboxSourceOptions {
  seed: number;
  /** Preset names or full specs (default: every preset). */
  symbols?: readonly (SandboxSymbol | SandboxSymbolSpec)[];
  /** Market time at start, UTC epoch ms (default: the clock's time at `start`). */
  startMs?: number;
  /** Market ms per clock ms: 1 is real time, 60 plays a market minute per second. Default 1. */
  speed?: number;
  clock?: Clock;
  /** Default 'sandbox'. */
  name?: string;
  /**
   * Most ticks emitted in one timer turn before yielding to the event loop; only reached at
   * high speeds, where one turn can cover many market seconds. Default 5000.
   */
  maxBatch?: number;
}

/**
 * The seeded sandbox feed played against a clock: each tick is emitted when its market time
 * comes, where market time = startMs + elapsed clock time × speed. The feed itself is pure;
 * this is the scheduler around it.
 */
export class SandboxSource implements TickSource {
  readonly name: string;
  readonly kind = 'sandbox' as const;
  private readonly clock: Clock;
  private readonly speed: number;
  private readonly maxBatch: number;
  private readonly names: string[];
  private feed: SandboxFeed | undefined;
  private emit: TickSink | undefined;
  private timer: TimerHandle | undefined;
  private wallStartMs = 0;
  private marketStartMs = 0;
  private emitted = 0;
  private state: SourceStats['state'] = 'idle';

  constructor(private readonly options: SandboxSourceOptions) {
    if (!Number.isFinite(options.seed)) throw new RangeError(`seed must be a finite number, got ${options.seed}`);
    this.speed = options.speed ?? 1;
    if (!(this.speed > 0) || !Number.isFinite(this.speed)) throw new RangeError(`speed must be a finite number > 0, got ${this.speed}`);
    this.maxBatch = options.maxBatch ?? 5000;
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1) throw new RangeError(`maxBatch must be a whole number ≥ 1, got ${this.maxBatch}`);
    this.clock = options.clock ?? systemClock;
    this.name = options.name ?? 'sandbox';
    this.names = (options.symbols ?? (Object.keys(SANDBOX_SYMBOLS) as SandboxSymbol[])).map((s) => (typeof s === 'string' ? s : s.symbol));
  }

  symbols(): string[] {
    return [...this.names];
  }

  /** The market time the feed has reached (start time before `start`). */
  marketNow(): number {
    if (!this.feed) return this.options.startMs ?? this.clock.now();
    return this.marketStartMs + (this.clock.now() - this.wallStartMs) * this.speed;
  }

  async start(emit: TickSink): Promise<void> {
    if (this.state === 'running') throw new Error(`source ${this.name} is already running`);
    this.wallStartMs = this.clock.now();
    this.marketStartMs = this.options.startMs ?? this.wallStartMs;
    this.feed = createSandboxFeed({
      seed: this.options.seed,
      startMs: this.marketStartMs,
      speed: this.speed,
      source: this.name,
      ...(this.options.symbols ? { symbols: this.options.symbols } : {}),
    });
    this.emit = emit;
    this.state = 'running';
    this.schedule();
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.emit = undefined;
    if (this.state === 'running') this.state = 'stopped';
  }

  stats(): SourceStats {
    return { state: this.state, emitted: this.emitted, speed: this.speed, marketTimeMs: Math.floor(this.marketNow()) };
  }

  /** Clock time at which a market time comes. */
  private dueAt(marketMs: number): number {
    return this.wallStartMs + (marketMs - this.marketStartMs) / this.speed;
  }

  private schedule(): void {
    const feed = this.feed!;
    this.timer = this.clock.setTimeout(() => this.pump(), this.dueAt(feed.nextTickTimeMs()) - this.clock.now());
  }

  private pump(): void {
    this.timer = undefined;
    const feed = this.feed;
    const emit = this.emit;
    if (!feed || !emit) return;
    // The tick this timer was set for goes out unconditionally: recomputing its due time
    // in floating point may land a hair after `now`, and a zero-delay retry would spin.
    let batch = 0;
    do {
      emit(feed.nextTick());
      this.emitted++;
      batch++;
      if (this.emit !== emit) return; // stopped from inside emit
    } while (batch < this.maxBatch && this.dueAt(feed.nextTickTimeMs()) <= this.clock.now());
    this.schedule();
  }
}
