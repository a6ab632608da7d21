/**
 * The in-process stand-in for a Redis server: streams with consumer groups, keys with
 * expiry, token buckets. Several handles (bus, locks, …) over one store see the same
 * state, like several connections to one Redis. One process only: nothing is shared
 * with another process, so multi-process roles must use Redis.
 */

export interface StreamId {
  ms: number;
  seq: number;
}

export const formatId = (id: StreamId): string => `${id.ms}-${id.seq}`;

export function parseId(id: string): StreamId {
  const [ms, seq] = id.split('-');
  return { ms: Number(ms), seq: Number(seq ?? 0) };
}

export const compareIds = (a: StreamId, b: StreamId): number => (a.ms !== b.ms ? a.ms - b.ms : a.seq - b.seq);

export interface StreamEntry {
  id: StreamId;
  key: string;
  fields: Record<string, string>;
}

export interface PendingInfo {
  consumer: string;
  deliveredAt: number;
  deliveries: number;
}

export interface ConsumerGroup {
  lastDelivered: StreamId;
  /** Pending entries list, keyed by id string. */
  pel: Map<string, PendingInfo>;
  /** Last handler error per pending id (the Redis implementation keeps a hash). */
  errors: Map<string, string>;
}

export interface Delivered {
  id: string;
  fields: Record<string, string>;
  deliveries: number;
}

export class MemoryStream {
  readonly entries: StreamEntry[] = [];
  private readonly byId = new Map<string, StreamEntry>();
  lastId: StreamId = { ms: 0, seq: 0 };
  readonly groups = new Map<string, ConsumerGroup>();
  private readonly waiters = new Set<() => void>();

  constructor(private readonly clock: () => number) {}

  add(fields: Record<string, string>): string {
    const now = this.clock();
    const id = now > this.lastId.ms ? { ms: now, seq: 0 } : { ms: this.lastId.ms, seq: this.lastId.seq + 1 };
    this.lastId = id;
    const entry = { id, key: formatId(id), fields };
    this.entries.push(entry);
    this.byId.set(entry.key, entry);
    for (const wake of [...this.waiters]) wake();
    return entry.key;
  }

  /** Resolves when an entry is added or after `ms`; `cancel` resolves it now. */
  waitForEntry(ms: number): { promise: Promise<void>; cancel: () => void } {
    let cancel = () => {};
    const promise = new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
      cancel = done;
    });
    return { promise, cancel };
  }

  createGroup(name: string, startFrom: 'earliest' | 'latest'): void {
    if (this.groups.has(name)) return;
    this.groups.set(name, { lastDelivered: startFrom === 'earliest' ? { ms: 0, seq: 0 } : { ...this.lastId }, pel: new Map(), errors: new Map() });
  }

  group(name: string): ConsumerGroup {
    const group = this.groups.get(name);
    if (!group) throw new Error(`NOGROUP no such consumer group '${name}'`);
    return group;
  }

  /** XREADGROUP … '>': new entries for the group, now pending for `consumer`. */
  readGroup(groupName: string, consumer: string, count: number): Delivered[] {
    const group = this.group(groupName);
    const out: Delivered[] = [];
    const now = this.clock();
    for (let i = this.indexAfter(group.lastDelivered); i < this.entries.length && out.length < count; i++) {
      const entry = this.entries[i]!;
      group.lastDelivered = entry.id;
      group.pel.set(entry.key, { consumer, deliveredAt: now, deliveries: 1 });
      out.push({ id: entry.key, fields: entry.fields, deliveries: 1 });
    }
    return out;
  }

  /** Index of the first entry after `id` (binary search: entries are in id order). */
  indexAfter(id: StreamId): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareIds(this.entries[mid]!.id, id) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** XAUTOCLAIM: pending entries idle at least `minIdleMs`, oldest first, now `consumer`'s. */
  autoClaim(groupName: string, consumer: string, minIdleMs: number, count: number): Delivered[] {
    const group = this.group(groupName);
    const now = this.clock();
    const out: Delivered[] = [];
    for (const id of this.pendingIds(group)) {
      if (out.length >= count) break;
      const info = group.pel.get(id)!;
      if (now - info.deliveredAt < minIdleMs) continue;
      const entry = this.byId.get(id);
      if (!entry) {
        group.pel.delete(id); // deleted under us: Redis 7 drops it from the PEL the same way
        continue;
      }
      info.consumer = consumer;
      info.deliveredAt = now;
      info.deliveries += 1;
      out.push({ id, fields: entry.fields, deliveries: info.deliveries });
    }
    return out;
  }

  /** XCLAIM … IDLE … RETRYCOUNT … JUSTID: give an unstarted entry back for others to claim now. */
  handBack(groupName: string, id: string, idleMs: number, deliveries: number): void {
    const info = this.group(groupName).pel.get(id);
    if (!info) return;
    info.deliveredAt = this.clock() - idleMs;
    info.deliveries = deliveries;
  }

  ack(groupName: string, id: string): boolean {
    const group = this.groups.get(groupName);
    if (!group) return false;
    group.errors.delete(id);
    return group.pel.delete(id);
  }

  pendingIds(group: ConsumerGroup): string[] {
    return [...group.pel.keys()].sort((a, b) => compareIds(parseId(a), parseId(b)));
  }

  /** Same rule as the Redis script: drop only what no group needs, towards maxLen. */
  trim(maxLen: number): number {
    if (this.entries.length <= maxLen) return 0;
    let floor: StreamId | undefined;
    for (const group of this.groups.values()) {
      const next = { ms: group.lastDelivered.ms, seq: group.lastDelivered.seq + 1 };
      if (!floor || compareIds(next, floor) < 0) floor = next;
      const oldest = this.pendingIds(group)[0];
      if (oldest !== undefined && compareIds(parseId(oldest), floor) < 0) floor = parseId(oldest);
    }
    const drop = this.entries.length - maxLen;
    let removed = 0;
    while (removed < drop && (!floor || compareIds(this.entries[removed]!.id, floor) < 0)) removed++;
    for (const entry of this.entries.splice(0, removed)) this.byId.delete(entry.key);
    return removed;
  }

  /** Plain cap, for dead-letter streams (nobody consumes them as a group). */
  cap(maxLen: number): void {
    if (this.entries.length <= maxLen) return;
    for (const entry of this.entries.splice(0, this.entries.length - maxLen)) this.byId.delete(entry.key);
  }
}

