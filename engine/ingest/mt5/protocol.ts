import { z } from 'zod';
import { InvalidInputError } from '../../../core/errors';

/**
 * The MT5 bridge messages (DESIGN.md, "MT5 bridge protocol"): newline-delimited JSON, one
 * object per line, keyed by `type`. Field names follow MQL5 (`time_msc`, `volume_real`) so
 * the EA can write them straight from MqlTick.
 */

/** Same rule as the bus's tick event, so an accepted tick can be published as is. */
const symbol = z.string().regex(/^[A-Za-z0-9._#-]{1,32}$/);
const timeMsc = z.number().int().nonnegative();
const finite = z.number().finite();
/**
 * The EA copies the client order id into the MT5 order comment, which holds 31 characters,
 * and reads it back with a minimal JSON extractor that does not unescape: so 1-31 characters
 * that never need escaping.
 */
export const clientOrderId = z.string().regex(/^[A-Za-z0-9_-]{1,31}$/, 'client_order_id: 1-31 letters, digits, _ or -');
/** MT5 tickets are ulong; JSON numbers are exact up to 2^53, far beyond real ticket numbers. */
const ticket = z
  .union([z.number(), z.string().regex(/^\d{1,16}$/).transform(Number)])
  .pipe(z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER));

// ---- EA → engine ----

export const helloFrame = z.object({
  type: z.literal('hello'),
  version: z.number().int().positive(),
  // ACCOUNT_LOGIN is a long in MQL5; DESIGN.md sends it as a string. Accept both, keep a string.
  account: z.union([z.string(), z.number().int().nonnegative()]).transform(String).pipe(z.string().min(1).max(64)),
  server: z.string().min(1).max(128),
  token: z.string().min(1).max(512),
  /** Broker server time − UTC in minutes, as the EA works it out; the bridge checks its range. */
  tz_offset_minutes: z.number().finite().optional(),
});

export const tickFrame = z.object({
  type: z.literal('tick'),
  symbol,
  time_msc: timeMsc,
  bid: finite.nonnegative(),
  ask: finite.nonnegative(),
  last: finite.nonnegative().default(0),
  /** MqlTick.volume (ulong, lots for exchange symbols, often 0 for forex). */
  volume: finite.nonnegative().default(0),
  /** MqlTick.volume_real, the precise volume where the broker sends one. */
  volume_real: finite.nonnegative().optional(),
  /** MqlTick.flags: TICK_FLAG_BID=2 | ASK=4 | LAST=8 | VOLUME=16 | BUY=32 | SELL=64. */
  flags: z.number().int().nonnegative().default(0),
});

export const heartbeatFrame = z.object({
  type: z.literal('heartbeat'),
  time_msc: timeMsc,
});

export const executionFrame = z.object({
  type: z.literal('execution'),
  client_order_id: clientOrderId,
  ticket,
  status: z.enum(['filled', 'rejected', 'partial']),
  price: finite.nonnegative(),
  volume: finite.nonnegative(),
  /** MT5's retcode and/or its description when rejected. */
  error: z.union([z.string().max(512), z.number().int()]).transform(String).optional(),
});

export const eaFrame = z.discriminatedUnion('type', [helloFrame, tickFrame, heartbeatFrame, executionFrame]);

export type HelloFrame = z.infer<typeof helloFrame>;
export type TickFrame = z.infer<typeof tickFrame>;
export type HeartbeatFrame = z.infer<typeof heartbeatFrame>;
export type ExecutionFrame = z.infer<typeof executionFrame>;
/** Every message the EA sends, after validation. */
export type EaFrame = z.infer<typeof eaFrame>;
export type EaFrameType = EaFrame['type'];

const EA_SCHEMAS = { hello: helloFrame, tick: tickFrame, heartbeat: heartbeatFrame, execution: executionFrame } as const;

export type ParseFrameResult = { ok: true; frame: EaFrame } | { ok: false; reason: string };

/** Precise, countable reason from the first zod issue: `missing_field:bid`, `invalid_field:status`. */
function reasonFor(issues: readonly z.core.$ZodIssue[], raw: Record<string, unknown>): string {
  const issue = issues[0];
  if (!issue) return 'invalid_frame';
  const field = issue.path.map(String).join('.') || '(root)';
  const top = issue.path[0];
  const missing = typeof top === 'string' && raw[top] === undefined;
  return missing ? `missing_field:${field}` : `invalid_field:${field}`;
}

/**
 * Validates one frame line from the EA. Never throws: a bad line gives a reason
 * (`invalid_json`, `not_an_object`, `missing_field:type`, `unknown_type`, `missing_field:bid`,
 * `invalid_field:status`, …) to count and log, and the connection goes on.
 */
export function parseFrame(line: string): ParseFrameResult {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { ok: false, reason: 'invalid_json' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, reason: 'not_an_object' };
  const record = raw as Record<string, unknown>;
  if (record.type === undefined) return { ok: false, reason: 'missing_field:type' };
  if (typeof record.type !== 'string' || !Object.hasOwn(EA_SCHEMAS, record.type)) return { ok: false, reason: 'unknown_type' };
  const schema = EA_SCHEMAS[record.type as EaFrameType];
  const result = schema.safeParse(record);
  if (!result.success) return { ok: false, reason: reasonFor(result.error.issues, record) };
  return { ok: true, frame: result.data };
}

// ---- engine → EA ----

const positive = finite.positive();

export const orderCommand = z
  .object({
    client_order_id: clientOrderId,
    symbol,
    side: z.enum(['buy', 'sell']),
    volume: positive,
    type: z.enum(['market', 'limit', 'stop']),
    /** Required for limit and stop orders; ignored by the EA for market orders. */
    price: positive.optional(),
    sl: positive.optional(),
    tp: positive.optional(),
  })
  .refine((order) => order.type === 'market' || order.price !== undefined, { message: 'price is required for limit and stop orders', path: ['price'] });

export const closeCommand = z.object({
  client_order_id: clientOrderId,
  /** The position to close; without it the EA closes every position of `symbol` it opened. */
  ticket: ticket.optional(),
  symbol,
  /** Partial close; without it the whole position. */
  volume: positive.optional(),
});

export type OrderCommand = z.input<typeof orderCommand>;
export type CloseCommand = z.input<typeof closeCommand>;

export interface EncodeOptions {
  /** The symbol's digits (SYMBOL_DIGITS): prices are rounded to them so float noise never reaches an order. */
  digits?: number;
}

function roundTo(value: number | undefined, digits: number | undefined): number | undefined {
  if (value === undefined || digits === undefined) return value;
  return Number(value.toFixed(digits));
}

function invalidCommand(kind: string, error: z.ZodError, raw: Record<string, unknown>): InvalidInputError {
  const issue = error.issues[0];
  return new InvalidInputError('invalid_bridge_command', `Invalid ${kind} command: ${reasonFor(error.issues, raw)}${issue ? ` (${issue.message})` : ''}`);
}

/**
 * One NDJSON line (with its `\n`) ordering the EA to place an order. Throws InvalidInputError
 * on a bad order. On the wire the order's `type` (market|limit|stop) travels as `order_type`:
 * `type` is the message's own discriminator (`"order"`), and one JSON object cannot hold both.
 */
export function encodeOrder(order: OrderCommand, options: EncodeOptions = {}): string {
  const digits = checkDigits(options.digits);
  const parsed = orderCommand.safeParse(order);
  if (!parsed.success) throw invalidCommand('order', parsed.error, order as unknown as Record<string, unknown>);
  const data = parsed.data;
  return `${JSON.stringify({
    type: 'order',
    client_order_id: data.client_order_id,
    symbol: data.symbol,
    side: data.side,
    order_type: data.type,
    volume: roundVolume(data.volume),
    price: data.type === 'market' ? undefined : roundTo(data.price, digits),
    sl: roundTo(data.sl, digits),
    tp: roundTo(data.tp, digits),
  })}\n`;
}

/** One NDJSON line (with its `\n`) ordering the EA to close a position. Throws InvalidInputError on a bad command. */
export function encodeClose(close: CloseCommand): string {
  const parsed = closeCommand.safeParse(close);
  if (!parsed.success) throw invalidCommand('close', parsed.error, close as unknown as Record<string, unknown>);
  const data = parsed.data;
  return `${JSON.stringify({
    type: 'close',
    client_order_id: data.client_order_id,
    ticket: data.ticket,
    symbol: data.symbol,
    volume: data.volume === undefined ? undefined : roundVolume(data.volume),
  })}\n`;
}

/**
 * One NDJSON line for an EA → engine message: what the EA writes, for tests and for a
 * simulated terminal. The frame is validated first, so it always passes `parseFrame`.
 */
export function encodeEaFrame(frame: z.input<typeof eaFrame>): string {
  const parsed = eaFrame.safeParse(frame);
  if (!parsed.success) throw invalidCommand(String((frame as { type?: unknown }).type), parsed.error, frame as unknown as Record<string, unknown>);
  return `${JSON.stringify(parsed.data)}\n`;
}

function checkDigits(digits: number | undefined): number | undefined {
  if (digits !== undefined && (!Number.isInteger(digits) || digits < 0 || digits > 10)) {
    throw new InvalidInputError('invalid_bridge_command', `digits must be a whole number 0-10, got ${digits}`);
  }
  return digits;
}

/** Lots: volume steps are ≥ 1e-8, so 8 decimals remove float noise (0.30000000000000004) and nothing else. */
function roundVolume(volume: number): number {
  return Number(volume.toFixed(8));
}
