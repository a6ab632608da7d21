import { assertRateLimit, type RateDecision, type RateLimit, type RateLimiter } from '../ports';
import type { MemoryStore } from './store';

/** The same token bucket as the Redis script, on this process's clock. */
export class MemoryRateLimiter implements RateLimiter {
  constructor(
    private readonly store: MemoryStore,
    private readonly namespace: string,
  ) {}

  async take(key: string, limit: RateLimit): Promise<RateDecision> {
    const cost = assertRateLimit(limit);
    const { capacity, refillPerSecond: rate } = limit;
    const now = this.store.clock();
    const bucketKey = `${this.namespace}rl:${key}`;
    const bucket = this.store.buckets.get(bucketKey);
    let tokens = bucket && bucket.expiresAt > now ? bucket.tokens : capacity;
    let ts = bucket && bucket.expiresAt > now ? bucket.ts : now;
    if (now > ts) {
      tokens = Math.min(capacity, tokens + ((now - ts) * rate) / 1000);
      ts = now;
    }
    tokens = Math.min(tokens, capacity);
    let allowed = false;
    let retryAfterMs = 0;
    if (tokens >= cost) {
      tokens -= cost;
      allowed = true;
    } else {
      retryAfterMs = Math.ceil(((cost - tokens) * 1000) / rate);
    }
    this.store.buckets.set(bucketKey, { tokens, ts, expiresAt: now + Math.ceil((capacity * 1000) / rate) + 1000 });
    this.store.noteWrite();
    return { allowed, retryAfterMs, remaining: Math.floor(tokens) };
  }
}
