import type { Redis } from 'ioredis';
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
import { quit, type RedisConnection } from './connect';
import { deadLetterScript, publishScript, trimScript } from './scripts';
import { callRedis } from './errors';

type RawEntry = [id: string, fields: string[] | null];

/** Reads the `event` field of a raw entry, or a JSON dump of its fields when there is none. */
function payloadOf(fields: string[]): { event: string | undefined; payload: string } {
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) record[fields[i]!] = fields[i + 1]!;
  const event = record.event;
  return { event, payload: event ?? JSON.stringify(record) };
}

function fieldsToRecord(fields: unknown): Record<string, string> {
  const record: Record<string, string> = {};
  if (!Array.isArray(fields)) return record;
  for (let i = 0; i + 1 < fields.length; i += 2) record[String(fields[i])] = String(fields[i + 1]);
  return record;
}

/** NOGROUP, or a blocked read released because its stream key was deleted (Redis 7: "UNBLOCKED … no longer exists"). */
const isNoGroup = (error: unknown) => error instanceof Error && (error.message.includes('NOGROUP') || error.message.includes('no longer exists'));
const sleep = (ms: number, signal: { wake?: () => void }) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });

/**
 * The bus over Redis Streams. Entries hold one field, `event`, the JSON of a validated
 * BusEvent. Delivery is at least once: an entry is acked only after its handler resolved,
 * so a crash between handler and ack hands it out again (handlers must be idempotent).
 */
export class RedisBus implements Bus {
  private readonly subscriptions = new Set<RedisSubscription>();

  constructor(
    private readonly connection: RedisConnection,
    private readonly namespace: string,
    private readonly logger: Logger,
    private readonly options: BusOptions = {},
  ) {
    assertBusOptions(options);
  }

  private get client(): Redis {
    return this.connection.client;
  }

  key(stream: string): string {
    return `${this.namespace}${stream}`;
  }

  async publish(stream: string, event: BusEvent): Promise<string> {
    const payload = encodeEvent(event);
    return String(await callRedis('publish', () => publishScript.run(this.client, [this.key(stream)], [payload, maxLenFor(this.options, stream)])));
  }

