import { afterEach, describe, expect, it } from 'vitest';
import { feedStatusEvent } from '../../../../core/events';
import type { BridgeServer, BridgeSession } from '../../../../engine/ingest/bridge';
import { SourceManager, TerminalSources, type FeedPriorityEntry, type FeedStatusEvent } from '../../../../engine/ingest/sources';
import { GOOD_TOKEN, SimulatedEa, silentLogger, startBridge, until } from './support';

/**
 * Two MT5 terminals streaming one symbol over the real bridge, one source each (as the engine
 * role wires them): the router fails over from one terminal to the other and back. Short
 * thresholds on the system clock keep it quick; the production defaults are 5 s and 10 s.
 */
const SILENCE = 1000;
const RECOVERY = 2000;
const CHECK = 50;
/** The promise to a trader: the backup's ticks flow within the silence threshold + 5 s. */
const FAILOVER_BUDGET = SILENCE + 5000;

const PRIMARY = { server: 'Broker-Live', account: '1001' };
const BACKUP = { server: 'Other-Demo', account: '2002' };
const PRIMARY_SOURCE = 'mt5:Broker-Live:1001';
const BACKUP_SOURCE = 'mt5:Other-Demo:2002';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Delivered {
  source: string;
  at: number;
}

async function feed(priority: FeedPriorityEntry[] = []) {
  const delivered: Delivered[] = [];
  const events: FeedStatusEvent[] = [];
  const sessions: BridgeSession[] = [];
  const manager = new SourceManager({
    sources: [],
    symbols: ['EURUSD'],
    logger: silentLogger,
    silenceMs: SILENCE,
    recoveryMs: RECOVERY,
    checkEveryMs: CHECK,
    onStatus: (event) => events.push(feedStatusEvent.parse(event)),
  });
  const terminals = new TerminalSources({ manager, symbols: ['EURUSD'], priority });
  const { bridge } = await startBridge({
    onSession: (session) => {
      sessions.push(session);
      terminals.sourceFor(session);
    },
    onTick: (tick, session) => terminals.push(tick, session),
  });
  await manager.start((tick) => delivered.push({ source: tick.source, at: Date.now() }));
  cleanups.push(() => bridge.close(), () => manager.stop());
  return { bridge, manager, delivered, events, sessions };
}

