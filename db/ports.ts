import { busEvent, parseEvent, type BusEvent } from '../core/events';
import { InvalidInputError } from '../core/errors';
import type { Logger } from '../core/logger';

/**
 * Shared-state ports: the small interfaces the roles use to cooperate across processes.
 * Each has a Redis implementation (`db/redis/`, scales out) and an in-process one
 * (`db/memory/`, one process only), and one contract suite that both pass
 * (`test/db/shared-state/`).
 */

// ---------------------------------------------------------------------------------------
// Bus (Redis Streams semantics)

/** One entry handed to a handler: the stream entry id, the parsed event, how many times it was handed out. */
export interface BusMessage {
  id: string;
  event: BusEvent;
  /** 1 on first delivery; grows each time the entry is reclaimed after a failed or lost attempt. */
  deliveries: number;
}

export type BusHandler = (message: BusMessage) => Promise<void>;

export interface SubscribeOptions {
  /** Consumer group: every group sees every entry; within a group each entry goes to one consumer. */
  group: string;
  /** This consumer's name inside the group (stable per process/worker, e.g. `hostname:pid`). */
  consumer: string;
  /** Entries read or reclaimed per round trip (default 10). */
  batchSize?: number;
  /** How long one read waits for new entries (default 1000 ms). Also bounds how long `stop()` can wait on an idle read. */
  blockMs?: number;
  /**
   * An entry pending this long without an ack (its consumer died or its handler threw) is
   * reclaimed by any consumer of the group (default 30 000 ms).
   */
  claimIdleMs?: number;
  /** An entry handed out more than this many times goes to the dead-letter stream (default 5). */
  maxDeliveries?: number;
  /** Where a group that does not exist yet starts: only new entries (default) or the whole stream. */
  startFrom?: 'earliest' | 'latest';
}

export interface Subscription {
  /** Resolves once the consumer group exists, so entries published afterwards will be seen. */
  readonly ready: Promise<void>;
  /** Stops reading; resolves after the in-flight handler finished (and was acked or left pending). */
  stop(): Promise<void>;
}

export interface PendingEntry {
  id: string;
  consumer: string;
  idleMs: number;
  deliveries: number;
}

/** What the dead-letter stream `<stream>:dead` holds for one entry. */
export interface DeadLetter {
  /** Id of the entry in the dead-letter stream. */
  id: string;
  /** Id the entry had in the original stream. */
  originalId: string;
  stream: string;
  group: string;
  consumer: string;
  /** Last error message, "invalid event: …", or why the entry was given up. */
  reason: string;
  deliveries: number;
  /** The entry's payload as it was stored (JSON text of the event, or whatever garbage was there). */
  payload: string;
  atMs: number;
}

export interface StreamStats {
  length: number;
  groups: Array<{
    name: string;
    /** Entries handed out and not yet acked. */
    pending: number;
    /** Entries not yet handed out to this group. */
    lag: number;
    lastDeliveredId: string;
  }>;
}

export interface Bus {
  /** Validates `event` against the bus schema (InvalidInputError naming the field) and appends it; returns the entry id. */
  publish(stream: string, event: BusEvent): Promise<string>;
  subscribe(stream: string, options: SubscribeOptions, handler: BusHandler): Subscription;
  /** Pending (handed out, not acked) entries of a group, oldest first. */
  pending(stream: string, group: string, limit?: number): Promise<PendingEntry[]>;
  /** Dead letters of a stream, newest first. */
  deadLetters(stream: string, limit?: number): Promise<DeadLetter[]>;
  stats(stream: string): Promise<StreamStats>;
  /**
   * Trims the stream towards its maxLen without dropping an entry any group still needs;
   * returns how many entries were removed. `publish` does this already; exposed for operators and tests.
   */
  trim(stream: string): Promise<number>;
  /** Stops every subscription (waiting for in-flight handlers). Does not close a shared connection. */
  close(): Promise<void>;
}

export interface BusOptions {
  /**
   * Length each stream is trimmed towards: one number for all streams, or per stream name
   * (streams not listed get DEFAULT_MAX_LEN). A stream may exceed it while a consumer group
   * lags: entries still pending or not yet delivered to some group are never trimmed.
   */
  maxLen?: number | Readonly<Record<string, number>>;
  /** Dead-letter streams are capped (approximately) at this length (default 10 000). */
  deadLetterMaxLen?: number;
}

