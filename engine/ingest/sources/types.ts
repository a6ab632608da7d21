import type { Tick } from '../../market/types';

/** Where a source's ticks come from. Open-ended: the MT5 bridge and future feeds add theirs. */
export type SourceKind = 'mt5' | 'replay' | 'sandbox' | 'push' | (string & {});

/** Receives ticks one at a time, synchronously, in the order the source produced them. */
export type TickSink = (tick: Tick) => void;

/**
 * A market data source. Push-based so that a socket (the MT5 bridge) fits as well as a
 * timer-driven feed: `start` returns once the source is running (not when it has finished)
 * and from then on calls `emit` for every tick until `stop`.
 *
 * Every tick a source emits carries the source's `name` in `tick.source`, so routing,
 * metrics and stored rows all say which source the engine actually used.
 */
export interface TickSource {
  /** Unique among the sources of one engine; routes and health name sources by it. */
  readonly name: string;
  readonly kind: SourceKind;
  /** Symbols this source can deliver (known before `start`). */
  symbols(): string[];
  /** Starts delivering; rejects when the source cannot run at all (bad file, port in use). */
  start(emit: TickSink): Promise<void>;
  /** Stops delivering; no `emit` after it resolves. Safe to call twice or before `start`. */
  stop(): Promise<void>;
  /** Optional self-report for health views. */
  stats?(): SourceStats;
}

export type SourceState = 'idle' | 'running' | 'ended' | 'stopped' | 'failed';

export interface SourceStats {
  state: SourceState;
  /** Ticks emitted since start. */
  emitted: number;
  /** Why the source failed or ended early, secret-free. */
  detail?: string;
  [key: string]: unknown;
}
