import type { Redis } from 'ioredis';
import { assertRateLimit, type RateDecision, type RateLimit, type RateLimiter } from '../ports';
import { callRedis } from './errors';
import { takeTokensScript } from './scripts';

/**
 * Token buckets shared by every process: one Lua script reads, refills and takes
 * atomically, on the Redis clock, so N senders together stay under one limit
 * (Telegram: ≈30 msg/s per bot, 1/s per chat, 20/min per group).
 */
export class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly client: Redis,
    private readonly namespace: string,
  ) {}

  async take(key: string, limit: RateLimit): Promise<RateDecision> {
    const cost = assertRateLimit(limit);
    const [allowed, retryAfterMs, tokens] = (await callRedis('rate limit', () =>
      takeTokensScript.run(this.client, [`${this.namespace}rl:${key}`], [limit.capacity, limit.refillPerSecond, cost]),
    )) as [number, number, string];
    return { allowed: allowed === 1, retryAfterMs: Number(retryAfterMs), remaining: Math.floor(Number(tokens)) };
  }
}
