import { describeError, InvalidInputError, type ComponentHealth, type HealthStatus, type Logger } from '../../../core';
import type { Tick } from '../../market/types';
import { ALWAYS_OPEN, type MarketCalendar } from '../../quality';
import { systemClock, type Clock } from './clock';
import { FailoverRouter, type FeedStatusEvent, type RouterCrossCheckOptions, type RouterState, type SymbolFeedHealth } from './failover-router';
import type { SourceKind, SourceStats, TickSink, TickSource } from './types';

export interface SourceManagerOptions {
  /**
   * The sources, in default priority order: for a symbol several of them deliver, the first
   * listed is the primary and the others are backups in order.
   */
  sources: readonly TickSource[];
  /**
   * Symbols to route even before any source delivers them: sources that join at runtime
   * (`addSource`) find their routers there, and until one delivers the symbol is `down`.
   */
  symbols?: readonly string[];
  logger: Logger;
  clock?: Clock;
  /** Symbol → source names by priority, where the default order is not wanted. */
  routes?: Readonly<Record<string, readonly string[]>>;
  silenceMs?: number;
  recoveryMs?: number;
  checkEveryMs?: number;
  /** Market hours per symbol (default: always open, so any silence counts). */
  calendarFor?: (symbol: string) => MarketCalendar;
  /** Cross-check settings per symbol; none → no cross-check. */
  crossCheckFor?: (symbol: string) => RouterCrossCheckOptions | undefined;
  /** feed.status events of every symbol, in order (the role publishes them on STREAMS.feed). */
  onStatus?: (event: FeedStatusEvent) => void;
}

export interface SourceView {
  name: string;
  kind: SourceKind;
  symbols: string[];
  stats: SourceStats | null;
  /** Why `start` failed, if it did. */
  startError?: string;
}

/** Everything the bot's /status needs about market data. */
export interface FeedStatusView {
  running: boolean;
  symbols: SymbolFeedHealth[];
  sources: SourceView[];
  /** Ticks from a source for a symbol it has no route for, by `source:symbol`. */
  unrouted: Record<string, number>;
}

/** /healthz's view: the worst symbol sets the status; `symbols` says which. */
export interface FeedsHealth extends ComponentHealth {
  symbols: Record<string, { state: RouterState; active: string | null; marketOpen: boolean }>;
}

export interface AddSourceOptions {
  /**
   * Where the source ranks: lower is preferred. Sources given to the constructor rank by
   * their index; equal ranks keep the order they were added in. Default: after all others.
   */
  rank?: number;
}

/**
 * All market data sources of an engine and one FailoverRouter per symbol, merged into a
 * single tick stream: `start(emit)` hands the pipeline the active source's ticks of every
 * symbol. A source that fails to start is reported and its symbols fail over at once; the
 * start fails only when no source could start. Sources may also join while running
 * (`addSource`: an MT5 terminal that connects); one that goes away is simply silent.
 */
export class SourceManager {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly sources: TickSource[];
  private readonly ranks = new Map<string, number>();
  /** Symbols whose route was given explicitly: sources added later do not join them. */
  private readonly explicitRoutes = new Set<string>();
  private readonly routers = new Map<string, FailoverRouter>();
  private readonly startErrors = new Map<string, string>();
  private readonly unrouted = new Map<string, number>();
  private sink: TickSink | undefined;
  private running = false;
  private sinkFailures = 0;

