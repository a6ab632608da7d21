import type { BusEvent } from '../../core/events';
import type { Logger } from '../../core/logger';
import {
  assertBusOptions,
  BUS_DEFAULTS,
  claimIntervalMs,
  deadLetterStream,
  deliverEntry,
  encodeEvent,
  maxLenFor,
  resolveSubscribeOptions,
  type Bus,
  type BusHandler,
  type BusOptions,
  type DeadLetter,
  type PendingEntry,
  type StreamStats,
  type SubscribeOptions,
  type Subscription,
} from '../ports';
import { formatId, type Delivered, type MemoryStore, type MemoryStream } from './store';

/**
 * The bus in process, with the Redis bus's semantics (consumer groups, pending entries,
 * redelivery after claimIdleMs, dead letters, trimming that keeps what groups need), so
 * code and tests behave the same without Redis. One process only.
 */
export class MemoryBus implements Bus {
  private readonly subscriptions = new Set<MemorySubscription>();

  constructor(
    private readonly store: MemoryStore,
    private readonly namespace: string,
    private readonly logger: Logger,
    private readonly options: BusOptions = {},
  ) {
    assertBusOptions(options);
  }

  key(stream: string): string {
    return `${this.namespace}${stream}`;
  }

  async publish(stream: string, event: BusEvent): Promise<string> {
    const payload = encodeEvent(event);
    const target = this.store.stream(this.key(stream));
    const id = target.add({ event: payload });
    target.trim(maxLenFor(this.options, stream));
    return id;
  }

  subscribe(stream: string, options: SubscribeOptions, handler: BusHandler): Subscription {
    const resolved = resolveSubscribeOptions(options);
    const key = this.key(stream);
    const subscription = new MemorySubscription({
      stream,
      source: this.store.stream(key),
      dead: this.store.stream(deadLetterStream(key)),
      clock: this.store.clock,
      options: resolved,
      handler,
      deadLetterMaxLen: this.options.deadLetterMaxLen ?? BUS_DEFAULTS.deadLetterMaxLen,
      logger: this.logger.child({ component: 'bus', stream, group: resolved.group, consumer: resolved.consumer }),
      onStopped: (s) => this.subscriptions.delete(s),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  async pending(stream: string, group: string, limit = 100): Promise<PendingEntry[]> {
    const source = this.store.existingStream(this.key(stream));
    const state = source?.groups.get(group);
    if (!source || !state) return [];
    const now = this.store.clock();
    return source
      .pendingIds(state)
      .slice(0, limit)
      .map((id) => {
        const info = state.pel.get(id)!;
        return { id, consumer: info.consumer, idleMs: Math.max(0, now - info.deliveredAt), deliveries: info.deliveries };
      });
  }

  async deadLetters(stream: string, limit = 100): Promise<DeadLetter[]> {
    const dead = this.store.existingStream(deadLetterStream(this.key(stream)));
    if (!dead) return [];
    return dead.entries
      .slice(-limit)
      .reverse()
      .map(({ key, fields: f }) => ({
        id: key,
        originalId: f.originalId ?? '',
        stream: f.stream ?? stream,
        group: f.group ?? '',
        consumer: f.consumer ?? '',
        reason: f.reason ?? '',
        deliveries: Number(f.deliveries ?? 0),
        payload: f.payload ?? '',
        atMs: Number(f.atMs ?? 0),
      }));
  }

  async stats(stream: string): Promise<StreamStats> {
    const source = this.store.existingStream(this.key(stream));
    if (!source) return { length: 0, groups: [] };
    return {
      length: source.entries.length,
      groups: [...source.groups].map(([name, group]) => ({
        name,
        pending: group.pel.size,
        lag: source.entries.length - source.indexAfter(group.lastDelivered),
        lastDeliveredId: formatId(group.lastDelivered),
      })),
    };
  }

  async trim(stream: string): Promise<number> {
    return this.store.existingStream(this.key(stream))?.trim(maxLenFor(this.options, stream)) ?? 0;
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
  }
}

interface SubscriptionDeps {
  stream: string;
  source: MemoryStream;
  dead: MemoryStream;
  clock: () => number;
  options: Required<SubscribeOptions>;
  handler: BusHandler;
  deadLetterMaxLen: number;
  logger: Logger;
  onStopped: (subscription: MemorySubscription) => void;
}

class MemorySubscription implements Subscription {
  readonly ready: Promise<void>;
  private stopping = false;
  private cancelWait: (() => void) | undefined;
  private nextClaimAt = 0;
  private readonly done: Promise<void>;

  constructor(private readonly deps: SubscriptionDeps) {
    deps.source.createGroup(deps.options.group, deps.options.startFrom);
    this.ready = Promise.resolve();
    this.done = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.cancelWait?.();
    await this.done;
  }

  private async run(): Promise<void> {
    const { source, options, clock, logger } = this.deps;
    // Let subscribe() return before the first handler runs, as with Redis.
    await Promise.resolve();
    while (!this.stopping) {
      try {
        if (clock() >= this.nextClaimAt) {
          const claimed = source.autoClaim(options.group, options.consumer, options.claimIdleMs, options.batchSize);
          await this.handleBatch(claimed);
          if (claimed.length === options.batchSize) continue;
          this.nextClaimAt = clock() + claimIntervalMs(options.claimIdleMs);
        }
        if (this.stopping) break;
        const batch = source.readGroup(options.group, options.consumer, options.batchSize);
        if (batch.length > 0) {
          await this.handleBatch(batch);
          continue;
        }
        const wait = source.waitForEntry(Math.max(1, Math.min(options.blockMs, this.nextClaimAt - clock())));
        this.cancelWait = wait.cancel;
        await wait.promise;
        this.cancelWait = undefined;
      } catch (error) {
        // Only a bug can get here (the store does no I/O); keep the loop alive but not hot.
        logger.error({ err: error }, 'bus subscription failed; retrying');
        const wait = source.waitForEntry(1_000);
        this.cancelWait = wait.cancel;
        await wait.promise;
      }
    }
    this.deps.onStopped(this);
  }

  private async handleBatch(batch: Delivered[]): Promise<void> {
    const { source, options } = this.deps;
    for (let i = 0; i < batch.length; i++) {
      if (this.stopping) {
        for (const entry of batch.slice(i)) source.handBack(options.group, entry.id, options.claimIdleMs, entry.deliveries - 1);
        return;
      }
      await this.handle(batch[i]!);
    }
  }

  private async handle(entry: Delivered): Promise<void> {
    const { source, dead, stream, options, handler, logger, clock, deadLetterMaxLen } = this.deps;
    const group = source.group(options.group);
    await deliverEntry({ id: entry.id, payload: entry.fields.event, deliveries: entry.deliveries }, options.maxDeliveries, handler, logger, {
      ack: async () => {
        source.ack(options.group, entry.id);
      },
      deadLetter: async (reason) => {
        if (!source.ack(options.group, entry.id)) return; // settled elsewhere already
        dead.add({
          originalId: entry.id,
          stream,
          group: options.group,
          consumer: options.consumer,
          reason,
          deliveries: String(entry.deliveries),
          payload: entry.fields.event ?? JSON.stringify(entry.fields),
          atMs: String(clock()),
        });
        dead.cap(deadLetterMaxLen);
      },
      recordError: async (message) => {
        group.errors.set(entry.id, message);
      },
      lastError: async () => group.errors.get(entry.id) ?? null,
    });
  }
}
