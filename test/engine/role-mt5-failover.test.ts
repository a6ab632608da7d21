import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createMetrics, STREAMS, type EventOf } from '../../core';
import type { ClickHouseHandle, DatabaseHandle, SharedState } from '../../db';
import { createBridgeTokens } from '../../engine/ingest/bridge';
import { startEngineRole } from '../../engine/role';
import { createTenancy } from '../../tenancy';
import { openEngineStores } from '../support/engine-stores';
import { SimulatedEa, until } from './ingest/bridge/support';

const logger = createLogger({ level: 'silent', pretty: false });

/** The router's defaults the role runs with (engine/ingest/sources/failover-router.ts). */
const SILENCE = 5000;
const RECOVERY = 10_000;
const PRIMARY_SOURCE = 'mt5:Primary-Live:1001';
const BACKUP_SOURCE = 'mt5:Backup-Demo:2002';

describe('engine role fed by two MT5 terminals', () => {
  let clickhouse: ClickHouseHandle;
  let database: DatabaseHandle;
  let shared: SharedState;
  let closeStores: () => Promise<void>;
  const running: Array<() => unknown> = [];

  beforeAll(async () => {
    ({ clickhouse, database, shared, close: closeStores } = await openEngineStores());
  });
  afterAll(async () => {
    for (const stop of running.splice(0).reverse()) await stop();
    await closeStores?.();
  });

  /** A terminal streaming BTCUSD (open around the clock) every 25 ms, priced from the wall clock so both agree. */
  function terminal(port: number, token: string, server: string, account: string) {
    const ea = new SimulatedEa({ port, token, server, account, tzOffsetMinutes: 0 });
    let timer: NodeJS.Timeout | undefined;
    const t = {
      ea,
      start() {
        timer = setInterval(() => {
          const now = Date.now();
          const bid = Number((65_000 + Math.sin(now / 2000) * 5).toFixed(2));
          void ea.write(`${SimulatedEa.tickLine({ symbol: 'BTCUSD', timeMsc: now, bid, ask: Number((bid + 8.5).toFixed(2)) })}\n`).catch(() => undefined);
        }, 25);
      },
      stop() {
        clearInterval(timer);
      },
    };
    running.push(() => {
      t.stop();
      ea.destroy();
    });
    return t;
  }

  it('ranks the terminal MT5_FEED_PRIORITY lists first, fails over to the other when it drops, with feed.status on the bus', async () => {
    const { tenant } = await createTenancy({ db: database.db, logger }).createTenant({ name: 'Two Terminals Desk', plan: 'pro', actor: 'test' });
    const { token } = await createBridgeTokens(database.db).issue({ tenantId: tenant.id, name: 'both terminals', actor: 'test' });
    const feed: Array<EventOf<'feed.status'>> = [];
    const subscription = shared.bus.subscribe(STREAMS.feed, { group: 'test', consumer: 'c1', startFrom: 'earliest' }, async (message) => {
      if (message.event.type === 'feed.status') feed.push(message.event);
    });
    await subscription.ready;
    running.push(() => subscription.stop());

    const config = { marketFeed: 'mt5' as const, mt5Symbols: ['BTCUSD'], mt5BridgePort: 0, mt5FeedPriority: [{ server: 'Primary-Live', account: '1001' }] };
    const engine = await startEngineRole({ config, logger, metrics: createMetrics({ defaultMetrics: false }), shared, clickhouse, db: database.db, instanceId: 'test', bridgeHost: '127.0.0.1' });
    running.push(() => engine.stop());
    const port = engine.bridge()!.port;
    // Before any terminal: the symbol is routed and reported as having no source.
    expect(engine.health()).toMatchObject({ status: 'down', symbols: { BTCUSD: { state: 'down', active: null } } });

    // The unlisted terminal connects first and feeds the symbol…
    const backup = terminal(port, token, 'Backup-Demo', '2002');
    await backup.ea.connect();
    backup.start();
    await until(() => engine.lastPrice('BTCUSD')?.source === BACKUP_SOURCE, 5000, 'the backup terminal feeding');

    // …until the listed one has delivered for the recovery time.
    const primary = terminal(port, token, 'Primary-Live', '1001');
    await primary.ea.connect();
    const joinedAt = Date.now();
    primary.start();
    await until(() => engine.lastPrice('BTCUSD')?.source === PRIMARY_SOURCE, RECOVERY + 5000, 'the listed terminal taking over');
    expect(Date.now() - joinedAt).toBeGreaterThanOrEqual(RECOVERY);
    expect(engine.health()).toMatchObject({ status: 'ok', symbols: { BTCUSD: { state: 'ok', active: PRIMARY_SOURCE } } });

    // The primary's connection dies: the backup's ticks reach the pipeline within the threshold + 5 s.
    primary.stop();
    primary.ea.destroy();
    const lostAt = Date.now();
    await until(() => engine.lastPrice('BTCUSD')?.source === BACKUP_SOURCE, SILENCE + 5000, 'the backup taking over');
    expect(Date.now() - lostAt).toBeGreaterThanOrEqual(SILENCE - 100);
    expect(engine.health()).toMatchObject({ status: 'degraded', symbols: { BTCUSD: { state: 'failover', active: BACKUP_SOURCE } } });

    await until(() => feed.length >= 4, 5000, 'feed.status events on the bus');
    expect(feed.map((e) => [e.symbol, e.source, e.status])).toEqual([
      ['BTCUSD', BACKUP_SOURCE, 'up'],
      ['BTCUSD', PRIMARY_SOURCE, 'up'],
      ['BTCUSD', PRIMARY_SOURCE, 'down'],
      ['BTCUSD', BACKUP_SOURCE, 'up'],
    ]);
    expect(feed[3]!.reason).toContain(`took over from ${PRIMARY_SOURCE}`);
  }, 45_000);
});