  subscribe(stream: string, options: SubscribeOptions, handler: BusHandler): Subscription {
    const resolved = resolveSubscribeOptions(options);
    const subscription = new RedisSubscription({
      stream,
      key: this.key(stream),
      connection: this.connection,
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
    try {
      const rows = (await callRedis('pending', () => this.client.xpending(this.key(stream), group, '-', '+', limit))) as Array<[string, string, number, number]>;
      return rows.map(([id, consumer, idleMs, deliveries]) => ({ id, consumer, idleMs: Number(idleMs), deliveries: Number(deliveries) }));
    } catch (error) {
      if (isNoGroup(error)) return [];
      throw error;
    }
  }

  async deadLetters(stream: string, limit = 100): Promise<DeadLetter[]> {
    const rows = (await callRedis('deadLetters', () => this.client.xrevrange(this.key(deadLetterStream(stream)), '+', '-', 'COUNT', limit))) as Array<[string, string[]]>;
    return rows.map(([id, fields]) => {
      const r = fieldsToRecord(fields);
      return {
        id,
        originalId: r.originalId ?? '',
        stream: r.stream ?? stream,
        group: r.group ?? '',
        consumer: r.consumer ?? '',
        reason: r.reason ?? '',
        deliveries: Number(r.deliveries ?? 0),
        payload: r.payload ?? '',
        atMs: Number(r.atMs ?? 0),
      };
    });
  }

  async stats(stream: string): Promise<StreamStats> {
    const key = this.key(stream);
    const length = Number(await callRedis('stats', () => this.client.xlen(key)));
    if (length === 0 && (await this.client.exists(key)) === 0) return { length: 0, groups: [] };
    const infos = (await callRedis('stats', () => this.client.xinfo('GROUPS', key))) as unknown[][];
    const groups: StreamStats['groups'] = [];
    for (const info of infos) {
      const r: Record<string, unknown> = {};
      for (let i = 0; i + 1 < info.length; i += 2) r[String(info[i])] = info[i + 1];
      const lastDeliveredId = String(r['last-delivered-id']);
      let lag = r.lag === null || r.lag === undefined ? null : Number(r.lag);
      if (lag === null) {
        // Redis cannot always tell (e.g. after XDEL); count what lies after the group's position.
        const after = (await this.client.xrange(key, `(${lastDeliveredId}`, '+', 'COUNT', length)) as unknown[];
        lag = after.length;
      }
      groups.push({ name: String(r.name), pending: Number(r.pending), lag, lastDeliveredId });
    }
    return { length, groups };
  }

  async trim(stream: string): Promise<number> {
    const key = this.key(stream);
    if ((await callRedis('trim', () => this.client.exists(key))) === 0) return 0;
    return Number(await callRedis('trim', () => trimScript.run(this.client, [key], [maxLenFor(this.options, stream)])));
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
  }
}

interface SubscriptionDeps {
  stream: string;
  key: string;
  connection: RedisConnection;
  options: Required<SubscribeOptions>;
  handler: BusHandler;
  deadLetterMaxLen: number;
  logger: Logger;
  onStopped: (subscription: RedisSubscription) => void;
}

interface Delivery {
  id: string;
  fields: string[];
  deliveries: number;
}

class RedisSubscription implements Subscription {
  readonly ready: Promise<void>;
  private resolveReady!: () => void;
  private stopping = false;
  private readonly done: Promise<void>;
  private readonly reader: Redis;
  private readonly sleeper: { wake?: () => void } = {};
  private groupReady = false;
  private nextClaimAt = 0;
  private claimCursor = '0-0';
  private readonly errorsKey: string;

  constructor(private readonly deps: SubscriptionDeps) {
    this.ready = new Promise((resolve) => (this.resolveReady = resolve));
    this.errorsKey = `${deps.key}:errors:${deps.options.group}`;
    this.reader = deps.connection.duplicate(`sub:${deps.options.group}:${deps.options.consumer}`.replace(/\s/g, '_'));
    this.done = this.run();
  }

  private get client(): Redis {
    return this.deps.connection.client;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.sleeper.wake?.();
    await this.done;
  }

  private async run(): Promise<void> {
    const { logger } = this.deps;
    let failures = 0;
    while (!this.stopping) {
      try {
        if (!this.groupReady) await this.ensureGroup();
        if (Date.now() >= this.nextClaimAt) await this.reclaim();
        if (this.stopping) break;
        await this.handleBatch(await this.read());
        if (failures > 0) logger.info({ failures }, 'bus subscription resumed');
        failures = 0;
      } catch (error) {
        if (this.stopping) break;
        if (isNoGroup(error)) {
          // The stream (or only the group) was deleted under us: not an outage, recreate it.
          this.groupReady = false;
          logger.warn({ err: error }, 'bus consumer group missing (stream deleted?); recreating it');
          await sleep(100, this.sleeper);
          continue;
        }
        failures++;
        // One line per outage, not one per retry; the backoff is bounded, never a hot loop.
        if (failures === 1) logger.warn({ err: error }, 'bus subscription cannot reach Redis; retrying with backoff');
        await sleep(Math.min(5_000, 100 * 2 ** Math.min(failures, 6)) + Math.floor(Math.random() * 100), this.sleeper);
      }
    }
    this.resolveReady(); // nobody should wait forever on a stopped subscription
    this.deps.onStopped(this);
    await quit(this.reader);
  }

  private async ensureGroup(): Promise<void> {
    const { key, options } = this.deps;
    try {
      await this.client.xgroup('CREATE', key, options.group, options.startFrom === 'earliest' ? '0' : '$', 'MKSTREAM');
    } catch (error) {
      if (!(error instanceof Error && error.message.includes('BUSYGROUP'))) throw error;
    }
    this.groupReady = true;
    this.resolveReady();
  }

  /** Blocks until new entries arrive, at most until the next reclaim is due. */
  private async read(): Promise<Delivery[]> {
    const { key, options } = this.deps;
    const blockMs = Math.max(1, Math.min(options.blockMs, claimIntervalMs(options.claimIdleMs)));
    const reply = (await this.reader.xreadgroup('GROUP', options.group, options.consumer, 'COUNT', options.batchSize, 'BLOCK', blockMs, 'STREAMS', key, '>')) as Array<[string, RawEntry[]]> | null;
    const entries = reply?.[0]?.[1] ?? [];
    return entries.flatMap(([id, fields]) => (fields ? [{ id, fields, deliveries: 1 }] : []));
  }

  /**
   * Takes over entries of this group idle past claimIdleMs, whoever held them: a dead
   * consumer's, or ones whose handler threw (ours included). XAUTOCLAIM is atomic, so two
   * consumers never both get one entry.
   */
  private async reclaim(): Promise<void> {
    const { key, options } = this.deps;
    for (;;) {
      const [next, claimed] = (await this.client.xautoclaim(key, options.group, options.consumer, options.claimIdleMs, this.claimCursor, 'COUNT', options.batchSize)) as [string, RawEntry[]];
      this.claimCursor = next;
      const live = claimed.filter((entry): entry is [string, string[]] => entry[1] !== null);
      if (live.length > 0) {
        // XAUTOCLAIM does not report delivery counts; ask the PEL for each claimed id.
        const pipeline = this.client.pipeline();
        for (const [id] of live) pipeline.xpending(key, options.group, id, id, 1);
        const counts = (await pipeline.exec()) ?? [];
        const failed = counts.find(([error]) => error);
        if (failed) throw failed[0];
        const batch: Delivery[] = [];
        live.forEach(([id, fields], i) => {
          const row = (counts[i]?.[1] as Array<[string, string, number, number]> | undefined)?.[0];
          if (row) batch.push({ id, fields, deliveries: Number(row[3]) });
        });
        await this.handleBatch(batch);
      }
      if (this.stopping || next === '0-0' || claimed.length < options.batchSize) break;
    }
    this.nextClaimAt = Date.now() + claimIntervalMs(options.claimIdleMs);
  }

  private async handleBatch(batch: Delivery[]): Promise<void> {
    for (let i = 0; i < batch.length; i++) {
      if (this.stopping) {
        await this.handBack(batch.slice(i));
        return;
      }
      await this.handle(batch[i]!);
    }
  }

  /**
   * Entries read but not started when stop() came: mark them idle past claimIdleMs (and
   * undo the delivery count) so another consumer's next reclaim takes them at once.
   */
  private async handBack(rest: Delivery[]): Promise<void> {
    const { key, options } = this.deps;
    const pipeline = this.client.pipeline();
    for (const entry of rest) {
      pipeline.xclaim(key, options.group, options.consumer, 0, entry.id, 'IDLE', options.claimIdleMs, 'RETRYCOUNT', entry.deliveries - 1, 'JUSTID');
    }
    await pipeline.exec();
  }

  private async handle(entry: Delivery): Promise<void> {
    const { key, options, handler, logger } = this.deps;
    const { event, payload } = payloadOf(entry.fields);
    await deliverEntry({ id: entry.id, payload: event, deliveries: entry.deliveries }, options.maxDeliveries, handler, logger, {
      ack: async () => {
        if (entry.deliveries === 1) {
          await this.client.xack(key, options.group, entry.id);
          return;
        }
        const results = (await this.client.pipeline().xack(key, options.group, entry.id).hdel(this.errorsKey, entry.id).exec()) ?? [];
        const failed = results.find(([error]) => error);
        if (failed) throw failed[0];
      },
      deadLetter: (reason) => this.deadLetter(entry, payload, reason),
      recordError: async (message) => {
        await this.client.hset(this.errorsKey, entry.id, message);
      },
      lastError: () => this.client.hget(this.errorsKey, entry.id),
    });
  }

  private async deadLetter(entry: Delivery, payload: string, reason: string): Promise<void> {
    const { key, stream, options, deadLetterMaxLen } = this.deps;
    await deadLetterScript.run(
      this.client,
      [key, deadLetterStream(key), this.errorsKey],
      [options.group, entry.id, options.consumer, reason, entry.deliveries, payload, Date.now(), deadLetterMaxLen, stream],
    );
  }
}
