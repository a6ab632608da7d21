import net from 'node:net';
import { createLogger, type Logger } from '../../../../core/logger';
import { createBridgeServer, type BridgeServer, type BridgeServerOptions, type BridgeSession } from '../../../../engine/ingest/bridge';
import type { Tick } from '../../../../engine/market/types';
import { seededRandom } from '../../../support/random';

export { seededRandom };

export const silentLogger: Logger = createLogger({ level: 'silent', pretty: false });

export const GOOD_TOKEN = 'tpb_test-token-for-the-simulated-terminal-000000';
export const TENANT = { tenantId: '00000000-0000-4000-8000-000000000001', tokenId: '00000000-0000-4000-8000-0000000000aa' };

/** A bridge on 127.0.0.1:0 that records every tick it hands to onTick. */
export async function startBridge(overrides: Partial<BridgeServerOptions> = {}): Promise<{ bridge: BridgeServer; ticks: Array<{ tick: Tick; session: BridgeSession }> }> {
  const ticks: Array<{ tick: Tick; session: BridgeSession }> = [];
  const bridge = await createBridgeServer({
    port: 0,
    host: '127.0.0.1',
    logger: silentLogger,
    verifyToken: (token) => (token === GOOD_TOKEN ? TENANT : null),
    onTick: (tick, session) => {
      ticks.push({ tick, session });
    },
    ...overrides,
  });
  return { bridge, ticks };
}

/** MQL5 senders end frames in all of these ways (DESIGN.md; engine/ingest/mt5/frame-decoder.ts). */
const TERMINATORS = ['\n', '\r\n', '\0', '\n\0', '\r\n\0'] as const;

export interface SimulatedEaOptions {
  port: number;
  token?: string;
  account?: string;
  server?: string;
  tzOffsetMinutes?: number;
  seed?: number;
  /** Answer `order`/`close` commands with an execution report (default true). */
  autoExecute?: boolean;
}

export interface TickSpec {
  symbol: string;
  timeMsc: number;
  bid: number;
  ask: number;
}

/**
 * A scripted MT5 terminal: the EA's side of the protocol over a real socket. Like the real EA it
 * keeps unsent frames in a ring buffer, and a frame only leaves the ring once all of its bytes
 * were written; after a reconnect it sends hello and then the rest of the ring, in order.
 * Unlike the real EA it can misbehave on purpose: random terminators and packet splits,
 * garbage lines, over-long lines, a disconnect in the middle of a frame.
 */
export class SimulatedEa {
  socket: net.Socket | undefined;
  /** Lines the engine sent, parsed. */
  readonly received: Array<Record<string, unknown>> = [];
  readonly ring: string[] = [];
  private readonly random: () => number;
  private inbox = '';
  private waiters: Array<() => void> = [];
  private closedFlag = true;

  constructor(readonly options: SimulatedEaOptions) {
    this.random = seededRandom(options.seed ?? 1);
  }

  get account(): string {
    return this.options.account ?? '5550001';
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Connects and, unless `hello: false`, sends hello first (then whatever the ring holds is up to the caller). */
  async connect({ hello = true }: { hello?: boolean } = {}): Promise<void> {
    const socket = net.connect({ host: '127.0.0.1', port: this.options.port });
    socket.setNoDelay(true);
    this.socket = socket;
    this.inbox = '';
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    this.closedFlag = false;
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => {
      this.closedFlag = true;
      this.wake();
    });
    if (hello) await this.write(this.helloLine());
  }

  helloLine(token = this.options.token ?? 'tpb_test-token-for-the-simulated-terminal-000000'): string {
    const hello: Record<string, unknown> = { type: 'hello', version: 1, account: this.account, server: this.options.server ?? 'Sim-Demo', token };
    if (this.options.tzOffsetMinutes !== undefined) hello.tz_offset_minutes = this.options.tzOffsetMinutes;
    return `${JSON.stringify(hello)}\n`;
  }

  static tickLine(t: TickSpec): string {
    return JSON.stringify({ type: 'tick', symbol: t.symbol, time_msc: t.timeMsc, bid: t.bid, ask: t.ask, last: 0, volume: 0, flags: 6 });
  }

  /** Queues frames (without terminators) in the ring buffer. */
  enqueue(...lines: string[]): void {
    this.ring.push(...lines);
  }

