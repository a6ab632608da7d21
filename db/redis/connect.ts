import { Redis, type RedisOptions } from 'ioredis';
import { InvalidInputError, UnavailableError } from '../../core/errors';
import type { Logger } from '../../core/logger';

/** A connected Redis client plus what health checks and blocking readers need. */
export interface RedisConnection {
  readonly client: Redis;
  /** `host:port`, safe to log (never the password). */
  readonly target: string;
  /** ioredis status: 'ready' when usable; 'reconnecting' during an outage. */
  status(): string;
  /** True when Redis answered PING within `timeoutMs` (default 1000). */
  ping(timeoutMs?: number): Promise<boolean>;
  /**
   * Another connection with the same settings. Blocking reads (XREADGROUP BLOCK) need their
   * own: a blocked connection cannot serve anyone else. Closed by `close()` too.
   */
  duplicate(purpose: string): Redis;
  close(): Promise<void>;
}

export interface ConnectRedisOptions {
  /** Give up on the first connection after this long (default 5000 ms). */
  connectTimeoutMs?: number;
  /** Reconnect backoff cap after start (default 5000 ms). */
  maxBackoffMs?: number;
  /** CLIENT SETNAME prefix, so a connection is recognisable in CLIENT LIST (no spaces). */
  connectionName?: string;
}

function describeTarget(url: string): { target: string; password: string | undefined } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Never echo the value: a URL that failed to parse may still hold a password.
    throw new InvalidInputError('redis_url_invalid', 'REDIS_URL is not a valid URL (expected redis://[user:password@]host:port[/db])');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new InvalidInputError('redis_url_invalid', `REDIS_URL must start with redis:// or rediss://, not ${parsed.protocol}//`);
  }
  const password = parsed.password ? decodeURIComponent(parsed.password) : undefined;
  return { target: `${parsed.hostname}:${parsed.port || '6379'}`, password };
}

const scrub = (text: string, secret: string | undefined): string => (secret ? text.split(secret).join('***') : text);

/**
 * Connects to Redis. Unreachable at start → UnavailableError naming REDIS_URL, host:port
 * and the cause (never the password). After start, a lost connection is retried forever
 * with capped exponential backoff; commands issued meanwhile fail after a few attempts
 * (so callers back off instead of hanging), and the outage is logged once.
 */
export async function connectRedis(url: string, logger: Logger, options: ConnectRedisOptions = {}): Promise<RedisConnection> {
  const { target, password } = describeTarget(url);
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  const maxBackoffMs = options.maxBackoffMs ?? 5_000;
  const log = logger.child({ component: 'redis', target });
  let started = false;
  let closing = false;

  const redisOptions: RedisOptions = {
    lazyConnect: true,
    connectTimeout: connectTimeoutMs,
    // Before start no retry: fail fast with a clear message. After: 100 ms doubling to the cap, with jitter.
    retryStrategy: (times) => (started && !closing ? Math.min(maxBackoffMs, 100 * 2 ** Math.min(times, 10)) + Math.floor(Math.random() * 100) : null),
    maxRetriesPerRequest: 2,
    enableReadyCheck: true,
    ...(options.connectionName ? { connectionName: options.connectionName } : {}),
  };

  /** Logs an outage once (at `level`) and its end once, whatever number of errors it produced. */
  const watch = (client: Redis, name: string, level: 'warn' | 'debug') => {
    let down = false;
    const lost = (error?: Error) => {
      if (!started || closing || down) return;
      down = true;
      log[level]({ connection: name, cause: error ? scrub(error.message, password) : 'connection closed' }, 'Redis connection lost; reconnecting with backoff');
    };
    client.on('error', (error: Error) => lost(error));
    client.on('close', () => lost());
    client.on('ready', () => {
      if (!down) return;
      down = false;
      log[level === 'warn' ? 'info' : 'debug']({ connection: name }, 'Redis connection restored');
    });
  };

  const client = new Redis(url, redisOptions);
  let startError: Error | undefined;
  const onStartError = (error: Error) => {
    startError = error;
  };
  client.on('error', onStartError);
  watch(client, 'main', 'warn');

  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${connectTimeoutMs} ms`)), connectTimeoutMs);
      }),
    ]);
  } catch (error) {
    closing = true;
    client.disconnect();
    const cause = startError ?? (error instanceof Error ? error : new Error(String(error)));
    throw new UnavailableError('redis_unavailable', `Redis at ${target} (REDIS_URL) is unreachable: ${scrub(cause.message, password)}`, cause);
  } finally {
    clearTimeout(timer);
    client.off('error', onStartError);
  }
  started = true;
  log.debug('Redis connected');

  const duplicates = new Set<Redis>();

  return {
    client,
    target,
    status: () => client.status,
    async ping(timeoutMs = 1_000) {
      if (client.status !== 'ready') return false;
      let pingTimer: NodeJS.Timeout | undefined;
      try {
        const answer = await Promise.race([
          client.ping(),
          new Promise<null>((resolve) => {
            pingTimer = setTimeout(() => resolve(null), timeoutMs);
          }),
        ]);
        return answer === 'PONG';
      } catch {
        return false;
      } finally {
        clearTimeout(pingTimer);
      }
    },
    duplicate(purpose: string) {
      const copy = client.duplicate(options.connectionName ? { connectionName: `${options.connectionName}:${purpose}` } : {});
      // The main connection already reports outages at warn; a copy's would be the same outage.
      watch(copy, purpose, 'debug');
      duplicates.add(copy);
      copy.once('end', () => duplicates.delete(copy));
      return copy;
    },
    async close() {
      if (closing) return;
      closing = true;
      await Promise.all([client, ...duplicates].map((c) => quit(c)));
    },
  };
}

/** QUIT politely when connected; otherwise (or if QUIT hangs) just drop the socket. */
export async function quit(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([client.quit(), new Promise((resolve) => (timer = setTimeout(resolve, 1_000)))]);
  } catch {
    // already gone
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}
