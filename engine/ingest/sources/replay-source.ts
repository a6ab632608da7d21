import { setImmediate as nextTurn } from 'node:timers/promises';
import { describeError, InvalidInputError, type Logger } from '../../../core';
import type { ClickHouseClient } from '../../../db';
import type { Tick } from '../../market/types';
import { inferFromFileName } from '../mt5';
import { clickHouseTicks } from './clickhouse-ticks';
import { systemClock, wait, type Clock } from './clock';
import { fileTicks, type TickFileFormat } from './file-ticks';
import type { SourceStats, TickSink, TickSource } from './types';

/** A stored quote: a tick without its symbol and source, which the replay sets. */
export type ReplayQuote = Pick<Tick, 'timeMs' | 'bid' | 'ask' | 'last' | 'volume' | 'flags'>;

/** ×N of market time per clock time, or `'max'`: as fast as the consumer takes them. */
export type ReplaySpeed = number | 'max';

export interface ReplaySourceOptions {
  symbol: string;
  /** Opens the quotes to play, oldest first; called on every `start`. */
  open: () => AsyncIterable<ReplayQuote>;
  speed: ReplaySpeed;
  /** Default 'replay'. */
  name?: string;
  clock?: Clock;
  logger?: Logger;
  /**
   * `'max'` only: awaited every `yieldEvery` ticks, so a consumer with its own buffer (the
   * store writer) can hold the replay back until it has caught up. Default: one event-loop
   * turn, which lets timers and I/O run between batches.
   */
  drain?: () => Promise<void>;
  /** Default 1000. */
  yieldEvery?: number;
}

interface CommonOptions {
  speed: ReplaySpeed;
  name?: string;
  clock?: Clock;
  logger?: Logger;
  drain?: () => Promise<void>;
  yieldEvery?: number;
}

export interface ReplayFileSourceOptions extends CommonOptions {
  path: string;
  /** Broker server time minus UTC, in minutes (MT5 files carry server time). */
  tzOffsetMinutes: number;
  /** Default: from the file name (`EURUSD_202403010900_202403011200.csv`). */
  symbol?: string;
  format?: TickFileFormat;
}

export interface ReplayClickHouseSourceOptions extends CommonOptions {
  client: ClickHouseClient;
  symbol: string;
  /** Inclusive, UTC epoch ms. */
  fromMs?: number;
  /** Exclusive, UTC epoch ms. */
  toMs?: number;
  /** Rows per query (default 10 000). */
  pageSize?: number;
}

export interface ReplayResult {
  state: 'ended' | 'stopped' | 'failed';
  emitted: number;
  error?: unknown;
}

/**
 * Plays stored ticks of one symbol. At ×N the first tick goes out at `start` and every later
 * one when the clock has moved (its time − the first tick's time) / N; at `'max'` ticks go
 * out back to back, pulled one at a time from a streaming reader so that memory stays at a
 * page (or a line) whatever the range. Ticks keep their recorded times.
 *
 * `start` resolves once the first tick has been read, so a file in the wrong format or an
 * unreachable database fails the start; `finished()` resolves when the replay has played
 * out, was stopped or failed (never rejects: a failure is in the result, and logged).
 */
export class ReplaySource implements TickSource {
  readonly name: string;
  readonly kind = 'replay' as const;
  private readonly clock: Clock;
  private readonly yieldEvery: number;
  private emitted = 0;
  private state: SourceStats['state'] = 'idle';
  private detail: string | undefined;
  private lastTickTimeMs: number | undefined;
  private stopping = false;
  private cancelWait: (() => void) | undefined;
  private loop: Promise<ReplayResult> | undefined;
  /** Extra counters an input reports (rejected file lines). */
  protected readonly counters: Record<string, unknown> = {};

  /** Replays an MT5 tick export or EA tick capture; bar files are refused on start. */
  static fromFile(options: ReplayFileSourceOptions): ReplaySource {
    const symbol = options.symbol ?? inferFromFileName(options.path).symbol;
    if (!symbol) {
      throw new InvalidInputError('replay_symbol_unknown', `cannot tell the symbol of ${options.path} from its name; pass the symbol`, { path: options.path });
    }
    const rejected: Record<string, number> = {};
    const source = new ReplaySource({
      ...options,
      symbol,
      open: () => fileTicks(options.path, { tzOffsetMinutes: options.tzOffsetMinutes, ...(options.format ? { format: options.format } : {}) }, (record) => {
        rejected[record.reason] = (rejected[record.reason] ?? 0) + 1;
      }),
    });
    source.counters.rejected = rejected;
    source.counters.path = options.path;
    return source;
  }

