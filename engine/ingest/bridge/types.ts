import type { Logger, Metrics } from '../../../core';
import type { Tick } from '../../market/types';
import type { ExecutionFrame } from '../mt5';
import type { BridgeTokenIdentity } from './tokens';

/** One authenticated EA connection, as handlers see it. The same object for the session's whole life. */
export interface BridgeSession {
  readonly id: string;
  readonly tenantId: string;
  readonly tokenId: string;
  /** MT5 account login (ACCOUNT_LOGIN). */
  readonly account: string;
  /** MT5 trade server name (ACCOUNT_SERVER), e.g. "ICMarketsSC-Demo". */
  readonly server: string;
  readonly remoteAddress: string;
  readonly protocolVersion: number;
  /** Epoch ms of the accepted hello. */
  readonly connectedAt: number;
  /** Broker server time − UTC, in minutes: tick time_msc − this = UTC. */
  readonly tzOffsetMinutes: number;
  readonly tzOffsetSource: 'hello' | 'config' | 'default';
  /**
   * `Tick.source` of this session's ticks: `mt5:<server>:<account>` (past 64 characters, cut
   * and ended with a hash); the same for every session of the terminal.
   */
  readonly source: string;
}

/** Why the engine closes a connection; sent to the EA as `{"type":"error","reason":…,"message":…}`. */
export type BridgeErrorReason =
  | 'unauthorized'
  | 'invalid_hello'
  | 'unsupported_version'
  | 'hello_timeout'
  | 'heartbeat_timeout'
  | 'replaced'
  | 'server_full'
  | 'shutting_down'
  | 'unavailable';

export interface BridgeServerOptions {
  /** TCP port (`MT5_BRIDGE_PORT`); 0 picks a free one (see `BridgeServer.port`). */
  port: number;
  /** Interface to listen on; default all interfaces (terminals usually run on other machines). */
  host?: string;
  /** Resolves a hello's token to its tenant, or null to refuse it (e.g. `createBridgeTokens(db).verify`). */
  verifyToken(token: string): Promise<BridgeTokenIdentity | null> | BridgeTokenIdentity | null;
  /**
   * Every valid tick, in the order the terminal sent it (across a reconnect too). May return a
   * promise: the account's next ticks then wait for it, and a full queue pauses the socket.
   * A throw or rejection is logged and counted; the connection goes on.
   */
  onTick(tick: Tick, session: BridgeSession): void | PromiseLike<void>;
  /**
   * A session opened: the terminal's hello was accepted and its frames are about to flow (on a
   * reconnect, once the old connection has handed over). A throw is logged; the session goes on.
   */
  onSession?(session: BridgeSession): void;
  /** Every execution report, including ones no pending sendOrder/sendClose waits for (late fills). */
  onExecution?(execution: ExecutionFrame, session: BridgeSession): void;
  /**
   * Configured broker offset (server time − UTC, minutes) for a terminal, used when its hello
   * has no `tz_offset_minutes`. Undefined → 0 (UTC).
   */
  tzOffsetMinutes?(terminal: { tenantId: string; account: string; server: string }): number | undefined;
  logger: Logger;
  metrics?: Metrics;
  /** Longest frame in bytes; longer lines are skipped and counted as `line_too_long` (default 8192). */
  maxLineBytes?: number;
  /** A connection must send a valid hello within this (default 10 000 ms). */
  helloTimeoutMs?: number;
  /** A session that sends nothing for this long is closed (default 30 000 ms; the EA beats every 10 s). */
  heartbeatTimeoutMs?: number;
  /** Open TCP connections at most; one more is answered `server_full` and closed (default 1000). */
  maxConnections?: number;
  /** Ticks queued per account behind an async onTick before its socket pauses (default 10 000). */
  maxQueuedTicks?: number;
  /** sendOrder/sendClose reject when no execution report arrives within this (default 30 000 ms). */
  commandTimeoutMs?: number;
  /**
   * When a terminal reconnects while its old connection is still open, the old one is read until
   * the EA closes it or it has been silent this long (default 2 000 ms), so that no tick it
   * carried is lost or overtaken by the new connection's.
   */
  replaceGraceMs?: number;
}

export interface CommandOptions {
  /** Overrides `commandTimeoutMs` (limit orders may take long to fill). */
  timeoutMs?: number;
}

export interface OrderOptions extends CommandOptions {
  /** The symbol's digits: prices are rounded to them (see encodeOrder). */
  digits?: number;
}

export interface BridgeSessionStats extends BridgeSession {
  state: 'open' | 'handing_over';
  lastFrameAt: number;
  frames: number;
  ticks: number;
  rejects: Record<string, number>;
  /** Reading is paused because the engine has not caught up with this account's ticks. */
  paused: boolean;
  pendingCommands: number;
  /** Last heartbeat's time, converted to UTC with the session's offset, minus the engine's clock; null before one. */
  clockSkewMs: number | null;
}

export interface BridgeStats {
  connections: {
    /** TCP connections open now (authenticated or not). */
    open: number;
    /** Authenticated sessions open now. */
    sessions: number;
    /** TCP connections accepted since start. */
    total: number;
    /** Hellos accepted since start. */
    authenticated: number;
  };
  /** Non-empty lines received, valid or not. */
  frames: number;
  ticks: number;
  heartbeats: number;
  executions: number;
  /** Skipped lines by reason (`invalid_json`, `line_too_long`, `missing_field:bid`, …). */
  rejects: Record<string, number>;
  /** Closed connections by reason (`client_closed`, `unauthorized`, `heartbeat_timeout`, …). */
  closes: Record<string, number>;
  /** onTick calls that threw or rejected. */
  handlerErrors: number;
  queuedTicks: number;
  sessions: BridgeSessionStats[];
}

export interface BridgeServer {
  /** The port actually listened on. */
  readonly port: number;
  /** Sends an order; resolves with the EA's execution report (filled, partial or rejected). */
  sendOrder(sessionId: string, order: import('../mt5').OrderCommand, options?: OrderOptions): Promise<ExecutionFrame>;
  sendClose(sessionId: string, close: import('../mt5').CloseCommand, options?: CommandOptions): Promise<ExecutionFrame>;
  session(sessionId: string): BridgeSession | undefined;
  /** The open session of a terminal (the newest, during a reconnect). */
  findSession(terminal: { tenantId: string; account: string; server?: string }): BridgeSession | undefined;
  /** Closes matching sessions (e.g. after revoking a token); returns how many. */
  disconnect(match: { sessionId?: string; tenantId?: string; tokenId?: string }): number;
  stats(): BridgeStats;
  /** Stops accepting, ends every connection, waits for queued ticks to be handled. */
  close(): Promise<void>;
}
