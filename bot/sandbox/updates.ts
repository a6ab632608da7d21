import type { Update } from '@grammyjs/types';
import type { Logger } from 'pino';
import { BotApiError } from './errors';

export type UpdateType = Exclude<keyof Update, 'update_id'>;

/** Telegram's default when allowed_updates is empty: everything except these three. */
const NOT_BY_DEFAULT: ReadonlySet<string> = new Set(['chat_member', 'message_reaction', 'message_reaction_count']);

/** tdlib caps the long polling timeout at 50 seconds. */
export const MAX_LONG_POLL_TIMEOUT_SECONDS = 50;

/** tdlib answers at most one conflicting request per 3 seconds at once; the others wait 3 seconds. */
const CONFLICT_THROTTLE_MS = 3_000;

export const CONFLICT_OTHER_GET_UPDATES = 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running';
export const CONFLICT_SET_WEBHOOK = 'Conflict: terminated by setWebhook request';
export const CONFLICT_WEBHOOK_ACTIVE = "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";

interface Pending {
  update: Update;
  createdAt: number;
}

interface LongPoll {
  from: number;
  limit: number;
  resolve: (updates: Update[]) => void;
  reject: (error: BotApiError) => void;
  timer: NodeJS.Timeout;
  wakeScheduled: boolean;
}

export interface UpdateQueueOptions {
  botId: number;
  maxPending: number;
  ttlMs: number;
  now: () => number;
  logger: Logger;
}

/**
 * The update queue of one bot with tdlib's semantics (telegram-bot-api Client.cpp,
 * `do_get_updates` / `abort_long_poll`):
 * - an update is confirmed, and forgotten, once getUpdates is called with a higher offset;
 *   a negative offset keeps only the last -offset updates;
 * - a long poll (timeout > 0 and nothing to return) replaces the one already waiting: the
 *   NEW request wins and the OLD one is answered 409 "terminated by other getUpdates request";
 *   a request that returns at once leaves a waiting long poll alone;
 * - 409 answers are throttled to one per 3 seconds, the rest are answered after 3 seconds;
 * - allowed_updates filters updates when they are created, not when they are read.
 */
export class UpdateQueue {
  private items: Pending[] = [];
  private nextUpdateId = 1;
  private allowed: ReadonlySet<string> | undefined;
  private poll: LongPoll | undefined;
  private nextConflictAt = 0;
  private readonly delayedConflicts = new Map<NodeJS.Timeout, () => void>();
  private readonly listeners = new Set<() => void>();
  private closed = false;

  constructor(private readonly options: UpdateQueueOptions) {}

  /** allowed_updates as given to getUpdates / setWebhook; an empty list means Telegram's default. */
  setAllowedUpdates(types: readonly string[] | undefined): void {
    if (types === undefined) return;
    this.allowed = types.length === 0 ? undefined : new Set(types);
  }

  allowedUpdates(): string[] | undefined {
    return this.allowed === undefined ? undefined : [...this.allowed];
  }

  private isAllowed(type: string): boolean {
    return this.allowed === undefined ? !NOT_BY_DEFAULT.has(type) : this.allowed.has(type);
  }

  /** Queues an update (its type is its single key besides update_id); undefined when filtered out. */
  push(body: Partial<Omit<Update, 'update_id'>>): Update | undefined {
    const type = Object.keys(body)[0];
    if (type === undefined || !this.isAllowed(type)) return undefined;
    const update = { update_id: this.nextUpdateId++, ...body } as Update;
    this.items.push({ update, createdAt: this.options.now() });
    if (this.items.length > this.options.maxPending) {
      const dropped = this.items.splice(0, this.items.length - this.options.maxPending);
      this.options.logger.warn({ botId: this.options.botId, dropped: dropped.length }, 'sandbox update queue full: dropped the oldest updates');
    }
    this.wake();
    for (const listener of this.listeners) listener();
    return update;
  }

