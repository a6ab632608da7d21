import { tooManyRequests } from './errors';

/**
 * Telegram's limits as the sandbox enforces them, and the caps that keep its memory
 * bounded. Every value can be overridden through `createTelegramSandbox({ limits })`;
 * other components' tests raise the rate limits when they are not what is under test.
 */
export interface Limits {
  /** Messages a bot may send per second in total, sustained (Telegram: "about 30"). */
  botPerSecond: number;
  /** Messages a bot may send at once before the per-second rate applies. */
  botBurst: number;
  /** Messages per second to one chat, sustained (Telegram: 1). */
  chatPerSecond: number;
  /** Short burst allowed to one chat; with 2, the third message within a second gets 429. */
  chatBurst: number;
  /** Messages per minute to one group, sustained (Telegram: 20). */
  groupPerMinute: number;
  /** Burst allowed to one group before the per-minute rate applies. */
  groupBurst: number;
  /** Unconfirmed updates kept per bot; beyond it the oldest are dropped (and logged). */
  maxPendingUpdates: number;
  /** An update not fetched or delivered within this time is dropped (Telegram: 24 h). */
  updateTtlMs: number;
  /** Messages kept per chat; older ones are forgotten (then "message to edit not found"). */
  maxMessagesPerChat: number;
  /** User-side events kept per chat for `/_sandbox/.../events`. */
  maxEventsPerChat: number;
  /** Bytes of uploaded files kept in memory in total; the oldest files are evicted beyond it. */
  maxStoredFileBytes: number;
  /** Largest photo upload (Telegram: 10 MB). */
  maxPhotoBytes: number;
  /** Largest document upload (Telegram: 50 MB). */
  maxDocumentBytes: number;
  /** How long a callback query may wait for answerCallbackQuery before it is "too old". */
  callbackAnswerTimeoutMs: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  botPerSecond: 30,
  botBurst: 30,
  chatPerSecond: 1,
  chatBurst: 2,
  groupPerMinute: 20,
  groupBurst: 20,
  maxPendingUpdates: 10_000,
  updateTtlMs: 24 * 60 * 60 * 1000,
  maxMessagesPerChat: 1_000,
  maxEventsPerChat: 1_000,
  maxStoredFileBytes: 256 * 1024 * 1024,
  maxPhotoBytes: 10 * 1024 * 1024,
  maxDocumentBytes: 50 * 1024 * 1024,
  callbackAnswerTimeoutMs: 15_000,
});

export function resolveLimits(overrides: Partial<Limits> | undefined): Limits {
  const limits = { ...DEFAULT_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) {
      throw new TypeError(`limits.${name} must be a positive number (Infinity switches a rate limit off), got ${String(value)}`);
    }
  }
  return limits;
}

/** A classic token bucket; `Infinity` as rate or capacity never runs dry. */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly capacity: number,
    private readonly perMs: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.updatedAt = now;
  }

  private refill(now: number): void {
    if (now > this.updatedAt) {
      this.tokens = Math.min(this.capacity, this.tokens + (now - this.updatedAt) * this.perMs);
      this.updatedAt = now;
    }
  }

  /** Milliseconds until one token is available (0 when one is available now). */
  waitMs(now: number): number {
    if (this.capacity === Infinity || this.perMs === Infinity) return 0;
    this.refill(now);
    return this.tokens >= 1 ? 0 : (1 - this.tokens) / this.perMs;
  }

  take(now: number): void {
    if (this.capacity === Infinity || this.perMs === Infinity) return;
    this.refill(now);
    this.tokens -= 1;
  }

  isFull(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.capacity;
  }
}

/** What a Bot API call costs against the limits. */
export type RateCost = 'send' | 'edit';

/**
 * The rate limits of one sandbox. Sends (sendMessage, sendPhoto, sendDocument, …) count
 * against all three buckets: the bot's, the chat's and, in groups, the group's. Edits count
 * against the bot's bucket only: Telegram is lenient with a bot editing its own message in
 * reply to a button, and counting edits per chat would make ordinary menus flood.
 * answerCallbackQuery, sendChatAction, deleteMessage and getters are not counted.
 * A call is checked against every bucket first and takes a token only when all allow it,
 * so a refused call costs nothing.
 */
export class RateLimiter {
  private readonly bots = new Map<number, TokenBucket>();
  private readonly chats = new Map<string, TokenBucket>();
  private readonly groups = new Map<string, TokenBucket>();

  constructor(private readonly limits: Limits) {}

  check(botId: number, chatId: number, isGroup: boolean, cost: RateCost, now: number): void {
    this.reserve(botId, chatId, isGroup, cost, now)();
  }

  /**
   * Throws 429 when a call would exceed a limit; otherwise returns the function that charges
   * it, for callers with more validation to do before the call counts.
   */
  reserve(botId: number, chatId: number, isGroup: boolean, cost: RateCost, now: number): () => void {
    const buckets: TokenBucket[] = [this.bucket(this.bots, botId, this.limits.botBurst, this.limits.botPerSecond / 1000, now)];
    if (cost === 'send') {
      const key = `${botId}:${chatId}`;
      buckets.push(this.bucket(this.chats, key, this.limits.chatBurst, this.limits.chatPerSecond / 1000, now));
      if (isGroup) buckets.push(this.bucket(this.groups, key, this.limits.groupBurst, this.limits.groupPerMinute / 60_000, now));
    }
    const waitMs = Math.max(...buckets.map((bucket) => bucket.waitMs(now)));
    if (waitMs > 0) throw tooManyRequests(waitMs / 1000);
    return () => {
      for (const bucket of buckets) bucket.take(now);
    };
  }

  private bucket<K>(map: Map<K, TokenBucket>, key: K, capacity: number, perMs: number, now: number): TokenBucket {
    let bucket = map.get(key);
    if (bucket === undefined) {
      if (map.size >= 10_000) {
        // Full buckets carry no state worth keeping: drop them to bound memory.
        for (const [k, b] of map) if (b.isFull(now)) map.delete(k);
      }
      bucket = new TokenBucket(capacity, perMs, now);
      map.set(key, bucket);
    }
    return bucket;
  }
}
