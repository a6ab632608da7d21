import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../../../../core/metrics';
import type { BridgeServer, BridgeSession } from '../../../../engine/ingest/bridge';
import type { ExecutionFrame } from '../../../../engine/ingest/mt5';
import type { Tick } from '../../../../engine/market/types';
import { GOOD_TOKEN, SimulatedEa, TENANT, startBridge, tickSeries, until } from './support';

const open: BridgeServer[] = [];
const eas: SimulatedEa[] = [];

async function bridgeWith(overrides: Parameters<typeof startBridge>[0] = {}) {
  const started = await startBridge(overrides);
  open.push(started.bridge);
  return started;
}

function ea(port: number, options: Partial<ConstructorParameters<typeof SimulatedEa>[0]> = {}): SimulatedEa {
  const terminal = new SimulatedEa({ port, token: GOOD_TOKEN, ...options });
  eas.push(terminal);
  return terminal;
}

afterEach(async () => {
  for (const terminal of eas.splice(0)) terminal.destroy();
  await Promise.all(open.splice(0).map((bridge) => bridge.close()));
});

const key = (t: { symbol: string; timeMs: number }) => `${t.symbol}@${t.timeMs}`;

describe('MT5 bridge server: a real EA stream', () => {
  it('delivers 10 000 ticks exactly once and in order through split packets, garbage, an over-long line and a reconnect', async () => {
    const { bridge, ticks } = await bridgeWith({ maxLineBytes: 4096 });
    const series = tickSeries('EURUSD', 10_000, 11);
    const terminal = ea(bridge.port, { seed: 42 });
    terminal.enqueue(...series.map((t) => SimulatedEa.tickLine(t)));
    const garbageAt = new Map<number, string>([
      [100, 'this is not json\r\n'],
      [1_500, '{"type":"tick","symbol":"EURUSD","bid":1.1}\n'],
      [2_500, '{"type":"quote","symbol":"EURUSD"}\0'],
      [3_000, `{"type":"tick","symbol":"EURUSD","pad":"${'x'.repeat(10_000)}"}\r\n`],
      [4_000, '[1,2,3]\n'],
      [5_000, '{"type":"tick","symbol":"EURUSD","time_msc":1,"bid":"1.1","ask":1.2}\n'],
      [8_000, 'garbage again\n'],
    ]);

    await terminal.connect();
    await until(() => bridge.stats().connections.sessions === 1, 5_000, 'the session');
    const firstSession = bridge.stats().sessions[0]!.id;
    // Mid-stream the terminal drops the connection in the middle of frame 6000…
    await terminal.stream({ garbage: (i) => garbageAt.get(i), stopAfterFrames: 6_000 });
    expect(terminal.ring).toHaveLength(4_000);
    // …the whole time up to there it was one session: the garbage did not close it.
    await until(() => bridge.stats().connections.open === 0, 5_000, 'the close');
    expect(bridge.stats().closes).toEqual({ client_closed: 1 });
    // …and reconnects, resending what its ring still holds (the half-sent frame included).
    await terminal.connect();
    await terminal.stream({ garbage: (i) => garbageAt.get(i + 6_000) });
    await until(() => ticks.length >= 10_000, 10_000, 'all ticks');
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(ticks.map((t) => key(t.tick))).toEqual(series.map((t) => key({ symbol: t.symbol, timeMs: t.timeMsc })));
    expect(ticks[0]!.tick).toEqual({ symbol: 'EURUSD', timeMs: series[0]!.timeMsc, bid: series[0]!.bid, ask: series[0]!.ask, last: 0, volume: 0, flags: 6, source: 'mt5:Sim-Demo:5550001' });
    const sessions = new Set(ticks.map((t) => t.session.id));
    expect(sessions.size).toBe(2);
    expect(sessions.has(firstSession)).toBe(true);
    const stats = bridge.stats();
    expect(stats.rejects).toEqual({
      invalid_json: 2,
      'missing_field:time_msc': 1,
      unknown_type: 1,
      line_too_long: 1,
      not_an_object: 1,
      'invalid_field:bid': 1,
      truncated: 1,
    });
    expect(stats.ticks).toBe(10_000);
    expect(stats.connections).toMatchObject({ open: 1, sessions: 1, total: 2, authenticated: 2 });
  });

  it('keeps each terminal on its own: 20 EAs at once all get every tick delivered', async () => {
    const { bridge, ticks } = await bridgeWith();
    const terminals = Array.from({ length: 20 }, (_, i) => ea(bridge.port, { account: String(7000 + i), seed: i + 1 }));
    const series = terminals.map((_, i) => tickSeries(`SYM${i}`, 500, i + 100));
    await Promise.all(
      terminals.map(async (terminal, i) => {
        terminal.enqueue(...series[i]!.map((t) => SimulatedEa.tickLine(t)));
        await terminal.connect();
        await terminal.stream({ maxPacket: 500 });
      }),
    );
    await until(() => ticks.length === 20 * 500, 10_000, 'every tick');
    for (let i = 0; i < 20; i += 1) {
      const mine = ticks.filter((t) => t.session.account === String(7000 + i)).map((t) => key(t.tick));
      expect(mine).toEqual(series[i]!.map((t) => key({ symbol: t.symbol, timeMs: t.timeMsc })));
    }
    expect(bridge.stats().connections.sessions).toBe(20);
    expect(bridge.stats().rejects).toEqual({});
  });
});