  /**
   * Sends ring frames in randomly sized packets (several frames per packet, frames split
   * across packets), each frame with a random MQL5-style terminator. `garbage(i)` may return
   * raw bytes to slip in before the i-th frame. With `stopAfterFrames`, sends that many frames
   * in full, then half of the next one, and ends the connection (the half frame stays in the ring).
   */
  async stream({ maxPacket = 300, garbage, stopAfterFrames }: { maxPacket?: number; garbage?: (index: number) => string | undefined; stopAfterFrames?: number } = {}): Promise<void> {
    let packet = '';
    let target = 1 + Math.floor(this.random() * maxPacket);
    const send = async (final: boolean) => {
      while (packet.length >= target || (final && packet.length > 0)) {
        const piece = packet.slice(0, target);
        packet = packet.slice(piece.length);
        await this.write(piece);
        // Now and then yield to the event loop so that writes leave as separate TCP segments.
        if (this.random() < 0.2) await new Promise((resolve) => setImmediate(resolve));
        target = 1 + Math.floor(this.random() * maxPacket);
      }
    };
    let sent = 0;
    while (this.ring.length > 0) {
      if (stopAfterFrames !== undefined && sent === stopAfterFrames) {
        await send(true);
        const line = this.ring[0]!;
        await this.write(line.slice(0, Math.max(1, line.length >> 1)));
        await this.end();
        return;
      }
      const junk = garbage?.(sent);
      if (junk !== undefined) packet += junk;
      const line = this.ring.shift()!;
      packet += line + TERMINATORS[Math.floor(this.random() * TERMINATORS.length)]!;
      sent += 1;
      await send(false);
    }
    await send(true);
  }

  /** Writes raw text; resolves once the socket has accepted it. */
  write(text: string): Promise<void> {
    const socket = this.socket!;
    return new Promise((resolve, reject) => {
      socket.write(text, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Graceful close (FIN), as MQL5's SocketClose does. */
  async end(): Promise<void> {
    const socket = this.socket;
    if (!socket || this.closedFlag) return;
    socket.end();
    await this.until(() => this.closedFlag, 5_000);
  }

  /** Drops the connection without a FIN, as a dying terminal or network would. */
  destroy(): void {
    this.socket?.destroy();
  }

  /** Waits until `predicate` holds (checked on every received line and on close). */
  async until(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('SimulatedEa: condition not met in time');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private onData(chunk: Buffer): void {
    this.inbox += chunk.toString('utf8');
    let newline = this.inbox.indexOf('\n');
    while (newline >= 0) {
      const line = this.inbox.slice(0, newline);
      this.inbox = this.inbox.slice(newline + 1);
      if (line.trim() !== '') {
        const message = JSON.parse(line) as Record<string, unknown>;
        this.received.push(message);
        if (this.options.autoExecute !== false) this.execute(message);
      }
      newline = this.inbox.indexOf('\n');
    }
    this.wake();
  }

  /** What the EA does with a command: fill a market order at a made-up price, or reject an unknown symbol. */
  private execute(message: Record<string, unknown>): void {
    if (message.type !== 'order' && message.type !== 'close') return;
    const rejected = message.symbol === 'NOPE';
    const report = {
      type: 'execution',
      client_order_id: message.client_order_id,
      ticket: rejected ? 0 : 900_000 + this.received.length,
      status: rejected ? 'rejected' : 'filled',
      price: rejected ? 0 : 1.0851,
      volume: rejected ? 0 : message.volume ?? 0.1,
      ...(rejected ? { error: "unknown symbol 'NOPE'" } : {}),
      symbol: message.symbol,
    };
    void this.write(`${JSON.stringify(report)}\r\n`).catch(() => undefined);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** `count` ticks of one symbol, 1 ms apart, as a random walk the quality gate would accept. */
export function tickSeries(symbol: string, count: number, seed = 7, startMs = Date.UTC(2025, 5, 2, 9)): TickSpec[] {
  const random = seededRandom(seed);
  const out: TickSpec[] = [];
  let bid = 1.085;
  for (let i = 0; i < count; i += 1) {
    bid += (random() - 0.5) * 0.00004;
    const b = Number(bid.toFixed(5));
    out.push({ symbol, timeMsc: startMs + i, bid: b, ask: Number((b + 0.00012).toFixed(5)) });
  }
  return out;
}

export function until(predicate: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (predicate()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(check, 5);
    };
    check();
  });
}
