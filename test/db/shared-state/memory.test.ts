import { MemoryBus, MemoryCache, MemoryLockManager, MemoryRateLimiter, MemoryStore } from '../../../db/memory/index';
import { busContract } from './contracts/bus.contract';
import { cacheContract } from './contracts/cache.contract';
import { lockContract } from './contracts/locks.contract';
import { rateLimiterContract } from './contracts/rate-limiter.contract';
import { silentLogger } from './helpers';

// One store per file plays the part of the Redis server; every handle below shares it.
const store = new MemoryStore();
const namespace = 'tp:';
const logger = silentLogger();

busContract('memory', () => ({
  bus: async (options) => new MemoryBus(store, namespace, logger, options),
  injectRaw: async (stream, fields) => store.xadd(`${namespace}${stream}`, fields),
  abandon: async (stream, group, consumer, count) => {
    const source = store.stream(`${namespace}${stream}`);
    source.createGroup(group, 'earliest');
    return source.readGroup(group, consumer, count).map((d) => d.id);
  },
}));
lockContract('memory', () => new MemoryLockManager(store, namespace));
rateLimiterContract('memory', () => new MemoryRateLimiter(store, namespace));
cacheContract('memory', () => new MemoryCache(store, namespace));