export const BUS_DEFAULTS = {
  maxLen: 100_000,
  deadLetterMaxLen: 10_000,
  batchSize: 10,
  blockMs: 1_000,
  claimIdleMs: 30_000,
  maxDeliveries: 5,
  startFrom: 'latest',
} as const;

/** Checks BusOptions once, at construction, so a bad maxLen fails at start rather than on the first publish. */
export function assertBusOptions(options: BusOptions): void {
  const { maxLen, deadLetterMaxLen } = options;
  if (typeof maxLen === 'number') assertPositiveInt(maxLen, 'maxLen');
  else if (maxLen) for (const [stream, value] of Object.entries(maxLen)) assertPositiveInt(value, `maxLen.${stream}`);
  if (deadLetterMaxLen !== undefined) assertPositiveInt(deadLetterMaxLen, 'deadLetterMaxLen');
}

export function maxLenFor(options: BusOptions, stream: string): number {
  const { maxLen } = options;
  if (typeof maxLen === 'number') return maxLen;
  return maxLen?.[stream] ?? BUS_DEFAULTS.maxLen;
}

export const deadLetterStream = (stream: string): string => `${stream}:dead`;

// ---------------------------------------------------------------------------------------
// Locks (leases)

export interface LockManager {
  /** Takes the lease when free (or already ours, which extends it); true when `owner` holds it afterwards. */
  acquire(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Extends the lease only if `owner` still holds it. */
  renew(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Frees the lease only if `owner` holds it. */
  release(key: string, owner: string): Promise<boolean>;
  /** Current holder, or null when free. */
  owner(key: string): Promise<string | null>;
}

// ---------------------------------------------------------------------------------------
// Rate limiter (token bucket)

export interface RateLimit {
  /** Bucket size: how many can go at once after a quiet period. */
  capacity: number;
  /** Sustained rate. */
  refillPerSecond: number;
  /** Tokens this call takes (default 1); at most `capacity`. */
  cost?: number;
}

export interface RateDecision {
  allowed: boolean;
  /** 0 when allowed; otherwise how long until `cost` tokens will be there. */
  retryAfterMs: number;
  /** Whole tokens left after this call. */
  remaining: number;
}

export interface RateLimiter {
  take(key: string, limit: RateLimit): Promise<RateDecision>;
}

// ---------------------------------------------------------------------------------------
// Cache / KV (string values; callers JSON-encode)

export interface Cache {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  /** True when the key existed. */
  delete(key: string): Promise<boolean>;
  /** Sets only when absent; true when this call set it (an idempotency mark: "alert X delivered to chat Y"). */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------

export interface SharedState {
  kind: 'redis' | 'memory';
  bus: Bus;
  locks: LockManager;
  rateLimiter: RateLimiter;
  cache: Cache;
  /** True when the backing store answers (always true in memory). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------
// Rules both implementations share, so they agree on validation and wire format.

/** Validates an event before it is written; the error names the first offending field. */
export function encodeEvent(event: unknown): string {
  const result = busEvent.safeParse(event);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue ? issue.path.join('.') || '(root)' : '(root)';
    throw new InvalidInputError('invalid_event', `invalid event: ${field}: ${issue?.message ?? 'unknown'}`, { field });
  }
  return JSON.stringify(result.data);
}

/** Parses a stored payload; anything that is not a bus event gets the reason it goes to dead letters with. */
export function decodePayload(payload: string | undefined): { ok: true; event: BusEvent } | { ok: false; reason: string } {
  if (payload === undefined) return { ok: false, reason: 'invalid event: entry has no "event" field' };
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return { ok: false, reason: `invalid event: not JSON: ${payload.slice(0, 80)}` };
  }
  return parseEvent(value);
}

export function assertPositiveInt(value: number, name: string): void {
  if (!Number.isInteger(value) || value <= 0) throw new InvalidInputError('invalid_argument', `${name} must be a positive whole number, got ${value}`, { field: name });
}

export function assertRateLimit(limit: RateLimit): number {
  const cost = limit.cost ?? 1;
  if (!(Number.isFinite(limit.capacity) && limit.capacity > 0)) throw new InvalidInputError('invalid_argument', `capacity must be > 0, got ${limit.capacity}`, { field: 'capacity' });
  if (!(Number.isFinite(limit.refillPerSecond) && limit.refillPerSecond > 0)) throw new InvalidInputError('invalid_argument', `refillPerSecond must be > 0, got ${limit.refillPerSecond}`, { field: 'refillPerSecond' });
  // A cost above capacity could never be granted: refusing it loudly beats a caller waiting forever.
  if (!(Number.isFinite(cost) && cost >= 0 && cost <= limit.capacity)) throw new InvalidInputError('invalid_argument', `cost must be between 0 and capacity (${limit.capacity}), got ${cost}`, { field: 'cost' });
  return cost;
}

/** The subscribe options with defaults applied and checked. */
export function resolveSubscribeOptions(options: SubscribeOptions): Required<SubscribeOptions> {
  const resolved = {
    group: options.group,
    consumer: options.consumer,
    batchSize: options.batchSize ?? BUS_DEFAULTS.batchSize,
    blockMs: options.blockMs ?? BUS_DEFAULTS.blockMs,
    claimIdleMs: options.claimIdleMs ?? BUS_DEFAULTS.claimIdleMs,
    maxDeliveries: options.maxDeliveries ?? BUS_DEFAULTS.maxDeliveries,
    startFrom: options.startFrom ?? BUS_DEFAULTS.startFrom,
  };
  if (!resolved.group) throw new InvalidInputError('invalid_argument', 'group must not be empty', { field: 'group' });
  if (!resolved.consumer) throw new InvalidInputError('invalid_argument', 'consumer must not be empty', { field: 'consumer' });
  for (const name of ['batchSize', 'blockMs', 'claimIdleMs', 'maxDeliveries'] as const) assertPositiveInt(resolved[name], name);
  return resolved;
}

/**
 * How often a consumer looks for entries to reclaim: often enough that an entry idle past
 * claimIdleMs waits at most about half as long again, never more than every 5 s.
 */
export const claimIntervalMs = (claimIdleMs: number): number => Math.max(10, Math.min(5_000, Math.floor(claimIdleMs / 2)));

/** What a consumer loop can do with the entry it is delivering (each implementation binds these). */
export interface DeliveryActions {
  ack(): Promise<void>;
  deadLetter(reason: string): Promise<void>;
  /** Remember why the handler failed, for the dead letter if the entry is given up later elsewhere. */
  recordError(message: string): Promise<void>;
  lastError(): Promise<string | null>;
}

/**
 * The delivery policy both buses follow for one entry:
 * - not a valid event → dead letter at once ("invalid event: …");
 * - handed out more than maxDeliveries times (its consumers kept dying) → dead letter;
 * - handler resolves → ack; handler throws → stays pending for redelivery after claimIdleMs,
 *   or, on its maxDeliveries-th failure, dead letter with the error message.
 * So a handler sees one entry at most maxDeliveries times.
 */
export async function deliverEntry(
  entry: { id: string; payload: string | undefined; deliveries: number },
  maxDeliveries: number,
  handler: BusHandler,
  logger: Logger,
  actions: DeliveryActions,
): Promise<void> {
  const decoded = decodePayload(entry.payload);
  if (!decoded.ok) {
    logger.warn({ id: entry.id, reason: decoded.reason }, 'bus entry is not a valid event; dead-lettered');
    await actions.deadLetter(decoded.reason);
    return;
  }
  if (entry.deliveries > maxDeliveries) {
    const lastError = await actions.lastError();
    logger.error({ id: entry.id, deliveries: entry.deliveries }, 'bus entry handed out more than maxDeliveries times; dead-lettered');
    await actions.deadLetter(`delivered ${entry.deliveries} times without being acknowledged; last error: ${lastError ?? 'none recorded (consumer stopped mid-handler)'}`);
    return;
  }
  try {
    await handler({ id: entry.id, event: decoded.event, deliveries: entry.deliveries });
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).slice(0, 2_000) || 'handler failed without a message';
    if (entry.deliveries >= maxDeliveries) {
      logger.error({ err: error, id: entry.id, deliveries: entry.deliveries }, 'bus handler failed for the last allowed time; dead-lettered');
      await actions.deadLetter(message);
    } else {
      logger.warn({ err: error, id: entry.id, deliveries: entry.deliveries }, 'bus handler failed; entry stays pending for redelivery');
      await actions.recordError(message);
    }
    return;
  }
  await actions.ack();
}
