import { basename } from 'node:path';
import { STREAMS, type ComponentHealth, type Config, type Logger, type Metrics, type RunningRole } from '../core';
import { createMarketDataRepository, holdLease, type ClickHouseHandle, type Database, type Lease, type SharedState } from '../db';
import { createBridgeServer, createBridgeTokens, type BridgeServer } from './ingest/bridge';
import { SANDBOX_SYMBOLS } from './ingest/sandbox';
import { ReplaySource, SandboxSource, SourceManager, TerminalSources, type TickSource } from './ingest/sources';
import type { Bar, Tick } from './market/types';
import { MarketPipeline, type LastPrice } from './pipeline';
import { ALWAYS_OPEN, fxCalendar, type MarketCalendar } from './quality';
import { describePriority, raiseEventLoopPriority, type EventLoopPriority } from './event-loop-priority';
import { GapMonitor } from './gap-monitor';
import { StoreWriter } from './store-writer';

export interface EngineRoleDeps {
  config: Pick<Config, 'marketFeed' | 'mt5Symbols' | 'mt5BridgePort'> & Partial<Pick<Config, 'mt5FeedPriority' | 'replay' | 'eventLoopNice'>>;
  logger: Logger;
  metrics: Metrics;
  shared: SharedState;
  clickhouse: ClickHouseHandle;
  /** Postgres/PGlite: MT5 bridge tokens are verified against it. */
  db: Database;
  instanceId: string;
  /** Seed of the sandbox market feed (default: time-based). */
  feedSeed?: number;
  /** Interface the MT5 bridge listens on (default all: terminals usually run elsewhere). */
  bridgeHost?: string;
}

export interface EngineRole extends RunningRole {
  lastPrice(symbol: string): LastPrice | undefined;
  symbols(): string[];
  /** The MT5 bridge while this engine holds the feed (mt5 mode). */
  bridge(): BridgeServer | undefined;
}

const FLUSH_EVERY_MS = 1_000;
const SANDBOX_SILENCE_MS = 30_000;
/**
 * A replay at 'max' waits for the store writer when this many rows are buffered (its bound is
 * 500k: past it the oldest ticks would be dropped).
 */
const REPLAY_HOLD_ROWS = 100_000;
const LEASE_MS = 15_000;
const CRYPTO = /^(BTC|ETH|LTC|XRP|SOL|DOGE|ADA|BNB)/;

/** Digits of a price as the terminal sent it (1.08512 → 5), for symbols we have no spec for. */
function digitsOf(tick: Tick): number {
  let digits = 0;
  for (const price of [tick.bid, tick.ask]) {
    const text = String(price);
    const dot = text.indexOf('.');
    if (dot >= 0 && !text.includes('e')) digits = Math.max(digits, text.length - dot - 1);
  }
  return Math.min(digits, 8);
}

/**
 * The engine role. Market data comes from the seeded sandbox feed (MARKET_FEED=sandbox) or
 * from MT5 terminals over the bridge (MARKET_FEED=mt5), through the source manager (silence
 * detection with market hours, failover, feed.status events on the bus), then the quality
 * gate and the bar aggregator; ticks and bars go to ClickHouse in batches and closed bars
 * onto the bus. With Redis, one engine holds the feed at a time; a standby takes over when
 * its lease lapses.
 */
