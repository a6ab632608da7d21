import type { StorageAdapter } from 'grammy';
import { InvalidInputError } from '../core/errors';
import type { Logger } from '../core/logger';
import { MemoryBus, MemoryCache, MemoryLockManager, MemoryRateLimiter, MemoryStore } from './memory/index';
import type { BusOptions, Cache, LockManager, SharedState } from './ports';
import { connectRedis, RedisBus, RedisCache, RedisLockManager, RedisRateLimiter } from './redis/index';

export type * from './ports';

export interface SharedStateOptions {
  /** Set → Redis (scales out). Unset → in-process implementations (one process only). */
  redisUrl?: string | undefined;
  /** Prefix of every key, stream and lock (default `tp:`). */
  namespace?: string;
  logger: Logger;
  bus?: BusOptions;
  /** Redis only: give up connecting at start after this long (default 5000 ms). */
  connectTimeoutMs?: number;
  /** Redis only: CLIENT SETNAME prefix of our connections (default `tradepilot`). */
  connectionName?: string;
}

/**
 * Bus, locks, rate limiter and cache over Redis when `redisUrl` is set, in process
 * otherwise. Redis unreachable at start → UnavailableError naming REDIS_URL and host:port.
 */
export async function createSharedState(options: SharedStateOptions): Promise<SharedState> {
  const namespace = options.namespace ?? 'tp:';
  if (!namespace || /\s/.test(namespace)) throw new InvalidInputError('invalid_argument', 'namespace must be non-empty and without spaces', { field: 'namespace' });
  const logger = options.logger;

  if (!options.redisUrl) {
    const store = new MemoryStore();
    const bus = new MemoryBus(store, namespace, logger, options.bus);
    return {
      kind: 'memory',
      bus,
      locks: new MemoryLockManager(store, namespace),
      rateLimiter: new MemoryRateLimiter(store, namespace),
      cache: new MemoryCache(store, namespace),
      ping: async () => true,
      close: () => bus.close(),
    };
  }

  const connection = await connectRedis(options.redisUrl, logger, {
    connectionName: options.connectionName ?? 'tradepilot',
    ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
  });
  const bus = new RedisBus(connection, namespace, logger, options.bus);
  let closed: Promise<void> | undefined;
  return {
    kind: 'redis',
    bus,
    locks: new RedisLockManager(connection.client, namespace),
    rateLimiter: new RedisRateLimiter(connection.client, namespace),
    cache: new RedisCache(connection.client, namespace),
    ping: () => connection.ping(),
    close: () =>
      (closed ??= (async () => {
        await bus.close();
        await connection.close();
      })()),
  };
}

// ---------------------------------------------------------------------------------------
// Leases held over time (leader election)

export interface HoldLeaseOptions {
  ttlMs: number;
  /** How often the holder renews (default ttlMs / 3). */
  renewEveryMs?: number;
  /** How often a standby tries to take the lease (default renewEveryMs). */
  retryEveryMs?: number;
  /** We became the holder: start the exclusive work (poll Telegram, run the partition). */
  onAcquired?: () => void | Promise<void>;
  /**
   * We are no longer the holder, or cannot prove we still are: stop the exclusive work now.
   * Called before the lease can have lapsed in the store when renewals fail ('unreachable').
   */
  onLost?: (reason: 'renew_refused' | 'unreachable') => void | Promise<void>;
  logger?: Logger;
}

export interface Lease {
  /** True while we hold the lease (as far as we can prove). */
  readonly held: boolean;
  /**
   * Stops renewing and trying. `release: true` (default) frees the lease at once so a
   * standby takes over without waiting for the TTL; `false` leaves it to lapse.
   */
  stop(options?: { release?: boolean }): Promise<void>;
}

/**
 * Keeps trying to acquire `key` (standby) and renews it while held. Leadership is assumed
 * only up to the moment the last successful renewal (measured from when it was sent) would
 * expire, so a holder cut off from the store steps down before anyone else can step up.
 */