describe('MT5 bridge server: handshake and liveness', () => {
  it('answers a wrong token with an unauthorized error frame and closes', async () => {
    const { bridge, ticks } = await bridgeWith();
    const terminal = ea(bridge.port, { token: 'tpb_wrong' });
    await terminal.connect();
    await terminal.write(`${SimulatedEa.tickLine(tickSeries('EURUSD', 1)[0]!)}\n`);
    await terminal.until(() => terminal.closed);
    expect(terminal.received).toEqual([{ type: 'error', reason: 'unauthorized', message: 'invalid bridge token' }]);
    expect(ticks).toHaveLength(0);
    await until(() => bridge.stats().connections.open === 0);
    expect(bridge.stats().closes).toEqual({ unauthorized: 1 });
  });

  it('delivers what an EA sent right behind its hello even if it hangs up before the token is checked', async () => {
    const { bridge, ticks } = await bridgeWith({
      verifyToken: async (token) => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        return token === GOOD_TOKEN ? TENANT : null;
      },
    });
    const series = tickSeries('EURUSD', 3);
    const terminal = ea(bridge.port);
    await terminal.connect({ hello: false });
    await terminal.write(terminal.helloLine() + series.map((t) => `${SimulatedEa.tickLine(t)}\r\n`).join(''));
    await terminal.end();
    await until(() => ticks.length === 3, 3_000, 'the ticks');
    expect(ticks.map((t) => t.tick.timeMs)).toEqual(series.map((t) => t.timeMsc));
    expect(bridge.stats().connections).toMatchObject({ open: 0, authenticated: 1 });
  });

  it('refuses a connection whose first frame is not a hello', async () => {
    const { bridge, ticks } = await bridgeWith();
    const terminal = ea(bridge.port);
    await terminal.connect({ hello: false });
    await terminal.write(`${SimulatedEa.tickLine(tickSeries('EURUSD', 1)[0]!)}\n`);
    await terminal.until(() => terminal.closed);
    expect(terminal.received[0]).toMatchObject({ type: 'error', reason: 'unauthorized' });
    expect(ticks).toHaveLength(0);
  });

  it('refuses a hello with a protocol version it does not speak', async () => {
    const { bridge } = await bridgeWith();
    const terminal = ea(bridge.port);
    await terminal.connect({ hello: false });
    await terminal.write(terminal.helloLine().replace('"version":1', '"version":2'));
    await terminal.until(() => terminal.closed);
    expect(terminal.received[0]).toMatchObject({ type: 'error', reason: 'unsupported_version' });
  });

  it('closes a connection that sends no hello within helloTimeoutMs', async () => {
    const { bridge } = await bridgeWith({ helloTimeoutMs: 150 });
    const terminal = ea(bridge.port);
    const started = Date.now();
    await terminal.connect({ hello: false });
    await terminal.write('garbage before any hello\n');
    await terminal.until(() => terminal.closed, 3_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(terminal.received).toEqual([{ type: 'error', reason: 'hello_timeout', message: 'no hello within 150 ms' }]);
    expect(bridge.stats().rejects).toEqual({ invalid_json: 1 });
  });

  it('keeps a session alive on heartbeats and closes it once they stop', async () => {
    const { bridge } = await bridgeWith({ heartbeatTimeoutMs: 500 });
    const terminal = ea(bridge.port);
    await terminal.connect();
    for (let i = 0; i < 6; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await terminal.write(`{"type":"heartbeat","time_msc":${Date.now()}}\n`);
    }
    await until(() => bridge.stats().heartbeats === 6);
    expect(terminal.closed).toBe(false);
    await terminal.until(() => terminal.closed, 3_000);
    expect(terminal.received.at(-1)).toMatchObject({ type: 'error', reason: 'heartbeat_timeout' });
    await until(() => bridge.stats().connections.open === 0);
    expect(bridge.stats().closes).toEqual({ heartbeat_timeout: 1 });
    expect(bridge.stats().connections.sessions).toBe(0);
  });

  it('answers server_full beyond maxConnections', async () => {
    const { bridge } = await bridgeWith({ maxConnections: 1 });
    const first = ea(bridge.port);
    await first.connect();
    await until(() => bridge.stats().connections.sessions === 1);
    const second = ea(bridge.port);
    await second.connect({ hello: false });
    await second.until(() => second.closed);
    expect(second.received[0]).toMatchObject({ type: 'error', reason: 'server_full' });
    expect(first.closed).toBe(false);
  });
});

