import { afterAll, beforeAll } from 'vitest';
import { connectRedis, RedisBus, RedisCache, RedisLockManager, RedisRateLimiter, type RedisConnection } from '../../../db/redis/index';
import { redisNamespace, TEST_REDIS_URL } from '../../support/services';
import { busContract } from './contracts/bus.contract';
import { cacheContract } from './contracts/cache.contract';
import { lockContract } from './contracts/locks.contract';
import { rateLimiterContract } from './contracts/rate-limiter.contract';
import { dropNamespace, silentLogger } from './helpers';

// Real Redis, shared with other suites: everything here lives under this file's own namespace.
const namespace = redisNamespace();
const logger = silentLogger();
// Two connections, so "two handles" below are two clients as two processes would be.
const connections: RedisConnection[] = [];
let turn = 0;
const next = () => connections[turn++ % connections.length]!;

beforeAll(async () => {
  connections.push(await connectRedis(TEST_REDIS_URL, logger), await connectRedis(TEST_REDIS_URL, logger));
});

afterAll(async () => {
  if (connections[0]) await dropNamespace(connections[0].client, namespace);
  await Promise.all(connections.map((c) => c.close()));
});

busContract('redis', () => ({
  bus: async (options) => new RedisBus(next(), namespace, logger, options),
  injectRaw: async (stream, fields) => String(await next().client.xadd(`${namespace}${stream}`, '*', ...Object.entries(fields).flat())),
  abandon: async (stream, group, consumer, count) => {
    const { client } = next();
    const key = `${namespace}${stream}`;
    await client.xgroup('CREATE', key, group, '0', 'MKSTREAM').catch((error: Error) => {
      if (!error.message.includes('BUSYGROUP')) throw error;
    });
    const reply = (await client.xreadgroup('GROUP', group, consumer, 'COUNT', count, 'STREAMS', key, '>')) as Array<[string, Array<[string, string[]]>]> | null;
    return (reply?.[0]?.[1] ?? []).map(([id]) => id);
  },
}));
lockContract('redis', () => new RedisLockManager(next().client, namespace));
rateLimiterContract('redis', () => new RedisRateLimiter(next().client, namespace));
cacheContract('redis', () => new RedisCache(next().client, namespace));