export function holdLease(locks: LockManager, key: string, owner: string, options: HoldLeaseOptions): Lease {
  const { ttlMs } = options;
  const renewEveryMs = options.renewEveryMs ?? Math.max(1, Math.floor(ttlMs / 3));
  const retryEveryMs = options.retryEveryMs ?? renewEveryMs;
  if (renewEveryMs >= ttlMs) throw new InvalidInputError('invalid_argument', `renewEveryMs (${renewEveryMs}) must be below ttlMs (${ttlMs})`, { field: 'renewEveryMs' });
  const log = options.logger?.child({ component: 'lease', key, owner });

  let held = false;
  let stopped = false;
  let generation = 0; // bumped on every loss, so a late answer from before it is ignored
  let failing = false;
  let tickTimer: NodeJS.Timeout | undefined;
  let expiryTimer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const safely = async (what: string, fn: (() => void | Promise<void>) | undefined) => {
    try {
      await fn?.();
    } catch (error) {
      log?.error({ err: error }, `lease ${what} callback failed`);
    }
  };

  const lose = async (reason: 'renew_refused' | 'unreachable') => {
    if (!held) return;
    held = false;
    generation++;
    clearTimeout(expiryTimer);
    log?.warn({ reason }, 'lease lost');
    await safely('onLost', () => options.onLost?.(reason));
  };

  const armExpiry = (validUntil: number) => {
    clearTimeout(expiryTimer);
    // Step down a little before the store would let the lease lapse.
    const margin = Math.min(Math.floor(ttlMs / 10), 1_000);
    expiryTimer = setTimeout(() => void lose('unreachable'), Math.max(0, validUntil - margin - Date.now()));
  };

  const tick = async () => {
    const sentAt = Date.now();
    const seen = generation;
    try {
      if (!held) {
        if (await locks.acquire(key, owner, ttlMs)) {
          held = true; // even when stopping meanwhile: stop() then releases it instead of leaving it to lapse
          armExpiry(sentAt + ttlMs);
          if (stopped) return;
          log?.info('lease acquired');
          await safely('onAcquired', options.onAcquired);
        }
      } else if (await locks.renew(key, owner, ttlMs)) {
        if (seen === generation && held) armExpiry(sentAt + ttlMs);
      } else if (seen === generation) {
        await lose('renew_refused');
      }
      if (failing) log?.info('lease store reachable again');
      failing = false;
    } catch (error) {
      // The expiry timer decides when we must step down; just log the outage once.
      if (!failing) log?.warn({ err: error }, 'lease store unreachable; retrying');
      failing = true;
    }
  };

  const schedule = () => {
    if (stopped) return;
    tickTimer = setTimeout(() => {
      running = tick().finally(schedule);
    }, held ? renewEveryMs : retryEveryMs);
  };

  running = tick().finally(schedule);

  return {
    get held() {
      return held;
    },
    async stop({ release = true } = {}) {
      if (stopped) return;
      stopped = true;
      clearTimeout(tickTimer);
      await running.catch(() => {});
      clearTimeout(tickTimer);
      clearTimeout(expiryTimer);
      const wasHeld = held;
      held = false;
      generation++;
      if (wasHeld && release) {
        try {
          await locks.release(key, owner);
        } catch (error) {
          log?.warn({ err: error }, 'lease release failed; it will lapse after its TTL');
        }
      }
    },
  };
}

// ---------------------------------------------------------------------------------------
// grammY sessions and conversation state in shared storage

/**
 * grammY StorageAdapter over the cache (values JSON-encoded), so consecutive updates of
 * one chat can be handled by different bot workers. `ttlMs` bounds how long an idle
 * session survives (default: forever).
 */
export function grammySessionStorage<T>(cache: Cache, prefix: string, ttlMs?: number): StorageAdapter<T> {
  const key = (k: string) => `${prefix}${k}`;
  return {
    async read(k) {
      const raw = await cache.get(key(k));
      return raw === null ? undefined : (JSON.parse(raw) as T);
    },
    async write(k, value) {
      await cache.set(key(k), JSON.stringify(value), ttlMs);
    },
    async delete(k) {
      await cache.delete(key(k));
    },
    async has(k) {
      return (await cache.get(key(k))) !== null;
    },
  };
}
