import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { InvalidInputError, UnavailableError, type Logger } from '../../../core';
import type { Tick } from '../../market/types';
import { encodeClose, encodeOrder, type ExecutionFrame, type HelloFrame } from '../mt5';
import { BadFrameLog } from './bad-frame-log';
import { BridgeConnection, type ConnectionHost, type ConnectionState, type ServerTotals } from './connection';
import { DeliveryLane } from './lane';
import { registerBridgeMetrics } from './metrics';
import { terminalSource } from './terminal-source';
import type { BridgeTokenIdentity } from './tokens';
import type { BridgeServer, BridgeServerOptions, BridgeSession, BridgeStats } from './types';

const DEFAULTS = {
  maxLineBytes: 8192,
  helloTimeoutMs: 10_000,
  heartbeatTimeoutMs: 30_000,
  maxConnections: 1000,
  maxQueuedTicks: 10_000,
  commandTimeoutMs: 30_000,
  replaceGraceMs: 2_000,
} as const;

/** How long close() lets EAs hang up before their sockets are destroyed. */
const CLOSE_GRACE_MS = 2_000;

/**
 * The MT5 bridge: a TCP server speaking DESIGN.md's NDJSON protocol (see README.md beside
 * this file). Resolves once listening.
 */
export async function createBridgeServer(options: BridgeServerOptions): Promise<BridgeServer> {
  const settings = {
    maxLineBytes: positive('maxLineBytes', options.maxLineBytes ?? DEFAULTS.maxLineBytes),
    helloTimeoutMs: positive('helloTimeoutMs', options.helloTimeoutMs ?? DEFAULTS.helloTimeoutMs),
    heartbeatTimeoutMs: positive('heartbeatTimeoutMs', options.heartbeatTimeoutMs ?? DEFAULTS.heartbeatTimeoutMs),
    maxConnections: positive('maxConnections', options.maxConnections ?? DEFAULTS.maxConnections),
    maxQueuedTicks: positive('maxQueuedTicks', options.maxQueuedTicks ?? DEFAULTS.maxQueuedTicks),
    commandTimeoutMs: positive('commandTimeoutMs', options.commandTimeoutMs ?? DEFAULTS.commandTimeoutMs),
    replaceGraceMs: positive('replaceGraceMs', options.replaceGraceMs ?? DEFAULTS.replaceGraceMs),
  };
  const logger = options.logger.child({ component: 'mt5-bridge' });
  const badFrames = new BadFrameLog(logger);

  const connections = new Set<BridgeConnection>();
  /** Open sessions by id. */
  const sessions = new Map<string, BridgeConnection>();
  /** Per terminal, the connection whose frames are being delivered now; newer ones hang off it as `successor`s. */
  const current = new Map<string, BridgeConnection>();
  const lanes = new Map<string, DeliveryLane<Tick, BridgeSession>>();
  const totals: ServerTotals = { frames: 0, ticks: 0, heartbeats: 0, executions: 0, rejects: new Map() };
  const closes = new Map<string, number>();
  let accepted = 0;
  let authenticated = 0;
  let handlerErrors = 0;
  let closing: Promise<void> | undefined;

  const countClose = (reason: string) => closes.set(reason, (closes.get(reason) ?? 0) + 1);

  const laneFor = (key: string): DeliveryLane<Tick, BridgeSession> => {
    let lane = lanes.get(key);
    if (!lane) {
      lane = new DeliveryLane<Tick, BridgeSession>({
        deliver: options.onTick,
        limit: settings.maxQueuedTicks,
        onError(error, session) {
          handlerErrors += 1;
          badFrames.report('handler_error', { session: session.id, account: session.account, err: error });
        },
      });
      lanes.set(key, lane);
    }
    return lane;
  };

  const host: ConnectionHost = {
    totals,
    maxLineBytes: settings.maxLineBytes,
    helloTimeoutMs: settings.helloTimeoutMs,
    replaceGraceMs: settings.replaceGraceMs,
    verifyToken: (token) => options.verifyToken(token),

    admit(connection: BridgeConnection, identity: BridgeTokenIdentity, hello: HelloFrame, helloTz: number | undefined) {
      if (closing) {
        connection.refuse('shutting_down', 'the engine is shutting down');
        return;
      }
      const terminal = { tenantId: identity.tenantId, account: hello.account, server: hello.server };
      // The EA knows its broker's offset today (DST included); configuration is the fallback.
      const configured = helloTz === undefined ? options.tzOffsetMinutes?.(terminal) : undefined;
      const tzOffsetMinutes = helloTz ?? configured ?? 0;
      const session: BridgeSession = Object.freeze({
        id: randomUUID(),
        tenantId: identity.tenantId,
        tokenId: identity.tokenId,
        account: hello.account,
        server: hello.server,
        remoteAddress: connection.remoteAddress,
        protocolVersion: hello.version,
        connectedAt: Date.now(),
        tzOffsetMinutes,
        tzOffsetSource: helloTz !== undefined ? 'hello' : configured !== undefined ? 'config' : 'default',
        source: terminalSource(hello.server, hello.account),
      });
      const key = `${identity.tenantId}\u0000${hello.account}\u0000${hello.server}`;
      connection.session = session;
      connection.terminalKey = key;
      connection.offsetMs = tzOffsetMinutes * 60_000;
      connection.lane = laneFor(key);
      connection.log = connection.log.child({ session: session.id, tenantId: session.tenantId, account: session.account, server: session.server });
      authenticated += 1;
      if (connection.state === 'closed') {
        connection.flushHeld();
        connection.log.info({ frames: connection.frames }, 'MT5 terminal hung up before its token was checked; its frames were delivered');
        return;
      }
      const head = current.get(key);
      if (!head) {
        current.set(key, connection);
        connection.open();
        return;
      }
      // A reconnect while the old connection is still open (often half-open: the EA gave up on
      // it). Its remaining frames are older than the new one's, so the new one waits.
      let tail = head;
      while (tail.successor) tail = tail.successor;
      tail.successor = connection;
      connection.state = 'waiting';
      if (tail === head) head.beginHandover();
    },

    opened(connection) {
      const session = connection.session!;
      sessions.set(session.id, connection);
      connection.log.info({ remote: session.remoteAddress, tzOffsetMinutes: session.tzOffsetMinutes, tzOffsetSource: session.tzOffsetSource }, 'MT5 terminal connected');
      if (!options.onSession) return;
      try {
        options.onSession(session);
      } catch (error) {
        connection.log.error({ err: error }, 'onSession failed');
      }
    },

    closed(connection: BridgeConnection, previous: ConnectionState) {
      connections.delete(connection);
      countClose(connection.closeReason ?? 'client_closed');
      const session = connection.session;
      if (!session) return;
      sessions.delete(session.id);
      // Commands waiting for a report follow the terminal to its newer connection, if it has one.
      const heir = newest(connection);
      if (heir !== connection) heir.adoptPending(connection);
      else connection.rejectPending();
      if (previous === 'open') {
        connection.log.info({ reason: connection.closeReason, frames: connection.frames, ticks: connection.ticks, seconds: Math.round((Date.now() - session.connectedAt) / 1000) }, 'MT5 terminal disconnected');
      }
      const key = connection.terminalKey!;
      if (current.get(key) !== connection) return; // a waiting connection: its turn comes when its predecessor closes
      // Hand the terminal to the next waiting connection; ones that closed while waiting
      // still deliver the frames they held, in order.
      let next = connection.successor;
      while (next && next.state !== 'waiting') {
        next.flushHeld();
        next = next.successor;
      }
      if (next) {
        current.set(key, next);
        next.open();
      } else {
        current.delete(key);
        const lane = lanes.get(key);
        void lane?.whenIdle().then(() => {
          if (!current.has(key) && lanes.get(key) === lane && lane.idle) lanes.delete(key);
        });
      }
    },

    execution(connection: BridgeConnection, frame: ExecutionFrame) {
      // The EA answers on the socket it uses now, which may not be the one the command went out on.
      if (!connection.settle(frame)) {
        for (let c = current.get(connection.terminalKey!); c; c = c.successor) if (c !== connection && c.settle(frame)) break;
      }
      const session = connection.session!;
      if (!options.onExecution) return;
      try {
        options.onExecution(frame, session);
      } catch (error) {
        logger.error({ err: error, session: session.id, clientOrderId: frame.client_order_id }, 'onExecution failed');
      }
    },

    badFrame(reason, context) {
      badFrames.report(reason, context);
    },
  };

  const server = net.createServer((socket) => {
    const remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    accepted += 1;
    if (closing || connections.size >= settings.maxConnections) {
      const reason = closing ? 'shutting_down' : 'server_full';
      countClose(reason);
      socket.on('error', () => undefined);
      socket.end(`${JSON.stringify({ type: 'error', reason, message: closing ? 'the engine is shutting down' : `the bridge accepts at most ${settings.maxConnections} connections` })}\n`);
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
      if (!closing) logger.warn({ remote: remoteAddress, max: settings.maxConnections }, 'bridge connection refused: too many connections');
      return;
    }
    connections.add(new BridgeConnection(socket, remoteAddress, host, logger.child({ remote: remoteAddress })));
  });
  server.on('error', (error) => logger.error({ err: error }, 'bridge server error'));

  // One sweep for every connection's hello and heartbeat deadline, instead of a timer each.
  const sweepEveryMs = Math.max(10, Math.min(1000, settings.helloTimeoutMs / 4, settings.heartbeatTimeoutMs / 4));
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const connection of connections) {
      if (connection.state === 'hello' && now - connection.openedAt >= settings.helloTimeoutMs) {
        connection.refuse('hello_timeout', `no hello within ${settings.helloTimeoutMs} ms`);
      } else if (connection.state === 'open' && !connection.paused && now - connection.lastFrameAt >= settings.heartbeatTimeoutMs) {
        connection.refuse('heartbeat_timeout', `nothing received for ${settings.heartbeatTimeoutMs} ms`);
      }
    }
    badFrames.tick(now);
  }, sweepEveryMs);
  sweep.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: unknown) => {
    clearInterval(sweep);
    throw new UnavailableError('bridge_listen_failed', `MT5 bridge cannot listen on ${options.host ?? '*'}:${options.port}: ${(error as Error).message}`, error);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  logger.info({ port, host: options.host ?? '*' }, 'MT5 bridge listening');

  const stats = (): BridgeStats => {
    let queuedTicks = 0;
    for (const lane of lanes.values()) queuedTicks += lane.backlog;
    return {
      connections: { open: connections.size, sessions: sessions.size, total: accepted, authenticated },
      frames: totals.frames,
      ticks: totals.ticks,
      heartbeats: totals.heartbeats,
      executions: totals.executions,
      rejects: Object.fromEntries(totals.rejects),
      closes: Object.fromEntries(closes),
      handlerErrors,
      queuedTicks,
      sessions: [...sessions.values()].map((c) => c.stats()),
    };
  };
  const unregisterMetrics = options.metrics ? registerBridgeMetrics(options.metrics, stats) : () => undefined;

  /** Where a command for this session goes: during a reconnect, the terminal's newest connection. */
  const open = (sessionId: string): BridgeConnection => {
    const connection = sessions.get(sessionId);
    if (!connection) throw new UnavailableError('bridge_not_connected', `MT5 session ${sessionId} is not connected (it disconnected, or never existed)`);
    return newest(connection);
  };

  return {
    port,

    async sendOrder(sessionId, order, commandOptions = {}) {
      const connection = open(sessionId);
      const line = encodeOrder(order, commandOptions.digits === undefined ? {} : { digits: commandOptions.digits });
      return connection.command(line, order.client_order_id, commandOptions.timeoutMs ?? settings.commandTimeoutMs);
    },

    async sendClose(sessionId, close, commandOptions = {}) {
      const connection = open(sessionId);
      return connection.command(encodeClose(close), close.client_order_id, commandOptions.timeoutMs ?? settings.commandTimeoutMs);
    },

    session: (sessionId) => sessions.get(sessionId)?.session,

    findSession({ tenantId, account, server: tradeServer }) {
      let found: BridgeSession | undefined;
      for (const connection of sessions.values()) {
        const s = connection.session!;
        if (s.tenantId === tenantId && s.account === account && (tradeServer === undefined || s.server === tradeServer)) {
          if (!found || s.connectedAt >= found.connectedAt) found = s;
        }
      }
      return found;
    },

    disconnect(match) {
      let n = 0;
      for (const connection of [...sessions.values()]) {
        const s = connection.session!;
        if (match.sessionId !== undefined && s.id !== match.sessionId) continue;
        if (match.tenantId !== undefined && s.tenantId !== match.tenantId) continue;
        if (match.tokenId !== undefined && s.tokenId !== match.tokenId) continue;
        connection.refuse('unauthorized', 'disconnected by the engine');
        n += 1;
      }
      return n;
    },

    stats,

    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const connection of connections) connection.refuse('shutting_down', 'the engine is shutting down');
        const force = setTimeout(() => {
          for (const connection of connections) connection.socket.destroy();
        }, CLOSE_GRACE_MS);
        force.unref();
        await stopped;
        clearTimeout(force);
        clearInterval(sweep);
        await Promise.all([...lanes.values()].map((lane) => lane.whenIdle()));
        badFrames.flush();
        unregisterMetrics();
        logger.info('MT5 bridge closed');
      })();
      return closing;
    },
  };
}

/** The last connection of a terminal's chain that is not closed (the connection itself if none is newer). */
function newest(connection: BridgeConnection): BridgeConnection {
  let found = connection;
  for (let c = connection.successor; c; c = c.successor) if (c.state !== 'closed') found = c;
  return found;
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new InvalidInputError('bridge_option_invalid', `${name} must be a positive number, got ${value}`);
  return value;
}
