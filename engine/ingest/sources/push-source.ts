import type { Tick } from '../../market/types';
import type { SourceKind, SourceStats, TickSink, TickSource } from './types';

export interface PushSourceOptions {
  name: string;
  kind?: SourceKind;
  symbols: readonly string[];
}

/** A source fed from outside: whatever owns the connection calls `push` per tick. */
export interface PushSource extends TickSource {
  /** Delivers one tick (its `source` is set to this source's name); dropped and counted while not running. */
  push(tick: Tick): void;
}

/**
 * The adapter for sources that own their own I/O (the MT5 bridge's TCP server, a test):
 * they push, the router listens. Ticks for symbols the source did not declare are dropped
 * and counted, since no router would take them.
 */
export function createPushSource(options: PushSourceOptions): PushSource {
  const symbols = [...new Set(options.symbols)];
  const known = new Set(symbols);
  let sink: TickSink | undefined;
  let state: SourceStats['state'] = 'idle';
  let emitted = 0;
  let droppedNotRunning = 0;
  let droppedUnknownSymbol = 0;
  return {
    name: options.name,
    kind: options.kind ?? 'push',
    symbols: () => [...symbols],
    async start(emit) {
      sink = emit;
      state = 'running';
    },
    async stop() {
      sink = undefined;
      if (state === 'running') state = 'stopped';
    },
    push(tick) {
      if (!sink) {
        droppedNotRunning++;
        return;
      }
      if (!known.has(tick.symbol)) {
        droppedUnknownSymbol++;
        return;
      }
      emitted++;
      sink(tick.source === options.name ? tick : { ...tick, source: options.name });
    },
    stats: () => ({ state, emitted, droppedNotRunning, droppedUnknownSymbol }),
  };
}
