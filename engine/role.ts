import { STREAMS, type ComponentHealth, type Logger, type Metrics, type RunningRole } from '../core';
import { createMarketDataRepository, holdLease, type ClickHouseHandle, type Lease, type SharedState } from '../db';
import { createSandboxFeed, SANDBOX_SYMBOLS, type SandboxFeed } from './ingest/sandbox';
import type { Bar, Tick } from './market/types';
import { MarketPipeline, type LastPrice } from './pipeline';
import { StoreWriter } from './store-writer';

export interface EngineRoleDeps {
  logger: Logger;
  metrics: Metrics;
  shared: SharedState;
  clickhouse: ClickHouseHandle;
  instanceId: string;
  /** Seed of the sandbox market feed (default: time-based). */
  feedSeed?: number;
}

export interface EngineRole extends RunningRole {
  lastPrice(symbol: string): LastPrice | undefined;
  symbols(): string[];
}

const PUMP_EVERY_MS = 100;
const FLUSH_EVERY_MS = 1_000;
const LEASE_MS = 15_000;

/**
 * The engine role, first slice: the seeded sandbox feed (no MT5 terminal connected) runs
 * through the quality gate and the bar aggregator; ticks and bars go to ClickHouse in
 * batches, closed bars onto the bus. With Redis, one engine holds the feed's partition at a
 * time and a standby takes over when its lease lapses.
 */
export async function startEngineRole(deps: EngineRoleDeps): Promise<EngineRole> {
  const logger = deps.logger.child({ role: 'engine', job: 'sandbox-feed' });
  const specs = Object.values(SANDBOX_SYMBOLS);
  const pipeline = new MarketPipeline(specs.map((s) => ({ symbol: s.symbol, digits: s.digits })));
  const writer = new StoreWriter({ repository: createMarketDataRepository(deps.clickhouse.client), logger });
  let feed: SandboxFeed | undefined;
  let pump: NodeJS.Timeout | undefined;
  let flusher: NodeJS.Timeout | undefined;
  let lease: Lease | undefined;
  let ticksAccepted = 0;
  let publishFailures = 0;

  const publishBar = (bar: Bar) => {
    deps.metrics.barsClosed.inc({ symbol: bar.symbol, timeframe: bar.timeframe });
    deps.shared.bus
      .publish(STREAMS.bars, { type: 'bar.closed', symbol: bar.symbol, timeframe: bar.timeframe, timeMs: bar.timeMs, open: bar.open, high: bar.high, low: bar.low, close: bar.close, tickVolume: bar.tickVolume, spread: bar.spread })
      .catch((error: unknown) => {
        publishFailures++;
        if (publishFailures === 1 || publishFailures % 1000 === 0) logger.warn({ err: error, failures: publishFailures }, 'could not publish a closed bar');
      });
  };

  const handle = (tick: Tick) => {
    const outcome = pipeline.process(tick);
    if (!outcome.accepted) {
      deps.metrics.ticksRejected.inc({ symbol: tick.symbol, reason: outcome.reason ?? 'unknown' });
      return;
    }
    ticksAccepted++;
    deps.metrics.ticks.inc({ symbol: tick.symbol, source: tick.source, outcome: 'accepted' });
    writer.addTick(tick);
    for (const bar of outcome.updated) writer.addBar(bar);
    for (const bar of outcome.closed) {
      writer.addBar(bar);
      publishBar(bar);
    }
  };

  const startFeed = () => {
    if (pump) return;
    // The feed's market clock is the wall clock: ticks are emitted as their time comes.
    feed = createSandboxFeed({ seed: deps.feedSeed ?? Date.now() % 2 ** 31, startMs: Date.now() });
    pump = setInterval(() => {
      const now = Date.now();
      while (feed!.nextTickTimeMs() <= now) handle(feed!.nextTick());
    }, PUMP_EVERY_MS);
    flusher = setInterval(() => void writer.flush(), FLUSH_EVERY_MS);
    logger.info({ symbols: pipeline.symbols() }, 'sandbox market feed running');
  };
  const stopFeed = async () => {
    clearInterval(pump);
    clearInterval(flusher);
    pump = undefined;
    flusher = undefined;
    await writer.flush();
  };

  if (deps.shared.kind === 'redis') {
    lease = holdLease(deps.shared.locks, 'engine:partition:sandbox', deps.instanceId, {
      ttlMs: LEASE_MS,
      logger,
      onAcquired: startFeed,
      onLost: () => void stopFeed(),
    });
  } else {
    startFeed();
  }

  return {
    name: 'engine',
    lastPrice: (symbol) => pipeline.lastPrice(symbol),
    symbols: () => pipeline.symbols(),
    health(): ComponentHealth {
      const store = writer.status();
      const base = { mode: pump ? 'active' : 'standby', ticksAccepted, rejected: pipeline.rejections(), buffered: store.buffered, droppedTicks: store.droppedTicks };
      if (store.lastError) return { status: 'degraded', detail: 'market data writes are failing; buffering', ...base };
      return { status: 'ok', ...base };
    },
    async stop() {
      await lease?.stop();
      await stopFeed();
    },
  };
}