describe('MT5 bridge server: broker time', () => {
  it('converts server time to UTC with the offset from hello, else configuration, else 0', async () => {
    const configured = new Map([['cfg', 120]]);
    const { bridge, ticks } = await bridgeWith({ tzOffsetMinutes: ({ account }) => configured.get(account) });
    const [tick] = tickSeries('EURUSD', 1);
    const fromHello = ea(bridge.port, { account: 'hello', tzOffsetMinutes: 180 });
    const fromConfig = ea(bridge.port, { account: 'cfg' });
    const none = ea(bridge.port, { account: 'none' });
    for (const terminal of [fromHello, fromConfig, none]) {
      await terminal.connect();
      await terminal.write(`${SimulatedEa.tickLine(tick!)}\n`);
    }
    await until(() => ticks.length === 3);
    const byAccount = Object.fromEntries(ticks.map((t) => [t.session.account, { timeMs: t.tick.timeMs, source: t.session.tzOffsetSource }]));
    expect(byAccount).toEqual({
      hello: { timeMs: tick!.timeMsc - 180 * 60_000, source: 'hello' },
      cfg: { timeMs: tick!.timeMsc - 120 * 60_000, source: 'config' },
      none: { timeMs: tick!.timeMsc, source: 'default' },
    });
  });

  it('refuses a hello with an impossible tz_offset_minutes', async () => {
    const { bridge } = await bridgeWith();
    const terminal = ea(bridge.port, { tzOffsetMinutes: 5000 });
    await terminal.connect();
    await terminal.until(() => terminal.closed);
    expect(terminal.received[0]).toMatchObject({ type: 'error', reason: 'invalid_hello' });
    expect(bridge.stats().rejects).toEqual({ 'invalid_field:tz_offset_minutes': 1 });
  });

  it('reports the clock skew a heartbeat shows', async () => {
    const { bridge } = await bridgeWith();
    const terminal = ea(bridge.port, { tzOffsetMinutes: 120 });
    await terminal.connect();
    // The broker clock reads UTC+3 while the hello said +2: one hour off.
    await terminal.write(`{"type":"heartbeat","time_msc":${Date.now() + 180 * 60_000}}\n`);
    await until(() => bridge.stats().heartbeats === 1);
    const skew = bridge.stats().sessions[0]!.clockSkewMs!;
    expect(Math.abs(skew - 60 * 60_000)).toBeLessThan(5_000);
  });
});

