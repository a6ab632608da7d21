import type { Socket } from 'node:net';
import { ConflictError, UnavailableError, type Logger } from '../../../core';
import type { Tick } from '../../market/types';
import { FrameDecoder, parseFrame, type DecodedFrame, type ExecutionFrame, type FrameDecoderRejectReason, type FrameSink, type HelloFrame } from '../mt5';
import { lineSample } from './bad-frame-log';
import type { DeliveryLane } from './lane';
import { SymbolCache, fastTick, tickFromFrame } from './tick-frame';
import type { BridgeTokenIdentity } from './tokens';
import type { BridgeErrorReason, BridgeSession, BridgeSessionStats } from './types';

/**
 * One EA's TCP connection: framing, the hello handshake, the frame loop, commands and their
 * execution reports. The server (ConnectionHost) owns what spans connections: token checks,
 * which connection of an account is current, delivery lanes, totals.
 *
 * States: hello → verifying (token being checked, socket paused) → [waiting (an older
 * connection of the same terminal is still being read)] → open → closed. Frames that arrive
 * behind the hello while verifying/waiting are held and processed, in order, on open.
 */
export type ConnectionState = 'hello' | 'verifying' | 'waiting' | 'open' | 'closed';

export interface ServerTotals {
  frames: number;
  ticks: number;
  heartbeats: number;
  executions: number;
  rejects: Map<string, number>;
}

export interface ConnectionHost {
  readonly totals: ServerTotals;
  readonly maxLineBytes: number;
  readonly helloTimeoutMs: number;
  readonly replaceGraceMs: number;
  verifyToken(token: string): Promise<BridgeTokenIdentity | null> | BridgeTokenIdentity | null;
  /** A hello passed: attach the session and open it, or queue it behind the terminal's current connection. */
  admit(connection: BridgeConnection, identity: BridgeTokenIdentity, hello: HelloFrame, helloTzOffsetMinutes: number | undefined): void;
  opened(connection: BridgeConnection): void;
  closed(connection: BridgeConnection, previous: ConnectionState): void;
  /** An execution report arrived: settle the waiting command (on whichever connection of the terminal holds it). */
  execution(connection: BridgeConnection, frame: ExecutionFrame): void;
  badFrame(reason: string, context: Record<string, unknown>): void;
}

interface PendingCommand {
  resolve(frame: ExecutionFrame): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** Real-world offsets span UTC−12 … UTC+14. */
const MIN_TZ_OFFSET = -12 * 60;
const MAX_TZ_OFFSET = 14 * 60;
/** A heartbeat this far off UTC after conversion means the offset is wrong (or DST moved it). */
const SKEW_WARNING_MS = 10 * 60_000;
/** A replaced connection is closed after this at the latest, even if it is still sending. */
const HANDOVER_CAP_MS = 10_000;
/** After sending an error frame, the EA has this long to close before the socket is destroyed. */
const END_GRACE_MS = 2_000;

export class BridgeConnection {
  state: ConnectionState = 'hello';
  session: BridgeSession | undefined;
  /** tenant | account | server: the terminal this connection speaks for. */
  terminalKey: string | undefined;
  lane: DeliveryLane<Tick, BridgeSession> | undefined;
  /** The newer connection of the same terminal that takes over when this one closes. */
  successor: BridgeConnection | undefined;
  /** Reading paused because the lane is full (not silence: exempt from the heartbeat timeout). */
  paused = false;
  handingOver = false;
  readonly openedAt = Date.now();
  lastFrameAt = this.openedAt;
  frames = 0;
  ticks = 0;
  clockSkewMs: number | null = null;
  closeReason: string | undefined;
  offsetMs = 0;
  log: Logger;

  private readonly decoder: FrameDecoder;
  private readonly symbols = new SymbolCache();
  private readonly rejects = new Map<string, number>();
  private readonly pending = new Map<string, PendingCommand>();
  private held: DecodedFrame[] = [];
  /** Frames and decoder rejects seen, to tell whether a chunk completed any. */
  private framesSeen = 0;
  private readonly sink: FrameSink = {
    frame: (line, invalidUtf8) => this.onFrame(line, invalidUtf8, null),
    reject: (reason) => this.onFrame('', false, reason),
  };
  private handoverTimer: NodeJS.Timeout | undefined;
  private handoverStartedAt = 0;
  private skewWarned = false;
  private refused = false;