interface Expiring {
  value: string;
  expiresAt: number;
}

export class MemoryStore {
  private readonly streams = new Map<string, MemoryStream>();
  private readonly keys = new Map<string, Expiring>();
  readonly buckets = new Map<string, { tokens: number; ts: number; expiresAt: number }>();
  private writes = 0;

  /** Milliseconds; a test may pass its own clock. */
  constructor(readonly clock: () => number = Date.now) {}

  stream(key: string): MemoryStream {
    let stream = this.streams.get(key);
    if (!stream) {
      stream = new MemoryStream(this.clock);
      this.streams.set(key, stream);
    }
    return stream;
  }

  existingStream(key: string): MemoryStream | undefined {
    return this.streams.get(key);
  }

  /** XADD with arbitrary fields (what a foreign or buggy producer could write). */
  xadd(key: string, fields: Record<string, string>): string {
    return this.stream(key).add(fields);
  }

  get(key: string): string | null {
    const item = this.keys.get(key);
    if (!item) return null;
    if (item.expiresAt <= this.clock()) {
      this.keys.delete(key);
      return null;
    }
    return item.value;
  }

  set(key: string, value: string, ttlMs?: number): void {
    this.keys.set(key, { value, expiresAt: ttlMs === undefined ? Infinity : this.clock() + ttlMs });
    this.noteWrite();
  }

  /** Expired keys and idle buckets nobody reads again would pile up: sweep now and then, amortised over writes. */
  noteWrite(): void {
    if (++this.writes % 1_000 === 0) this.sweep();
  }

  /** PEXPIRE on an existing key; false when absent. */
  expire(key: string, ttlMs: number): boolean {
    const item = this.get(key) === null ? undefined : this.keys.get(key);
    if (!item) return false;
    item.expiresAt = this.clock() + ttlMs;
    return true;
  }

  delete(key: string): boolean {
    const existed = this.get(key) !== null;
    this.keys.delete(key);
    return existed;
  }

  private sweep(): void {
    const now = this.clock();
    for (const [key, item] of this.keys) if (item.expiresAt <= now) this.keys.delete(key);
    for (const [key, bucket] of this.buckets) if (bucket.expiresAt <= now) this.buckets.delete(key);
  }
}
