import { createLogger, type Logger } from '../../../core/logger';
import type { BusEvent } from '../../../core/events';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until `check` returns a truthy value; fails with `what` after `timeoutMs` (generous: a functional bound, not a speed test). */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export { captureLogger } from '../../support/logs';

export const silentLogger = (): Logger => createLogger({ level: 'silent', pretty: false });

let tickTime = 1_700_000_000_000;
export function tick(n: number, symbol = 'EURUSD'): BusEvent {
  return { type: 'tick', symbol, timeMs: tickTime++, bid: 1 + n / 10_000, ask: 1.0002 + n / 10_000, last: n, volume: 0, source: 'test' };
}

let streamCounter = 0;
/** A stream name no other test in this file uses (the namespace separates files and runs). */
export const freshStream = (label: string) => `${label}:${++streamCounter}:${Math.random().toString(36).slice(2, 8)}`;

/** Deletes every key of one test namespace (SCAN, never KEYS or FLUSHDB: the Redis is shared). */
export async function dropNamespace(client: import('ioredis').Redis, namespace: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${namespace}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== '0');
}