/** A terminal streaming EURUSD every 20 ms, stamped with the wall clock, until `stop()`. */
function terminal(bridge: BridgeServer, who: { server: string; account: string }) {
  const ea = new SimulatedEa({ port: bridge.port, token: GOOD_TOKEN, tzOffsetMinutes: 0, ...who });
  let timer: NodeJS.Timeout | undefined;
  let bid = 1.085;
  const t = {
    ea,
    async connect() {
      await ea.connect();
    },
    start() {
      timer = setInterval(() => {
        bid = Number((bid + (Math.random() - 0.5) * 0.00002).toFixed(5));
        const line = SimulatedEa.tickLine({ symbol: 'EURUSD', timeMsc: Date.now(), bid, ask: Number((bid + 0.00012).toFixed(5)) });
        void ea.write(`${line}\n`).catch(() => undefined);
      }, 20);
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
  cleanups.push(() => {
    t.stop();
    ea.destroy();
  });
  return t;
}

const lastSource = (delivered: Delivered[]) => delivered.at(-1)?.source;
const firstAfter = (delivered: Delivered[], source: string, after: number) => delivered.find((d) => d.source === source && d.at > after);

describe('MT5 bridge: a terminal\'s session and source', () => {
  it('calls onSession when a session opens, before its first tick, and goes on when onSession throws', async () => {
    const seen: string[] = [];
    const { bridge } = await startBridge({
      onSession: (session) => {
        seen.push(`session ${session.source}`);
        throw new Error('listener bug');
      },
      onTick: (tick) => {
        seen.push(`tick ${tick.source}`);
      },
    });
    cleanups.push(() => bridge.close());
    const ea = new SimulatedEa({ port: bridge.port, token: GOOD_TOKEN, ...BACKUP });
    cleanups.push(() => ea.destroy());
    await ea.connect();
    await ea.write(`${SimulatedEa.tickLine({ symbol: 'EURUSD', timeMsc: Date.now(), bid: 1.085, ask: 1.0851 })}\n`);
    await until(() => seen.length === 2, 5000, 'the tick');
    expect(seen).toEqual([`session ${BACKUP_SOURCE}`, `tick ${BACKUP_SOURCE}`]);
    expect(bridge.stats().connections.sessions).toBe(1);
  });
});

describe('MT5 bridge: failover between two terminals for one symbol', () => {
  it('puts the listed terminal first, fails over to the other when its ticks stop, and takes it back once it has delivered for the recovery time', async () => {
    const { bridge, manager, delivered, events } = await feed([PRIMARY]);
    // The unlisted terminal connects first and feeds the symbol at once.
    const backup = terminal(bridge, BACKUP);
    await backup.connect();
    backup.start();
    await until(() => lastSource(delivered) === BACKUP_SOURCE, 5000, 'the backup terminal feeding');

    // The listed one connects later: ranked first, it takes over once trusted, without flapping.
    const primary = terminal(bridge, PRIMARY);
    await primary.connect();
    const joinedAt = Date.now();
    primary.start();
    await until(() => lastSource(delivered) === PRIMARY_SOURCE, RECOVERY + 5000, 'the listed terminal taking over');
    expect(firstAfter(delivered, PRIMARY_SOURCE, 0)!.at - joinedAt).toBeGreaterThanOrEqual(RECOVERY);
    expect(manager.status().symbols[0]!.sources.map((s) => s.name)).toEqual([PRIMARY_SOURCE, BACKUP_SOURCE]);
    expect(events.map((e) => [e.source, e.status])).toEqual([
      [BACKUP_SOURCE, 'up'],
      [PRIMARY_SOURCE, 'up'],
    ]);

    // The primary stays connected but its ticks stop (symbol dropped from its Market Watch).
    primary.stop();
    const stoppedAt = Date.now();
    await until(() => firstAfter(delivered, BACKUP_SOURCE, stoppedAt) !== undefined, FAILOVER_BUDGET, 'the backup taking over');
    const tookOver = firstAfter(delivered, BACKUP_SOURCE, stoppedAt)!.at;
    expect(tookOver - stoppedAt).toBeGreaterThanOrEqual(SILENCE - 50);
    expect(tookOver - stoppedAt).toBeLessThanOrEqual(FAILOVER_BUDGET);
    expect(events.slice(2)).toEqual([
      expect.objectContaining({ symbol: 'EURUSD', source: PRIMARY_SOURCE, status: 'down', reason: expect.stringMatching(new RegExp(`^silent for .*; switching to ${BACKUP_SOURCE}$`)) }),
      expect.objectContaining({ symbol: 'EURUSD', source: BACKUP_SOURCE, status: 'up', reason: expect.stringContaining(`took over from ${PRIMARY_SOURCE}`) }),
    ]);
    expect(manager.health()).toMatchObject({ status: 'degraded', symbols: { EURUSD: { state: 'failover', active: BACKUP_SOURCE } } });
    expect(bridge.stats().connections.sessions).toBe(2);

    // Its ticks resume: back to the primary after the recovery time, not before.
    primary.start();
    const resumedAt = Date.now();
    await until(() => firstAfter(delivered, PRIMARY_SOURCE, resumedAt) !== undefined, RECOVERY + 5000, 'the primary coming back');
    expect(firstAfter(delivered, PRIMARY_SOURCE, resumedAt)!.at - resumedAt).toBeGreaterThanOrEqual(RECOVERY);
    expect(events.slice(4)).toEqual([expect.objectContaining({ source: PRIMARY_SOURCE, status: 'up', reason: expect.stringMatching(/^active: recovered: delivering for /) })]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const backAt = firstAfter(delivered, PRIMARY_SOURCE, resumedAt)!.at;
    expect(delivered.filter((d) => d.at > backAt).every((d) => d.source === PRIMARY_SOURCE)).toBe(true);
    expect(manager.health()).toMatchObject({ status: 'ok', symbols: { EURUSD: { state: 'ok', active: PRIMARY_SOURCE } } });
  }, 30_000);

  it('fails over when the primary terminal disconnects, and takes it back as the same source after it reconnects', async () => {
    const { bridge, manager, delivered, events, sessions } = await feed();
    // No priority configured: the terminal that connects first is the primary. The backup is
    // another account on the same broker server: still a terminal, and a source, of its own.
    const SAME_SERVER_BACKUP = 'mt5:Broker-Live:2002';
    const primary = terminal(bridge, PRIMARY);
    await primary.connect();
    primary.start();
    await until(() => lastSource(delivered) === PRIMARY_SOURCE, 5000, 'the first terminal feeding');
    const backup = terminal(bridge, { server: PRIMARY.server, account: '2002' });
    await backup.connect();
    backup.start();
    await until(() => (manager.status().symbols[0]!.sources.find((s) => s.name === SAME_SERVER_BACKUP)?.ticks ?? 0) > 5, 5000, 'the backup delivering on standby');
    expect(delivered.every((d) => d.source === PRIMARY_SOURCE)).toBe(true);

    // The primary's machine drops off the network: no FIN, the socket just dies.
    primary.stop();
    primary.ea.destroy();
    const lostAt = Date.now();
    await until(() => firstAfter(delivered, SAME_SERVER_BACKUP, lostAt) !== undefined, FAILOVER_BUDGET, 'the backup taking over');
    expect(firstAfter(delivered, SAME_SERVER_BACKUP, lostAt)!.at - lostAt).toBeLessThanOrEqual(FAILOVER_BUDGET);
    await until(() => bridge.stats().connections.sessions === 1, 5000, 'the lost session closing');

    // It reconnects (a new session): its ticks go to the same source, which comes back after recovery.
    await primary.connect();
    const reconnectedAt = Date.now();
    primary.start();
    await until(() => firstAfter(delivered, PRIMARY_SOURCE, reconnectedAt) !== undefined, RECOVERY + 5000, 'the primary coming back');
    expect(firstAfter(delivered, PRIMARY_SOURCE, reconnectedAt)!.at - reconnectedAt).toBeGreaterThanOrEqual(RECOVERY);

    const primarySessions = sessions.filter((s) => s.account === PRIMARY.account);
    expect(primarySessions).toHaveLength(2);
    expect(primarySessions[0]!.id).not.toBe(primarySessions[1]!.id);
    expect(primarySessions.map((s) => s.source)).toEqual([PRIMARY_SOURCE, PRIMARY_SOURCE]);
    expect(manager.status().sources.map((s) => s.name)).toEqual([PRIMARY_SOURCE, SAME_SERVER_BACKUP]);
    expect(events.map((e) => [e.source, e.status])).toEqual([
      [PRIMARY_SOURCE, 'up'],
      [PRIMARY_SOURCE, 'down'],
      [SAME_SERVER_BACKUP, 'up'],
      [PRIMARY_SOURCE, 'up'],
    ]);
    expect(manager.health()).toMatchObject({ status: 'ok', symbols: { EURUSD: { state: 'ok', active: PRIMARY_SOURCE } } });
  }, 30_000);
});