  constructor(
    readonly socket: Socket,
    readonly remoteAddress: string,
    private readonly host: ConnectionHost,
    logger: Logger,
  ) {
    this.log = logger;
    this.decoder = new FrameDecoder({ maxLineBytes: host.maxLineBytes });
    // Engine → EA commands are single small lines; Nagle would hold them back ~40 ms.
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      this.closeReason ??= 'client_closed';
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.closeReason ??= 'socket_error';
      this.log.debug({ code: error.code, message: error.message }, 'bridge socket error');
    });
    socket.on('close', () => this.onClose());
  }

  // ---- input ----

  private onData(chunk: Buffer): void {
    const before = this.framesSeen;
    this.decoder.feed(chunk, this.sink);
    this.handoverTimer?.refresh();
    if (this.framesSeen === before) return;
    this.lastFrameAt = Date.now();
    this.pauseIfBehind();
  }

  /** One frame or decoder reject, as the decoder cuts it out (or as held frames are replayed). */
  private onFrame(line: string, invalidUtf8: boolean, reason: FrameDecoderRejectReason | null): void {
    this.framesSeen += 1;
    switch (this.state) {
      case 'open':
        if (reason !== null) this.reject(reason);
        else this.processLine(line);
        return;
      case 'hello':
        if (!this.refused) this.helloLine(line, reason);
        return;
      case 'verifying':
      case 'waiting':
        this.held.push(reason !== null ? { type: 'reject', reason } : { type: 'frame', line, invalidUtf8 });
        return;
      case 'closed':
        return;
    }
  }

  /** Before the hello: rejects are counted, the first frame must be a valid hello. */
  private helloLine(line: string, reason: FrameDecoderRejectReason | null): void {
    if (reason !== null) {
      this.reject(reason);
      return;
    }
    this.frames += 1;
    this.host.totals.frames += 1;
    const parsed = parseFrame(line);
    if (!parsed.ok) {
      this.reject(parsed.reason, line);
      return;
    }
    if (parsed.frame.type !== 'hello') {
      this.refuse('unauthorized', 'the first frame must be a hello with a bridge token');
      return;
    }
    if (parsed.frame.version !== 1) {
      this.refuse('unsupported_version', `protocol version ${parsed.frame.version} is not supported; this engine speaks version 1`);
      return;
    }
    const tz = helloTzOffset(line);
    if (tz === 'invalid') {
      this.reject('invalid_field:tz_offset_minutes', line);
      this.refuse('invalid_hello', `tz_offset_minutes must be whole minutes between ${MIN_TZ_OFFSET} and ${MAX_TZ_OFFSET}`);
      return;
    }
    // Frames behind the hello (in this chunk or later ones) are held until the token is checked.
    this.held = [];
    this.verify(parsed.frame, tz);
  }

  private verify(hello: HelloFrame, tz: number | undefined): void {
    this.state = 'verifying';
    this.socket.pause();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`token check took longer than ${this.host.helloTimeoutMs} ms`)), this.host.helloTimeoutMs);
    });
    Promise.race([Promise.resolve().then(() => this.host.verifyToken(hello.token)), timeout])
      .finally(() => clearTimeout(timer))
      .then(
        (identity) => {
          // Refused meanwhile (shutdown): drop. Closed meanwhile (the EA sent its frames and hung
          // up): still admitted, so that the frames it sent are delivered.
          if (this.refused || (this.state !== 'verifying' && this.state !== 'closed')) return;
          if (!identity) {
            this.refuse('unauthorized', 'invalid bridge token');
            return;
          }
          this.host.admit(this, identity, hello, tz);
        },
        (error: unknown) => {
          if (this.refused || (this.state !== 'verifying' && this.state !== 'closed')) return;
          this.log.warn({ err: error }, 'could not check a bridge token; refusing the connection for now');
          this.refuse('unavailable', 'the engine cannot check bridge tokens right now; retry later');
        },
      );
  }

  /** The server accepted the hello and this connection is the terminal's current one. */
  open(): void {
    this.state = 'open';
    this.host.opened(this);
    this.flushHeld();
    if (this.successor) this.beginHandover();
    if (!this.paused && !this.socket.destroyed) this.socket.resume();
  }

  /** Processes frames held while verifying/waiting (also for a connection that closed meanwhile). */
  flushHeld(): void {
    const held = this.held;
    this.held = [];
    for (const frame of held) {
      if (frame.type === 'reject') this.reject(frame.reason);
      else this.processLine(frame.line);
    }
    this.pauseIfBehind();
  }

  private processLine(line: string): void {
    const lane = this.lane!;
    const session = this.session!;
    const totals = this.host.totals;
    this.frames += 1;
    totals.frames += 1;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      this.reject('invalid_json', line);
      return;
    }
    if (typeof raw === 'object' && raw !== null && (raw as { type?: unknown }).type === 'tick') {
      const tick = fastTick(raw as Record<string, unknown>, this.offsetMs, session.source, this.symbols);
      if (tick) {
        this.ticks += 1;
        totals.ticks += 1;
        lane.push(tick, session);
        return;
      }
    }
    this.slowFrame(line, lane, session);
  }

  /** The engine has fallen behind this account's ticks: stop reading until its lane has room. */
  private pauseIfBehind(): void {
    const lane = this.lane;
    if (!lane || this.state !== 'open' || this.paused || !lane.full) return;
    this.paused = true;
    this.socket.pause();
    lane.whenRoom(() => {
      this.paused = false;
      // Time spent paused was the engine's delay, not the EA's silence.
      this.lastFrameAt = Date.now();
      if (this.state === 'open') this.socket.resume();
    });
  }

  /** Everything that is not a well-formed tick: parseFrame gives the verdict and the reason. */
  private slowFrame(line: string, lane: DeliveryLane<Tick, BridgeSession>, session: BridgeSession): void {
    const parsed = parseFrame(line);
    if (!parsed.ok) {
      this.reject(parsed.reason, line);
      return;
    }
    const frame = parsed.frame;
    const totals = this.host.totals;
    switch (frame.type) {
      case 'tick':
        this.ticks += 1;
        totals.ticks += 1;
        lane.push(tickFromFrame(frame, this.offsetMs, session.source), session);
        return;
      case 'heartbeat':
        totals.heartbeats += 1;
        this.checkClock(frame.time_msc, session);
        return;
      case 'execution':
        totals.executions += 1;
        this.host.execution(this, frame);
        return;
      case 'hello':
        this.reject('unexpected_hello');
        return;
    }
  }

  private checkClock(serverTimeMs: number, session: BridgeSession): void {
    const now = Date.now();
    this.clockSkewMs = serverTimeMs - this.offsetMs - now;
    if (this.skewWarned || Math.abs(this.clockSkewMs) < SKEW_WARNING_MS) return;
    this.skewWarned = true;
    const suggested = Math.round((serverTimeMs - now) / 60_000 / 15) * 15;
    this.log.warn(
      { tzOffsetMinutes: session.tzOffsetMinutes, tzOffsetSource: session.tzOffsetSource, skewMinutes: Math.round(this.clockSkewMs / 60_000), suggestedTzOffsetMinutes: suggested },
      'the terminal clock converted with this tz offset is far from UTC: tick times are probably shifted (wrong offset, or DST changed)',
    );
  }

  private reject(reason: string, line?: string): void {
    this.rejects.set(reason, (this.rejects.get(reason) ?? 0) + 1);
    const totals = this.host.totals.rejects;
    totals.set(reason, (totals.get(reason) ?? 0) + 1);
    this.host.badFrame(reason, {
      session: this.session?.id,
      account: this.session?.account,
      remote: this.remoteAddress,
      ...(line === undefined ? {} : { bytes: Buffer.byteLength(line), sample: lineSample(line) }),
    });
  }

  // ---- output ----

  /**
   * Writes a command and resolves with its execution report. A connection still waiting for its
   * predecessor to finish may take commands: it is the socket the EA reads now.
   */
  command(line: string, clientOrderId: string, timeoutMs: number): Promise<ExecutionFrame> {
    const session = this.session!;
    if ((this.state !== 'open' && this.state !== 'waiting') || !this.writable()) {
      return Promise.reject(new UnavailableError('bridge_not_connected', `MT5 session ${session.id} (${session.account}@${session.server}) is not connected`));
    }
    if (this.pending.has(clientOrderId)) {
      return Promise.reject(new ConflictError('bridge_duplicate_order_id', `a command with client_order_id ${clientOrderId} is already waiting for its execution report`));
    }
    return new Promise<ExecutionFrame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(clientOrderId);
        reject(
          new UnavailableError(
            'bridge_command_timeout',
            `no execution report for ${clientOrderId} from ${session.account}@${session.server} within ${timeoutMs} ms; it may still execute (a late report goes to onExecution)`,
          ),
        );
      }, timeoutMs);
      this.pending.set(clientOrderId, { resolve, reject, timer });
      this.socket.write(line);
    });
  }

  get pendingCommands(): number {
    return this.pending.size;
  }

  /** Resolves the command this report answers, if this connection holds it. */
  settle(frame: ExecutionFrame): boolean {
    const pending = this.pending.get(frame.client_order_id);
    if (!pending) return false;
    this.pending.delete(frame.client_order_id);
    clearTimeout(pending.timer);
    pending.resolve(frame);
    return true;
  }

  /** Commands still waiting for a report, handed to the terminal's next connection. */
  adoptPending(from: BridgeConnection): void {
    for (const [id, pending] of from.pending) if (!this.pending.has(id)) this.pending.set(id, pending);
    from.pending.clear();
  }

  /** The terminal is gone: nobody will report on these commands through this bridge. */
  rejectPending(): void {
    if (this.pending.size === 0) return;
    const session = this.session!;
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(
        new UnavailableError(
          'bridge_disconnected',
          `MT5 session ${session.id} (${session.account}@${session.server}) disconnected before reporting ${id}; it may still have executed (a late report goes to onExecution)`,
        ),
      );
    }
    this.pending.clear();
  }

  /** Sends `{"type":"error",…}` and closes; the EA reconnects on its own schedule. */
  refuse(reason: BridgeErrorReason, message: string): void {
    if (this.state === 'closed' || this.refused) return;
    this.refused = true;
    this.closeReason ??= reason;
    if (this.writable()) this.socket.end(errorLine(reason, message));
    else this.socket.destroy();
    setTimeout(() => this.socket.destroy(), END_GRACE_MS).unref();
  }

  /**
   * A newer connection of this terminal is waiting. This one keeps being read (its frames are
   * older) until the EA closes it or it has been silent for replaceGraceMs; then it is closed
   * and the successor opens.
   */
  beginHandover(): void {
    if (this.handingOver || this.state !== 'open') return;
    this.handingOver = true;
    this.closeReason ??= 'replaced';
    if (this.writable()) this.socket.write(errorLine('replaced', 'a newer connection of this terminal takes over'));
    this.handoverStartedAt = Date.now();
    this.handoverTimer = setTimeout(() => this.handoverExpired(), this.host.replaceGraceMs);
    this.handoverTimer.unref();
  }

  private handoverExpired(): void {
    if (this.state === 'closed') return;
    const overdue = Date.now() - this.handoverStartedAt >= Math.max(HANDOVER_CAP_MS, 5 * this.host.replaceGraceMs);
    if (this.paused && !overdue) {
      // Still behind on ticks it already sent: not silence. Look again later.
      this.handoverTimer?.refresh();
      return;
    }
    if (overdue) this.log.warn('the replaced connection kept sending: are two terminals streaming the same account? closing the old one');
    this.socket.destroy();
  }

  private writable(): boolean {
    return !this.socket.destroyed && this.socket.writable && !this.socket.writableEnded;
  }

  private onClose(): void {
    const previous = this.state;
    this.state = 'closed';
    clearTimeout(this.handoverTimer);
    this.closeReason ??= 'client_closed';
    // An unterminated last frame (the EA died mid-write) is counted, not guessed at.
    for (const frame of this.decoder.end()) if (frame.type === 'reject' && previous !== 'hello') this.reject(frame.reason);
    this.host.closed(this, previous);
  }

  stats(): BridgeSessionStats {
    return {
      ...this.session!,
      state: this.handingOver ? 'handing_over' : 'open',
      lastFrameAt: this.lastFrameAt,
      frames: this.frames,
      ticks: this.ticks,
      rejects: Object.fromEntries(this.rejects),
      paused: this.paused,
      pendingCommands: this.pending.size,
      clockSkewMs: this.clockSkewMs,
    };
  }
}

function errorLine(reason: BridgeErrorReason, message: string): string {
  return `${JSON.stringify({ type: 'error', reason, message })}\n`;
}

/**
 * `tz_offset_minutes` of a hello (not part of helloFrame, whose schema drops unknown keys).
 * Undefined when absent; 'invalid' when present but not whole minutes within UTC−12…UTC+14.
 */
export function helloTzOffset(line: string): number | undefined | 'invalid' {
  const value = (JSON.parse(line) as Record<string, unknown>).tz_offset_minutes;
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < MIN_TZ_OFFSET || value > MAX_TZ_OFFSET) return 'invalid';
  return value;
}
