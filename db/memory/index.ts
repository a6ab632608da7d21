export { MemoryStore } from './store';
export { MemoryBus } from './bus';
export { MemoryLockManager } from './locks';
export { MemoryRateLimiter } from './rate-limiter';
export { MemoryCache } from './cache';