describe('MT5 bridge server: commands', () => {
  it('sends an order and resolves with its execution report; onExecution sees it too', async () => {
    const executions: Array<{ execution: ExecutionFrame; session: BridgeSession }> = [];
    const { bridge } = await bridgeWith({ onExecution: (execution, session) => executions.push({ execution, session }) });
    const terminal = ea(bridge.port);
    await terminal.connect();
    await until(() => bridge.stats().connections.sessions === 1);
    const session = bridge.findSession({ tenantId: TENANT.tenantId, account: terminal.account })!;

    const report = await bridge.sendOrder(session.id, { client_order_id: 'c-42', symbol: 'EURUSD', side: 'buy', type: 'limit', volume: 0.1, price: 1.085123456 }, { digits: 5 });
    expect(report).toMatchObject({ type: 'execution', client_order_id: 'c-42', status: 'filled', price: 1.0851, volume: 0.1 });
    expect(terminal.received[0]).toEqual({ type: 'order', client_order_id: 'c-42', symbol: 'EURUSD', side: 'buy', order_type: 'limit', volume: 0.1, price: 1.08512 });

    const rejected = await bridge.sendOrder(session.id, { client_order_id: 'c-43', symbol: 'NOPE', side: 'sell', type: 'market', volume: 1 });
    expect(rejected).toMatchObject({ status: 'rejected', error: "unknown symbol 'NOPE'" });

    const closed = await bridge.sendClose(session.id, { client_order_id: 'c-44', symbol: 'EURUSD', ticket: 123 });
    expect(closed.status).toBe('filled');
    expect(executions.map((e) => e.execution.client_order_id)).toEqual(['c-42', 'c-43', 'c-44']);
    expect(executions.every((e) => e.session.id === session.id)).toBe(true);
  });

  it('rejects an order to a session that is gone, and one whose session drops before reporting', async () => {
    const { bridge } = await bridgeWith();
    const terminal = ea(bridge.port, { autoExecute: false });
    await terminal.connect();
    await until(() => bridge.stats().connections.sessions === 1);
    const session = bridge.stats().sessions[0]!;

    const inFlight = bridge.sendOrder(session.id, { client_order_id: 'c-1', symbol: 'EURUSD', side: 'buy', type: 'market', volume: 0.1 });
    inFlight.catch(() => undefined); // observed below, after the disconnect
    await terminal.until(() => terminal.received.length === 1);
    await terminal.end();
    await expect(inFlight).rejects.toMatchObject({ code: 'bridge_disconnected', message: expect.stringMatching(/disconnected before reporting c-1; it may still have executed/) });

    await expect(bridge.sendOrder(session.id, { client_order_id: 'c-2', symbol: 'EURUSD', side: 'buy', type: 'market', volume: 0.1 })).rejects.toMatchObject({
      kind: 'unavailable',
      code: 'bridge_not_connected',
      message: `MT5 session ${session.id} is not connected (it disconnected, or never existed)`,
    });
  });

  it('times out a command the EA never answers, and refuses an invalid one before sending it', async () => {
    const { bridge } = await bridgeWith();
    const terminal = ea(bridge.port, { autoExecute: false });
    await terminal.connect();
    await until(() => bridge.stats().connections.sessions === 1);
    const { id } = bridge.stats().sessions[0]!;
    await expect(bridge.sendOrder(id, { client_order_id: 'c-9', symbol: 'EURUSD', side: 'buy', type: 'market', volume: 0.1 }, { timeoutMs: 100 })).rejects.toMatchObject({
      code: 'bridge_command_timeout',
    });
    await expect(bridge.sendOrder(id, { client_order_id: 'c-10', symbol: 'EURUSD', side: 'buy', type: 'limit', volume: 0.1 })).rejects.toMatchObject({
      code: 'invalid_bridge_command',
    });
    expect(terminal.received).toHaveLength(1);
  });
});