  constructor(private readonly options: SourceManagerOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger.child({ component: 'sources' });
    this.sources = [...options.sources];
    const names = new Set<string>();
    for (const source of options.sources) {
      if (names.has(source.name)) throw new InvalidInputError('feed_source_duplicate', `two market data sources are named ${source.name}`);
      names.add(source.name);
      this.ranks.set(source.name, this.ranks.size);
    }
    const routes = new Map<string, string[]>();
    for (const symbol of options.symbols ?? []) routes.set(symbol, []);
    for (const source of options.sources) {
      for (const symbol of source.symbols()) {
        let list = routes.get(symbol);
        if (!list) routes.set(symbol, (list = []));
        if (!list.includes(source.name)) list.push(source.name);
      }
    }
    for (const [symbol, list] of Object.entries(options.routes ?? {})) {
      const unknown = list.filter((name) => !names.has(name));
      if (unknown.length > 0) {
        throw new InvalidInputError('feed_route_unknown_source', `the route for ${symbol} names unknown source(s) ${unknown.join(', ')}; known: ${[...names].join(', ')}`);
      }
      if (list.length === 0) throw new InvalidInputError('feed_route_empty', `the route for ${symbol} lists no source`);
      routes.set(symbol, [...list]);
      this.explicitRoutes.add(symbol);
    }
    for (const [symbol, list] of routes) this.routers.set(symbol, this.newRouter(symbol, list));
  }

  /**
   * Adds a source at runtime (or before `start`) to the routers of the symbols it delivers,
   * at its rank's place in each (symbols with an explicit route keep that route), and starts
   * it when the manager is running. Resolves once it has started; a source that fails to
   * start is logged and reported down for its symbols, as at `start`, and the promise still
   * resolves. A name already in use is refused.
   */
  addSource(source: TickSource, options: AddSourceOptions = {}): Promise<void> {
    if (this.ranks.has(source.name)) throw new InvalidInputError('feed_source_duplicate', `two market data sources are named ${source.name}`);
    const rank = options.rank ?? Number.POSITIVE_INFINITY;
    if (Number.isNaN(rank)) throw new RangeError(`the rank of market data source ${source.name} is not a number`);
    this.sources.push(source);
    this.ranks.set(source.name, rank);
    const joined: string[] = [];
    for (const symbol of new Set(source.symbols())) {
      if (this.explicitRoutes.has(symbol)) continue;
      let router = this.routers.get(symbol);
      if (!router) {
        router = this.newRouter(symbol, []);
        this.routers.set(symbol, router);
        if (this.running) router.start();
      }
      // After every source ranked the same or better: equal ranks keep their order of arrival.
      const position = router.sourceNames().filter((name) => (this.ranks.get(name) ?? Number.POSITIVE_INFINITY) <= rank).length;
      router.addSource(source.name, position);
      joined.push(`${symbol}#${position}`);
    }
    this.logger.info({ source: source.name, kind: source.kind, rank, routes: joined }, 'market data source added');
    if (!this.running) return Promise.resolve();
    return source.start((tick) => this.receive(source.name, tick)).then(
      () => undefined,
      (error: unknown) => this.reportStartFailure(source, error),
    );
  }

  symbols(): string[] {
    return [...this.routers.keys()];
  }

