import type { Tick } from '../../market/types';
import { createPushSource, type PushSource } from './push-source';
import type { AddSourceOptions } from './source-manager';
import type { TickSource } from './types';

/** One entry of `MT5_FEED_PRIORITY`: every terminal on a broker server, or one account on it. */
export interface FeedPriorityEntry {
  server: string;
  account?: string;
}

/** What tells terminals apart. A bridge session carries all of it. */
export interface TerminalIdentity {
  server: string;
  account: string;
  /** `Tick.source` of the terminal's ticks: the same for every connection of the terminal. */
  source: string;
}

/**
 * Where a terminal ranks under `priority`: the index of the first entry naming its server
 * (case-insensitive, as traders type them) and, if the entry has one, its account; terminals
 * no entry names rank after all listed ones (`priority.length`).
 */
export function terminalRank(priority: readonly FeedPriorityEntry[], terminal: Pick<TerminalIdentity, 'server' | 'account'>): number {
  const server = terminal.server.toLowerCase();
  const index = priority.findIndex((entry) => entry.server.toLowerCase() === server && (entry.account === undefined || entry.account === terminal.account));
  return index === -1 ? priority.length : index;
}

export interface TerminalSourcesOptions {
  /** Where each terminal's source is registered when it first connects (a SourceManager). */
  manager: { addSource(source: TickSource, options?: AddSourceOptions): Promise<void> };
  /** Symbols every terminal may deliver (`MT5_SYMBOLS`); other symbols' ticks are dropped and counted. */
  symbols: readonly string[];
  /** `MT5_FEED_PRIORITY`: the preferred terminals first. Default: none listed. */
  priority?: readonly FeedPriorityEntry[];
}

/**
 * One market data source per MT5 terminal, so that the failover routers can switch from one
 * terminal to another. A terminal's source is created and registered with the manager when it
 * first connects, ranked by `priority`; unlisted terminals rank after the listed ones in the
 * order they first connected (equal ranks keep their order of arrival). A terminal that
 * disconnects is just a silent source; when it reconnects its ticks go to the same source,
 * which takes over again once it has delivered for the router's recovery time.
 */
export class TerminalSources {
  private readonly bySource = new Map<string, PushSource>();

  constructor(private readonly options: TerminalSourcesOptions) {}

  /** The terminal's source, registered on first sight. */
  sourceFor(terminal: TerminalIdentity): PushSource {
    let source = this.bySource.get(terminal.source);
    if (source) return source;
    source = createPushSource({ name: terminal.source, kind: 'mt5', symbols: this.options.symbols });
    this.bySource.set(terminal.source, source);
    // Start failures are reported by the manager itself (down for the source's symbols).
    void this.options.manager.addSource(source, { rank: terminalRank(this.options.priority ?? [], terminal) });
    return source;
  }

  /** One tick from a terminal. */
  push(tick: Tick, terminal: TerminalIdentity): void {
    this.sourceFor(terminal).push(tick);
  }

  /** Source names of the terminals seen so far, in order of first connection. */
  names(): string[] {
    return [...this.bySource.keys()];
  }
}
