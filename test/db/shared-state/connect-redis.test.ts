import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { InvalidInputError, UnavailableError } from '../../../core/errors';
import { connectRedis, type RedisConnection } from '../../../db/redis/index';
import { createSharedState } from '../../../db/shared-state';
import type { BusMessage, SharedState } from '../../../db/ports';
import { redisNamespace, TEST_REDIS_URL, uniqueName } from '../../support/services';
import { captureLogger, deferred, dropNamespace, freshStream, silentLogger, sleep, tick, waitFor } from './helpers';

const opened: Array<RedisConnection | SharedState> = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((o) => o.close()));
});

async function cleanup(namespace: string): Promise<void> {
  const client = new Redis(TEST_REDIS_URL);
  try {
    await dropNamespace(client, namespace);
  } finally {
    client.disconnect();
  }
}

/** A TCP proxy in front of the test Redis that can simulate an outage (connections dropped and refused). */
async function outageProxy() {
  const target = new URL(TEST_REDIS_URL);
  let up = true;
  let attempts = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    attempts++;
    if (!up) {
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(target.port || 6379), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const url = new URL(TEST_REDIS_URL);
  url.host = `127.0.0.1:${port}`;
  return {
    url: url.toString(),
    attempts: () => attempts,
    down() {
      up = false;
      attempts = 0;
      for (const socket of sockets) socket.destroy();
    },
    up() {
      up = true;
    },
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

describe('connectRedis', () => {
  it('rejects a closed port with UnavailableError naming REDIS_URL, host:port and the cause, never the password', async () => {
    const attempt = connectRedis('redis://:s3cretpass@127.0.0.1:1', silentLogger());
    await expect(attempt).rejects.toBeInstanceOf(UnavailableError);
    const error = (await attempt.catch((e: unknown) => e)) as UnavailableError;
    expect(error.message).toContain('REDIS_URL');
    expect(error.message).toContain('127.0.0.1:1');
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(error.message).not.toContain('s3cretpass');
    expect(error.code).toBe('redis_unavailable');
  });

  it('rejects a value that is not a redis URL without echoing it', async () => {
    await expect(connectRedis('http://user:hunter22@example.com', silentLogger())).rejects.toBeInstanceOf(InvalidInputError);
    const error = (await connectRedis('not a url hunter22', silentLogger()).catch((e: unknown) => e)) as Error;
    expect(error.message).toContain('REDIS_URL');
    expect(error.message).not.toContain('hunter22');
  });

  it('answers ping while connected and not after close', async () => {
    const connection = await connectRedis(TEST_REDIS_URL, silentLogger());
    expect(connection.target).toBe(new URL(TEST_REDIS_URL).host);
    expect(await connection.ping()).toBe(true);
    await connection.close();
    expect(await connection.ping()).toBe(false);
  });
});

describe('createSharedState', () => {
  it('is in-process without a Redis URL', async () => {
    const state = await createSharedState({ logger: silentLogger() });
    opened.push(state);
    expect(state.kind).toBe('memory');
    expect(await state.ping()).toBe(true);
    await state.cache.set('k', 'v');
    expect(await state.cache.get('k')).toBe('v');
  });

  it('uses Redis with a URL, and fails at start naming REDIS_URL when Redis is down', async () => {
    await expect(createSharedState({ redisUrl: 'redis://127.0.0.1:1', logger: silentLogger() })).rejects.toThrow(/REDIS_URL.*127\.0\.0\.1:1/);
    const namespace = redisNamespace();
    const state = await createSharedState({ redisUrl: TEST_REDIS_URL, namespace, logger: silentLogger() });
    opened.push(state);
    expect(state.kind).toBe('redis');
    expect(await state.ping()).toBe(true);
    expect(await state.locks.acquire('poller', 'me', 5_000)).toBe(true);
    await state.close();
    await cleanup(namespace);
  });

  it('a subscription survives its Redis connections being killed: it backs off, logs the outage, and resumes', async () => {
    const namespace = redisNamespace();
    const connectionName = uniqueName('tpt_conn');
    const { logger, lines } = captureLogger('warn');
    const state = await createSharedState({ redisUrl: TEST_REDIS_URL, namespace, logger, connectionName });
    opened.push(state);
    const stream = freshStream('outage');
    const seen: BusMessage[] = [];
    const sub = state.bus.subscribe(stream, { group: 'g', consumer: 'c', blockMs: 200 }, async (m) => void seen.push(m));
    await sub.ready;
    await state.bus.publish(stream, tick(1));
    await waitFor('the first entry', () => seen.length === 1);

    // Kill every connection of this state (and only those: the name is ours alone).
    const admin = new Redis(TEST_REDIS_URL);
    try {
      const list = String(await admin.client('LIST'));
      const ids = list
        .split('\n')
        .filter((line) => line.includes(` name=${connectionName}`))
        .map((line) => /\bid=(\d+)/.exec(line)?.[1])
        .filter((id): id is string => Boolean(id));
      expect(ids.length).toBeGreaterThanOrEqual(2); // the main connection and the subscription's reader
      for (const id of ids) await admin.client('KILL', 'ID', id);
    } finally {
      admin.disconnect();
    }

    // Publishing may fail while reconnecting (UnavailableError: back off and retry, as a caller would).
    await waitFor('a publish after the outage', async () => {
      try {
        return await state.bus.publish(stream, tick(2));
      } catch (error) {
        expect(error).toBeInstanceOf(UnavailableError);
        return null;
      }
    });
    await waitFor('the entry published after the outage', () => seen.length >= 2, 15_000);
    expect(await state.ping()).toBe(true);
    const warnings = lines().filter((l) => l.msg === 'Redis connection lost; reconnecting with backoff');
    expect(warnings.length).toBe(1);
    await state.close();
    await cleanup(namespace);
  });

  it('a subscription recreates its consumer group when the stream is deleted under it', async () => {
    const namespace = redisNamespace();
    const state = await createSharedState({ redisUrl: TEST_REDIS_URL, namespace, logger: silentLogger() });
    opened.push(state);
    const stream = freshStream('deleted');
    const seen: string[] = [];
    const sub = state.bus.subscribe(stream, { group: 'g', consumer: 'c', blockMs: 100 }, async (m) => void seen.push(m.id));
    await sub.ready;
    await state.bus.publish(stream, tick(1));
    await waitFor('the first entry', () => seen.length === 1);
    const admin = new Redis(TEST_REDIS_URL);
    try {
      await admin.del(`${namespace}${stream}`);
      await waitFor('the group to be back', async () => (await state.bus.stats(stream)).groups.length === 1);
    } finally {
      admin.disconnect();
    }
    const id = await state.bus.publish(stream, tick(2));
    await waitFor('delivery after the stream came back', () => seen.includes(id));
    await state.close();
    await cleanup(namespace);
  });

  it('rides out a Redis outage: no crash, bounded reconnects, one warning each, unacked work redelivered after', async () => {
    const proxy = await outageProxy();
    const namespace = redisNamespace();
    const { logger, lines } = captureLogger('info');
    const state = await createSharedState({ redisUrl: proxy.url, namespace, logger });
    try {
      const stream = freshStream('long-outage');
      const seen: BusMessage[] = [];
      const inHandler = deferred();
      const finishHandler = deferred();
      const sub = state.bus.subscribe(stream, { group: 'g', consumer: 'c', blockMs: 100, claimIdleMs: 500 }, async (m) => {
        seen.push(m);
        if (m.event.type === 'tick' && m.event.last === 2 && m.deliveries === 1) {
          inHandler.resolve();
          await finishHandler.promise;
        }
      });
      await sub.ready;
      await state.bus.publish(stream, tick(1));
      await state.bus.publish(stream, tick(2));
      await inHandler.promise;

      proxy.down();
      await sleep(100);
      finishHandler.resolve(); // its ack cannot reach Redis: the entry must stay pending, not be lost
      await sleep(2_900);
      expect(await state.ping()).toBe(false);
      await expect(state.bus.publish(stream, tick(9))).rejects.toBeInstanceOf(UnavailableError);
      // Backoff, not a hot loop: a handful of reconnects per connection in 3 s, not hundreds.
      expect(proxy.attempts()).toBeGreaterThan(0);
      expect(proxy.attempts()).toBeLessThan(40);

      proxy.up();
      await waitFor('a publish after the outage', async () => state.bus.publish(stream, tick(3)).catch(() => null), 15_000);
      await waitFor('delivery to resume', () => seen.some((m) => m.event.type === 'tick' && m.event.last === 3), 15_000);
      await waitFor('the unacked entry redelivered', () => seen.some((m) => m.event.type === 'tick' && m.event.last === 2 && m.deliveries === 2), 15_000);
      // The subscription says it resumed once the whole batch is handled, after the handler
      // that recorded the redelivery has returned.
      await waitFor('the subscription to say it resumed', () => lines().some((l) => l.msg === 'bus subscription resumed'), 15_000);
      expect(await state.ping()).toBe(true);
      const messages = lines().map((l) => l.msg);
      expect(messages.filter((m) => m === 'Redis connection lost; reconnecting with backoff')).toHaveLength(1);
      expect(messages.filter((m) => m === 'Redis connection restored')).toHaveLength(1);
      // The subscription's own failure (the ack) was reported once, and once that it resumed.
      expect(messages.filter((m) => m === 'bus subscription cannot reach Redis; retrying with backoff')).toHaveLength(1);
      expect(messages.filter((m) => m === 'bus subscription resumed')).toHaveLength(1);
    } finally {
      await state.close();
      await proxy.close();
      await cleanup(namespace);
    }
  });
});