  async start(emit: TickSink): Promise<void> {
    if (this.running) throw new Error('the source manager is already running');
    this.sink = emit;
    this.running = true;
    this.startErrors.clear();
    for (const router of this.routers.values()) router.start();
    const results = await Promise.allSettled(this.sources.map((source) => source.start((tick) => this.receive(source.name, tick))));
    const failed: string[] = [];
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') return;
      const source = this.sources[i]!;
      failed.push(source.name);
      this.reportStartFailure(source, result.reason);
    });
    if (this.sources.length > 0 && failed.length === this.sources.length) {
      await this.stop();
      const first = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      throw first?.reason instanceof Error ? first.reason : new Error(`no market data source could start: ${failed.join(', ')}`);
    }
    this.logger.info({ symbols: this.symbols(), sources: this.sources.map((s) => s.name), failed }, 'market data sources started');
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const router of this.routers.values()) router.stop();
    const sources = [...this.sources];
    const results = await Promise.allSettled(sources.map((source) => source.stop()));
    results.forEach((result, i) => {
      if (result.status === 'rejected') this.logger.error({ err: result.reason, source: sources[i]!.name }, 'market data source failed to stop');
    });
    this.sink = undefined;
  }

  status(): FeedStatusView {
    return {
      running: this.running,
      symbols: [...this.routers.values()].map((r) => r.health()),
      sources: this.sources.map((s) => {
        const startError = this.startErrors.get(s.name);
        return { name: s.name, kind: s.kind, symbols: s.symbols(), stats: s.stats?.() ?? null, ...(startError === undefined ? {} : { startError }) };
      }),
      unrouted: Object.fromEntries(this.unrouted),
    };
  }

  health(): FeedsHealth {
    const symbols: FeedsHealth['symbols'] = {};
    const problems: string[] = [];
    let open = 0;
    let openDown = 0;
    for (const router of this.routers.values()) {
      const h = router.health();
      symbols[h.symbol] = { state: h.state, active: h.active, marketOpen: h.marketOpen };
      if (!h.marketOpen) continue;
      open++;
      if (h.state === 'down') {
        openDown++;
        problems.push(`${h.symbol}: no source delivering`);
      } else if (h.state === 'failover') {
        problems.push(`${h.symbol}: on backup ${h.active}`);
      }
    }
    let status: HealthStatus = problems.length === 0 ? 'ok' : 'degraded';
    if (!this.running || (open > 0 && openDown === open)) status = 'down';
    const detail = !this.running ? 'market data sources are not running' : problems.length > 0 ? problems.slice(0, 5).join('; ') + (problems.length > 5 ? `; +${problems.length - 5} more` : '') : undefined;
    return { status, ...(detail === undefined ? {} : { detail }), symbols };
  }

  private newRouter(symbol: string, sources: readonly string[]): FailoverRouter {
    const options = this.options;
    const crossCheck = options.crossCheckFor?.(symbol);
    return new FailoverRouter({
      symbol,
      sources,
      clock: this.clock,
      calendar: options.calendarFor?.(symbol) ?? ALWAYS_OPEN,
      onTick: (tick) => this.forward(tick),
      onStatus: (event) => this.onFeedStatus(event),
      logger: this.logger.child({ symbol }),
      ...(options.silenceMs === undefined ? {} : { silenceMs: options.silenceMs }),
      ...(options.recoveryMs === undefined ? {} : { recoveryMs: options.recoveryMs }),
      ...(options.checkEveryMs === undefined ? {} : { checkEveryMs: options.checkEveryMs }),
      ...(crossCheck ? { crossCheck } : {}),
    });
  }

  private reportStartFailure(source: TickSource, error: unknown): void {
    const reason = describeError(error);
    this.startErrors.set(source.name, reason);
    this.logger.error({ err: error, source: source.name }, 'market data source failed to start');
    for (const router of this.routers.values()) router.markFailed(source.name, reason);
  }

  private receive(source: string, tick: Tick): void {
    const router = this.routers.get(tick.symbol);
    if (router) {
      router.receive(source, tick);
      return;
    }
    const key = `${source}:${tick.symbol}`;
    const n = (this.unrouted.get(key) ?? 0) + 1;
    this.unrouted.set(key, n);
    if (n === 1) this.logger.warn({ source, symbol: tick.symbol }, 'ticks for a symbol without a route are dropped');
  }

  private forward(tick: Tick): void {
    const sink = this.sink;
    if (!sink) return;
    try {
      sink(tick);
    } catch (error) {
      // A pipeline bug must not kill the sources' loops; it must not go unnoticed either.
      this.sinkFailures++;
      if (this.sinkFailures === 1 || this.sinkFailures % 1000 === 0) {
        this.logger.error({ err: error, symbol: tick.symbol, failures: this.sinkFailures }, 'the tick consumer threw');
      }
    }
  }

  private onFeedStatus(event: FeedStatusEvent): void {
    if (!this.options.onStatus) return;
    try {
      this.options.onStatus(event);
    } catch (error) {
      this.logger.error({ err: error, symbol: event.symbol }, 'feed status listener failed');
    }
  }
}