  onPush(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  pendingCount(): number {
    this.expire();
    return this.items.length;
  }

  /** The oldest pending update (webhook delivery sends them one by one, in order). */
  peek(): Update | undefined {
    this.expire();
    return this.items[0]?.update;
  }

  /** Removes one delivered update. */
  acknowledge(updateId: number): void {
    this.items = this.items.filter((item) => item.update.update_id !== updateId);
  }

  dropPending(): void {
    this.items = [];
  }

  private expire(): void {
    const oldest = this.options.now() - this.options.ttlMs;
    if (this.items.length > 0 && this.items[0]!.createdAt < oldest) {
      const before = this.items.length;
      this.items = this.items.filter((item) => item.createdAt >= oldest);
      this.options.logger.warn({ botId: this.options.botId, dropped: before - this.items.length }, 'sandbox dropped updates nobody fetched in time');
    }
  }

  /** Applies `offset` (confirming what it confirms) and returns the id to read from. */
  private applyOffset(offset: number): number {
    this.expire();
    const head = this.items[0]?.update.update_id ?? this.nextUpdateId;
    let from = offset;
    if (from <= 0) {
      if (from < 0 && this.items.length > 0) from += this.nextUpdateId;
      if (from < head) from = head;
    }
    if (from > this.nextUpdateId) return head; // tdlib: an offset beyond the queue confirms nothing
    this.items = this.items.filter((item) => item.update.update_id >= from);
    return from;
  }

  private read(from: number, limit: number): Update[] {
    const result: Update[] = [];
    for (const item of this.items) {
      if (result.length >= limit) break;
      if (item.update.update_id >= from) result.push(item.update);
    }
    return result;
  }

  /** getUpdates. Resolves with updates, or rejects with a 409 when another request supersedes it. */
  getUpdates(offset: number, limit: number, timeoutSeconds: number, signal?: AbortSignal): Promise<Update[]> {
    const from = this.applyOffset(offset);
    const ready = this.read(from, limit);
    if (ready.length > 0 || timeoutSeconds <= 0 || this.closed) return Promise.resolve(ready);

    this.abortLongPoll(CONFLICT_OTHER_GET_UPDATES);
    return new Promise<Update[]>((resolve, reject) => {
      const poll: LongPoll = {
        from,
        limit,
        resolve,
        reject,
        wakeScheduled: false,
        timer: setTimeout(() => this.finishPoll(poll, this.read(poll.from, poll.limit)), timeoutSeconds * 1000),
      };
      this.poll = poll;
      // The client went away (grammY aborts its request in bot.stop()): forget the poll.
      signal?.addEventListener('abort', () => this.finishPoll(poll, []), { once: true });
    });
  }

  private finishPoll(poll: LongPoll, updates: Update[]): void {
    if (this.poll !== poll) return;
    clearTimeout(poll.timer);
    this.poll = undefined;
    poll.resolve(updates);
  }

  private wake(): void {
    const poll = this.poll;
    if (poll === undefined || poll.wakeScheduled) return;
    poll.wakeScheduled = true;
    // Answer on the next turn so updates created together arrive in one batch.
    setImmediate(() => this.finishPoll(poll, this.read(poll.from, poll.limit)));
  }

  /** Ends the waiting long poll with a 409 (another getUpdates, or setWebhook). */
  abortLongPoll(description: string): void {
    const poll = this.poll;
    if (poll === undefined) return;
    clearTimeout(poll.timer);
    this.poll = undefined;
    this.conflict(description, poll.reject);
  }

  /** Answers a request with 409, throttled as tdlib's `fail_query_conflict`. */
  conflict(description: string, reject: (error: BotApiError) => void): void {
    const error = new BotApiError(409, description);
    const now = this.options.now();
    if (now >= this.nextConflictAt || this.closed) {
      this.nextConflictAt = now + CONFLICT_THROTTLE_MS;
      reject(error);
      return;
    }
    const fire = () => reject(error);
    const timer = setTimeout(() => {
      this.delayedConflicts.delete(timer);
      fire();
    }, CONFLICT_THROTTLE_MS);
    this.delayedConflicts.set(timer, fire);
  }

  /** Shutdown: the waiting long poll gets an empty result, delayed 409s go out now. */
  close(): void {
    this.closed = true;
    const poll = this.poll;
    if (poll !== undefined) this.finishPoll(poll, []);
    for (const [timer, fire] of this.delayedConflicts) {
      clearTimeout(timer);
      fire();
    }
    this.delayedConflicts.clear();
    this.listeners.clear();
  }
}
