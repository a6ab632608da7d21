export { connectRedis, type RedisConnection, type ConnectRedisOptions } from './connect';
export { RedisBus } from './bus';
export { RedisLockManager } from './locks';
export { RedisRateLimiter } from './rate-limiter';
export { RedisCache } from './cache';