  /** Replays one symbol's ticks in [fromMs, toMs) from ClickHouse, page by page. */
  static fromClickHouse(options: ReplayClickHouseSourceOptions): ReplaySource {
    const { client, symbol, fromMs, toMs, pageSize } = options;
    if (fromMs !== undefined && toMs !== undefined && !(toMs > fromMs)) {
      throw new InvalidInputError('replay_range_invalid', `the replay range is empty: toMs (${toMs}) must be after fromMs (${fromMs})`);
    }
    return new ReplaySource({
      ...options,
      open: () => clickHouseTicks(client, { symbol, ...(fromMs === undefined ? {} : { fromMs }), ...(toMs === undefined ? {} : { toMs }), ...(pageSize === undefined ? {} : { pageSize }) }),
    });
  }

  constructor(private readonly options: ReplaySourceOptions) {
    const { speed } = options;
    if (speed !== 'max' && (!(speed > 0) || !Number.isFinite(speed))) {
      throw new InvalidInputError('replay_speed_invalid', `speed must be a number > 0 or 'max', got ${String(speed)}`);
    }
    this.yieldEvery = options.yieldEvery ?? 1000;
    if (!Number.isInteger(this.yieldEvery) || this.yieldEvery < 1) throw new RangeError(`yieldEvery must be a whole number ≥ 1, got ${this.yieldEvery}`);
    this.name = options.name ?? 'replay';
    this.clock = options.clock ?? systemClock;
  }

  symbols(): string[] {
    return [this.options.symbol];
  }

  async start(emit: TickSink): Promise<void> {
    if (this.state === 'running') throw new Error(`source ${this.name} is already running`);
    this.stopping = false;
    this.emitted = 0;
    this.detail = undefined;
    const iterator = this.options.open()[Symbol.asyncIterator]();
    let first: IteratorResult<ReplayQuote>;
    try {
      first = await iterator.next();
    } catch (error) {
      this.state = 'failed';
      this.detail = describeError(error);
      await iterator.return?.().catch(() => undefined);
      throw error;
    }
    this.state = 'running';
    this.loop = this.run(iterator, first, emit);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.cancelWait?.();
    await this.loop;
  }

  /** The outcome of the current (or last) run; resolves at once when never started. */
  finished(): Promise<ReplayResult> {
    return this.loop ?? Promise.resolve({ state: 'stopped', emitted: 0 });
  }

  stats(): SourceStats {
    return {
      state: this.state,
      emitted: this.emitted,
      speed: this.options.speed,
      ...(this.detail === undefined ? {} : { detail: this.detail }),
      ...(this.lastTickTimeMs === undefined ? {} : { lastTickTimeMs: this.lastTickTimeMs }),
      ...this.counters,
    };
  }

  private async run(iterator: AsyncIterator<ReplayQuote>, first: IteratorResult<ReplayQuote>, emit: TickSink): Promise<ReplayResult> {
    const { symbol, speed } = this.options;
    const anchorClockMs = this.clock.now();
    const anchorMarketMs = first.done ? 0 : first.value.timeMs;
    let next = first;
    let sinceYield = 0;
    let result: ReplayResult;
    try {
      while (!next.done && !this.stopping) {
        const quote = next.value;
        if (speed !== 'max') {
          const delay = anchorClockMs + (quote.timeMs - anchorMarketMs) / speed - this.clock.now();
          if (delay > 0) {
            const pause = wait(this.clock, delay);
            this.cancelWait = pause.cancel;
            const elapsed = await pause.done;
            this.cancelWait = undefined;
            if (!elapsed) break;
          }
        } else if (++sinceYield >= this.yieldEvery) {
          sinceYield = 0;
          await (this.options.drain ? this.options.drain() : nextTurn());
          if (this.stopping) break;
        }
        emit({ symbol, timeMs: quote.timeMs, bid: quote.bid, ask: quote.ask, last: quote.last, volume: quote.volume, flags: quote.flags, source: this.name });
        this.emitted++;
        this.lastTickTimeMs = quote.timeMs;
        if (this.stopping) break;
        next = await iterator.next();
      }
      result = { state: this.stopping ? 'stopped' : 'ended', emitted: this.emitted };
      this.options.logger?.info({ source: this.name, symbol, emitted: this.emitted, state: result.state }, 'replay finished');
    } catch (error) {
      result = { state: 'failed', emitted: this.emitted, error };
      this.detail = describeError(error);
      this.options.logger?.error({ err: error, source: this.name, symbol, emitted: this.emitted }, 'replay failed');
    } finally {
      await iterator.return?.()?.catch(() => undefined);
    }
    this.state = result.state;
    return result;
  }
}