describe('MT5 bridge server: flow control and reconnects', () => {
  it('pauses a socket while an async onTick lags, and still delivers everything in order', async () => {
    let maxQueued = 0;
    const seen: Tick[] = [];
    let bridgeRef: BridgeServer | undefined;
    const { bridge } = await bridgeWith({
      maxQueuedTicks: 200,
      onTick: async (tick) => {
        maxQueued = Math.max(maxQueued, bridgeRef?.stats().queuedTicks ?? 0);
        if (seen.length % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
        seen.push(tick);
      },
    });
    bridgeRef = bridge;
    const series = tickSeries('GBPUSD', 5_000, 3);
    const terminal = ea(bridge.port);
    terminal.enqueue(...series.map((t) => SimulatedEa.tickLine(t)));
    await terminal.connect();
    let sawPause = false;
    const streaming = terminal.stream({ maxPacket: 4_000 });
    await until(() => {
      sawPause ||= bridge.stats().sessions[0]?.paused === true;
      return seen.length === 5_000;
    }, 20_000, 'all ticks');
    await streaming;
    expect(sawPause).toBe(true);
    // Bounded: the limit plus at most one socket read's worth of frames.
    expect(maxQueued).toBeLessThan(200 + 1_000);
    expect(seen.map((t) => t.timeMs)).toEqual(series.map((t) => t.timeMsc));
  });

  it('lets a reconnect take over a half-open old connection without losing or reordering its ticks', async () => {
    const { bridge, ticks } = await bridgeWith({ replaceGraceMs: 200 });
    const series = tickSeries('XAUUSD', 400, 5);
    const old = ea(bridge.port, { seed: 1 });
    await old.connect();
    await old.write(series.slice(0, 200).map((t) => `${SimulatedEa.tickLine(t)}\n`).join(''));
    await until(() => ticks.length === 200);
    // The terminal gives up on the old socket without closing it and connects again; the old
    // one still delivers a late frame during the grace period, before the new one's frames.
    const fresh = ea(bridge.port, { seed: 2 });
    await fresh.connect();
    await fresh.write(series.slice(250).map((t) => `${SimulatedEa.tickLine(t)}\n`).join(''));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await old.write(series.slice(200, 250).map((t) => `${SimulatedEa.tickLine(t)}\n`).join(''));
    await old.until(() => old.closed, 3_000);
    await until(() => ticks.length === 400);
    expect(ticks.map((t) => t.tick.timeMs)).toEqual(series.map((t) => t.timeMsc));
    expect(old.received).toContainEqual(expect.objectContaining({ type: 'error', reason: 'replaced' }));
    expect(bridge.stats().connections.sessions).toBe(1);
    expect(bridge.findSession({ tenantId: TENANT.tenantId, account: fresh.account })!.id).toBe(ticks.at(-1)!.session.id);
  });

  it('routes a command to the terminal’s new connection while the old one is handed over', async () => {
    const { bridge } = await bridgeWith({ replaceGraceMs: 200 });
    const old = ea(bridge.port, { autoExecute: false });
    await old.connect();
    await until(() => bridge.stats().connections.sessions === 1);
    const oldSession = bridge.stats().sessions[0]!.id;
    const inFlight = bridge.sendOrder(oldSession, { client_order_id: 'c-old', symbol: 'EURUSD', side: 'buy', type: 'market', volume: 0.1 });
    await old.until(() => old.received.length === 1);

    const fresh = ea(bridge.port);
    await fresh.connect();
    await until(() => bridge.stats().sessions[0]?.state === 'handing_over');
    // The terminal answers the old order on its new socket; a new order goes there too.
    await fresh.write('{"type":"execution","client_order_id":"c-old","ticket":1,"status":"filled","price":1.1,"volume":0.1}\n');
    const next = await bridge.sendOrder(oldSession, { client_order_id: 'c-new', symbol: 'EURUSD', side: 'sell', type: 'market', volume: 0.2 });
    expect(next).toMatchObject({ client_order_id: 'c-new', status: 'filled' });
    expect(await inFlight).toMatchObject({ client_order_id: 'c-old', ticket: 1 });
    expect(fresh.received.map((m) => m.client_order_id)).toEqual(['c-new']);
  });

  it('survives an onTick that throws: counted, and the next ticks still arrive', async () => {
    const seen: number[] = [];
    let calls = 0;
    const { bridge } = await bridgeWith({
      onTick: (tick) => {
        calls += 1;
        if (calls === 2) throw new Error('engine hiccup');
        seen.push(tick.timeMs);
      },
    });
    const terminal = ea(bridge.port);
    await terminal.connect();
    const series = tickSeries('EURUSD', 3);
    await terminal.write(series.map((t) => `${SimulatedEa.tickLine(t)}\n`).join(''));
    await until(() => calls === 3);
    expect(seen).toEqual([series[0]!.timeMsc, series[2]!.timeMsc]);
    expect(bridge.stats().handlerErrors).toBe(1);
    expect(terminal.closed).toBe(false);
  });

  it('exposes its counters as Prometheus metrics and drops sessions on disconnect()', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const { bridge } = await bridgeWith({ metrics });
    const terminal = ea(bridge.port);
    await terminal.connect();
    await terminal.write(`${SimulatedEa.tickLine(tickSeries('EURUSD', 1)[0]!)}\nnope\n`);
    await until(() => bridge.stats().frames === 3);
    const text = await metrics.registry.metrics();
    expect(text).toContain('tradepilot_bridge_frames_total{type="tick"} 1');
    expect(text).toContain('tradepilot_bridge_frames_rejected_total{reason="invalid_json"} 1');
    expect(text).toContain('tradepilot_bridge_sessions 1');
    expect(bridge.disconnect({ tokenId: TENANT.tokenId })).toBe(1);
    await terminal.until(() => terminal.closed);
    await bridge.close();
    expect(await metrics.registry.metrics()).not.toContain('tradepilot_bridge');
  });
});
