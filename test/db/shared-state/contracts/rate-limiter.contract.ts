import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../../core/errors';
import type { RateLimiter } from '../../../../db/ports';
import { sleep } from '../helpers';

/** `limiter()` returns a handle over the shared backend; two calls are like two processes. */
export function rateLimiterContract(name: string, limiter: () => RateLimiter): void {
  let n = 0;
  const key = () => `bucket-${++n}-${Math.random().toString(36).slice(2, 8)}`;

  describe(`RateLimiter contract: ${name}`, () => {
    it('allows a burst up to capacity, then refuses with the time until the next token', async () => {
      const rl = limiter();
      const k = key();
      const limit = { capacity: 5, refillPerSecond: 1 };
      const remaining: number[] = [];
      for (let i = 0; i < 5; i++) {
        const decision = await rl.take(k, limit);
        expect(decision.allowed).toBe(true);
        expect(decision.retryAfterMs).toBe(0);
        remaining.push(decision.remaining);
      }
      expect(remaining).toEqual([4, 3, 2, 1, 0]);
      const refused = await rl.take(k, limit);
      expect(refused.allowed).toBe(false);
      expect(refused.remaining).toBe(0);
      // One token per second, and almost none refilled yet: close to (and never above) 1000 ms.
      expect(refused.retryAfterMs).toBeGreaterThan(500);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(1_000);
    });

    it('refills at the sustained rate: waiting retryAfterMs is enough', async () => {
      const rl = limiter();
      const k = key();
      const limit = { capacity: 2, refillPerSecond: 10 };
      expect((await rl.take(k, limit)).allowed).toBe(true);
      expect((await rl.take(k, limit)).allowed).toBe(true);
      const refused = await rl.take(k, limit);
      expect(refused.allowed).toBe(false);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(100);
      await sleep(refused.retryAfterMs + 20);
      expect((await rl.take(k, limit)).allowed).toBe(true);
      await sleep(400); // long enough to refill completely, never beyond capacity
      expect((await rl.take(k, limit)).remaining).toBe(1);
    });

    it('charges the cost and computes retryAfterMs for it', async () => {
      const rl = limiter();
      const k = key();
      const limit = { capacity: 5, refillPerSecond: 2, cost: 3 };
      expect(await rl.take(k, limit)).toMatchObject({ allowed: true, remaining: 2 });
      const refused = await rl.take(k, limit);
      expect(refused.allowed).toBe(false);
      expect(refused.retryAfterMs).toBeGreaterThan(250); // one token missing at 2/s ≈ 500 ms
      expect(refused.retryAfterMs).toBeLessThanOrEqual(500);
      expect(await rl.take(k, { ...limit, cost: 2 })).toMatchObject({ allowed: true, remaining: 0 });
    });

    it('keeps separate buckets per key', async () => {
      const rl = limiter();
      const [k1, k2] = [key(), key()];
      const limit = { capacity: 1, refillPerSecond: 0.01 };
      expect((await rl.take(k1, limit)).allowed).toBe(true);
      expect((await rl.take(k1, limit)).allowed).toBe(false);
      expect((await rl.take(k2, limit)).allowed).toBe(true);
    });

    it('rejects a cost above capacity and non-positive limits', async () => {
      const rl = limiter();
      await expect(rl.take(key(), { capacity: 2, refillPerSecond: 1, cost: 3 })).rejects.toBeInstanceOf(InvalidInputError);
      await expect(rl.take(key(), { capacity: 0, refillPerSecond: 1 })).rejects.toThrow(/capacity/);
      await expect(rl.take(key(), { capacity: 1, refillPerSecond: 0 })).rejects.toThrow(/refillPerSecond/);
    });

    it('two limiter handles (two processes) share one bucket, and concurrent takes never overspend it', async () => {
      const [a, b] = [limiter(), limiter()];
      const k = key();
      const limit = { capacity: 3, refillPerSecond: 0.01 };
      expect((await a.take(k, limit)).allowed).toBe(true);
      expect((await b.take(k, limit)).allowed).toBe(true);
      expect((await a.take(k, limit)).allowed).toBe(true);
      expect((await b.take(k, limit)).allowed).toBe(false);

      const k2 = key();
      const many = { capacity: 10, refillPerSecond: 0.01 };
      const decisions = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).take(k2, many)));
      expect(decisions.filter((d) => d.allowed)).toHaveLength(10);
    });
  });
}