export async function startEngineRole(deps: EngineRoleDeps): Promise<EngineRole> {
  const logger = deps.logger.child({ role: 'engine', job: `${deps.config.marketFeed}-feed` });
  const pipeline = new MarketPipeline(Object.values(SANDBOX_SYMBOLS).map((s) => ({ symbol: s.symbol, digits: s.digits })));
  const writer = new StoreWriter({
    repository: createMarketDataRepository(deps.clickhouse.client),
    logger,
    changedBars: () => pipeline.takeChangedBars(),
  });
  const tokens = createBridgeTokens(deps.db);
  let manager: SourceManager | undefined;
  /** MARKET_FEED=replay: the running replays (finished when all have played out). */
  let replays: ReplaySource[] = [];
  let bridge: BridgeServer | undefined;
  let flusher: NodeJS.Timeout | undefined;
  let priority: EventLoopPriority | undefined;
  let lease: Lease | undefined;
  let ticksAccepted = 0;
  let publishFailures = 0;

  const publish = (stream: string, event: Parameters<SharedState['bus']['publish']>[1]) =>
    deps.shared.bus.publish(stream, event).catch((error: unknown) => {
      publishFailures++;
      if (publishFailures === 1 || publishFailures % 1000 === 0) logger.warn({ err: error, failures: publishFailures, stream }, 'could not publish to the bus');
    });

  const publishBar = (bar: Bar) => {
    deps.metrics.barsClosed.inc({ symbol: bar.symbol, timeframe: bar.timeframe });
    void publish(STREAMS.bars, { type: 'bar.closed', symbol: bar.symbol, timeframe: bar.timeframe, timeMs: bar.timeMs, open: bar.open, high: bar.high, low: bar.low, close: bar.close, tickVolume: bar.tickVolume, spread: bar.spread });
  };

  // Forming bars reach the writer at flush time (changedBars above); closed bars here, as they close.
  const fx = fxCalendar();
  const calendarFor = (symbol: string): MarketCalendar => (CRYPTO.test(symbol) ? ALWAYS_OPEN : fx);
  const gaps = new GapMonitor({ calendarFor });

  // The labelled child counter per (symbol, source), looked up once: resolving labels on every
  // tick costs more than the rest of the metric work on this hot path. Two levels of Map, so a
  // tick allocates no key.
  const acceptedCounters = new Map<string, Map<string, { inc(): void }>>();
  const acceptedCounter = (symbol: string, source: string) => {
    let bySource = acceptedCounters.get(symbol);
    if (!bySource) acceptedCounters.set(symbol, (bySource = new Map()));
    let counter = bySource.get(source);
    if (!counter) {
      counter = deps.metrics.ticks.labels({ symbol, source, outcome: 'accepted' });
      bySource.set(source, counter);
    }
    return counter;
  };

  const handle = (tick: Tick) => {
    if (!pipeline.has(tick.symbol)) pipeline.addSymbol(tick.symbol, digitsOf(tick));
    const outcome = pipeline.process(tick);
    if (!outcome.accepted) {
      deps.metrics.ticksRejected.inc({ symbol: tick.symbol, reason: outcome.reason ?? 'unknown' });
      return;
    }
    ticksAccepted++;
    const gap = gaps.observe(tick);
    if (gap) {
      deps.metrics.feedGaps.inc({ symbol: gap.symbol, kind: gap.kind });
      if (gap.kind === 'gap') logger.warn({ symbol: gap.symbol, source: gap.source, from: new Date(gap.fromMs).toISOString(), to: new Date(gap.toMs).toISOString(), open_minutes: Math.round(gap.openMs / 60_000) }, 'gap in market data');
    }
    acceptedCounter(tick.symbol, tick.source).inc();
    writer.addTick(tick);
    for (const bar of outcome.closed) {
      writer.addBar(bar);
      publishBar(bar);
    }
  };

  /** 'max' replays: hold back while the writer has much to write (it flushes once a second). */
  const drainWriter = async () => {
    if (writer.status().buffered < REPLAY_HOLD_ROWS) return;
    await writer.flush();
    // ClickHouse away: the flush kept the rows; wait instead of filling the buffer past its bound.
    if (writer.status().buffered >= REPLAY_HOLD_ROWS) await new Promise((resolve) => setTimeout(resolve, 500));
  };

  /** MARKET_FEED=replay: one source per file and per stored symbol, played at REPLAY_SPEED. */
  const replaySources = (): ReplaySource[] => {
    const replay = deps.config.replay;
    if (!replay) throw new Error('MARKET_FEED=replay without replay settings');
    const common = { speed: replay.speed, logger, ...(replay.speed === 'max' ? { drain: drainWriter } : {}) };
    return [
      ...replay.files.map((file) => ReplaySource.fromFile({ ...common, path: file, tzOffsetMinutes: replay.tzOffsetMinutes, name: `replay:${basename(file)}` })),
      ...replay.symbols.map((symbol) =>
        ReplaySource.fromClickHouse({
          ...common,
          client: deps.clickhouse.client,
          symbol,
          name: `replay:clickhouse:${symbol}`,
          ...(replay.fromMs === undefined ? {} : { fromMs: replay.fromMs }),
          ...(replay.toMs === undefined ? {} : { toMs: replay.toMs }),
        }),
      ),
    ];
  };

  async function startFeed() {
    if (manager) return;
    const sources: TickSource[] = [];
    const mt5 = deps.config.marketFeed === 'mt5';
    const replay = deps.config.marketFeed === 'replay';
    // The sandbox's market clock is the wall clock: ticks are emitted as their time comes.
    if (deps.config.marketFeed === 'sandbox') sources.push(new SandboxSource({ seed: deps.feedSeed ?? Date.now() % 2 ** 31 }));
    replays = replay ? replaySources() : [];
    sources.push(...replays);
    const feeds = new SourceManager({
      sources,
      // mt5: one source per terminal, added as terminals connect; the symbols are routed from
      // the start, so that no terminal at all shows as a feed that is down.
      ...(mt5 ? { symbols: deps.config.mt5Symbols } : {}),
      // The sandbox's quiet hours tick about once every 3 s (a Poisson process), so 5 s without
      // a tick happens several times an hour and is not an outage; only a generator that has
      // stopped is, which 30 s still tells.
      ...(mt5 ? {} : { silenceMs: SANDBOX_SILENCE_MS }),
      logger,
      // A replay's ticks carry their recorded times, so the wall clock says nothing about
      // whether their market was open: every silence counts (and past its end, a replay is over).
      calendarFor: replay ? () => ALWAYS_OPEN : calendarFor,
      onStatus: (event) => {
        logger.info({ symbol: event.symbol, source: event.source, status: event.status, reason: event.reason }, 'feed status');
        void publish(STREAMS.feed, event);
      },
    });
    if (mt5) {
      // Each terminal is its own source, so a symbol fails over from one terminal to another
      // (MT5_FEED_PRIORITY ranks them; unlisted ones follow in order of first connection).
      const terminals = new TerminalSources({ manager: feeds, symbols: deps.config.mt5Symbols, priority: deps.config.mt5FeedPriority ?? [] });
      bridge = await createBridgeServer({
        port: deps.config.mt5BridgePort,
        ...(deps.bridgeHost ? { host: deps.bridgeHost } : {}),
        verifyToken: (token) => tokens.verify(token),
        onSession: (session) => void terminals.sourceFor(session),
        onTick: (tick, session) => terminals.push(tick, session),
        logger,
        metrics: deps.metrics,
      });
      logger.info({ port: bridge.port, symbols: deps.config.mt5Symbols, priority: deps.config.mt5FeedPriority ?? [] }, 'MT5 bridge listening');
    }
    manager = feeds;
    await manager.start(handle);
    for (const source of replays) {
      void source.finished().then((result) => {
        if (result.state === 'ended' && result.emitted === 0) {
          logger.warn({ source: source.name, symbols: source.symbols() }, 'the replay had no ticks to play (nothing stored for this symbol and range: import history first, see `tradepilot import`)');
        }
      });
    }
    flusher = setInterval(() => void writer.flush(), FLUSH_EVERY_MS);
    // Raised once the stores and their threads are up, so that only the event loop runs ahead.
    const nice = deps.config.eventLoopNice ?? 0;
    if (nice < 0) {
      priority = raiseEventLoopPriority(nice, logger);
      if (!priority.outcome.granted) logger.info({ nice, reason: priority.outcome.reason }, `${describePriority(priority.outcome)}; set EVENT_LOOP_NICE=0 to stop asking`);
    }
    logger.info({ feed: deps.config.marketFeed, symbols: manager.symbols() }, 'market data feed running');
  }

  async function stopFeed() {
    clearInterval(flusher);
    flusher = undefined;
    priority?.stop();
    priority = undefined;
    const running = manager;
    manager = undefined;
    await running?.stop();
    await bridge?.close();
    bridge = undefined;
    await writer.flush();
  }

  if (deps.shared.kind === 'redis') {
    lease = holdLease(deps.shared.locks, `engine:feed:${deps.config.marketFeed}`, deps.instanceId, {
      ttlMs: LEASE_MS,
      logger,
      onAcquired: () => startFeed().catch((error: unknown) => logger.error({ err: error }, 'could not start the market data feed')),
      onLost: () => stopFeed(),
    });
  } else {
    await startFeed();
  }

  return {
    name: 'engine',
    lastPrice: (symbol) => pipeline.lastPrice(symbol),
    symbols: () => pipeline.symbols(),
    bridge: () => bridge,
    health(): ComponentHealth {
      const store = writer.status();
      const feeds = manager?.health();
      const base = {
        mode: manager ? 'active' : 'standby',
        feed: deps.config.marketFeed,
        ticksAccepted,
        rejected: pipeline.rejections(),
        gaps: gaps.recent().map((g) => ({ symbol: g.symbol, from: new Date(g.fromMs).toISOString(), to: new Date(g.toMs).toISOString() })),
        buffered: store.buffered,
        droppedTicks: store.droppedTicks,
        ...(feeds ? { symbols: feeds.symbols } : {}),
        ...(bridge ? { bridge: { port: bridge.port, sessions: bridge.stats().connections.sessions } } : {}),
      };
      if (store.lastError) return { ...base, status: 'degraded', detail: 'market data writes are failing; buffering' };
      if (manager && replays.length > 0 && replays.every((source) => source.stats().state === 'ended')) {
        // Silent because it has played out, not because a feed broke.
        return { ...base, status: 'ok', detail: 'replay finished' };
      }
      if (feeds && feeds.status !== 'ok') return { ...base, status: feeds.status, detail: feeds.detail ?? 'a market data feed is down' };
      return { ...base, status: 'ok' };
    },
    async stop() {
      await lease?.stop();
      await stopFeed();
    },
  };
}
