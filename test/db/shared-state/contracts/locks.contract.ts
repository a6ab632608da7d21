import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../../core/errors';
import type { LockManager } from '../../../../db/ports';
import { holdLease } from '../../../../db/shared-state';
import { sleep, waitFor } from '../helpers';

/** `locks()` returns a handle over the shared backend; two calls are like two processes. */
export function lockContract(name: string, locks: () => LockManager): void {
  let n = 0;
  const key = () => `lock-${++n}-${Math.random().toString(36).slice(2, 8)}`;

  describe(`LockManager contract: ${name}`, () => {
    it('lets one owner at a time hold a lease', async () => {
      const [a, b] = [locks(), locks()];
      const k = key();
      expect(await a.owner(k)).toBeNull();
      expect(await a.acquire(k, 'alice', 5_000)).toBe(true);
      expect(await b.acquire(k, 'bob', 5_000)).toBe(false);
      expect(await b.owner(k)).toBe('alice');
      expect(await a.acquire(k, 'alice', 5_000)).toBe(true); // re-acquiring our own lease extends it
    });

    it('frees the lease when its TTL lapses', async () => {
      const [a, b] = [locks(), locks()];
      const k = key();
      expect(await a.acquire(k, 'alice', 150)).toBe(true);
      await sleep(400);
      expect(await a.owner(k)).toBeNull();
      expect(await b.acquire(k, 'bob', 5_000)).toBe(true);
      expect(await a.renew(k, 'alice', 5_000)).toBe(false);
    });

    it('renews only for the owner, and a renewed lease outlives its first TTL', async () => {
      const [a, b] = [locks(), locks()];
      const k = key();
      expect(await a.acquire(k, 'alice', 1_000)).toBe(true);
      expect(await b.renew(k, 'bob', 1_000)).toBe(false);
      await sleep(600);
      expect(await a.renew(k, 'alice', 1_000)).toBe(true);
      await sleep(600);
      expect(await b.owner(k)).toBe('alice');
      expect(await b.acquire(k, 'bob', 1_000)).toBe(false);
    });

    it('releases only for the owner', async () => {
      const [a, b] = [locks(), locks()];
      const k = key();
      await a.acquire(k, 'alice', 5_000);
      expect(await b.release(k, 'bob')).toBe(false);
      expect(await b.owner(k)).toBe('alice');
      expect(await a.release(k, 'alice')).toBe(true);
      expect(await a.owner(k)).toBeNull();
      expect(await a.release(k, 'alice')).toBe(false);
      expect(await b.acquire(k, 'bob', 5_000)).toBe(true);
    });

    it('rejects a TTL that is not a positive whole number', async () => {
      await expect(locks().acquire(key(), 'alice', 0)).rejects.toBeInstanceOf(InvalidInputError);
      await expect(locks().renew(key(), 'alice', 1.5)).rejects.toBeInstanceOf(InvalidInputError);
    });

    it('holdLease: a standby takes over when the holder stops renewing', async () => {
      const k = key();
      const events: string[] = [];
      const a = holdLease(locks(), k, 'engine-a', { ttlMs: 300, renewEveryMs: 60, onAcquired: () => void events.push('a+'), onLost: (r) => void events.push(`a-:${r}`) });
      await waitFor('a to lead', () => a.held);
      const b = holdLease(locks(), k, 'engine-b', { ttlMs: 300, renewEveryMs: 60, retryEveryMs: 40, onAcquired: () => void events.push('b+'), onLost: (r) => void events.push(`b-:${r}`) });
      await sleep(700); // more than two TTLs: a keeps renewing, so b stays standby
      expect(a.held).toBe(true);
      expect(b.held).toBe(false);
      expect(await locks().owner(k)).toBe('engine-a');

      await a.stop({ release: false }); // a freezes: no renewals, no release
      await waitFor('b to take over after the TTL', () => b.held, 5_000);
      expect(await locks().owner(k)).toBe('engine-b');
      expect(events).toEqual(['a+', 'b+']);

      await b.stop(); // releases at once
      expect(await locks().owner(k)).toBeNull();
    });

    it('holdLease: the holder steps down when the store refuses its renewal', async () => {
      const k = key();
      const real = locks();
      let refuse = false;
      const flaky: LockManager = {
        acquire: (...args) => real.acquire(...args),
        renew: async (...args) => (refuse ? false : real.renew(...args)),
        release: (...args) => real.release(...args),
        owner: (...args) => real.owner(...args),
      };
      const lost: string[] = [];
      const lease = holdLease(flaky, k, 'poller-1', { ttlMs: 2_000, renewEveryMs: 50, onLost: (reason) => void lost.push(reason) });
      await waitFor('the lease', () => lease.held);
      refuse = true;
      await waitFor('the loss', () => lost.length === 1);
      expect(lost).toEqual(['renew_refused']);
      expect(lease.held).toBe(false);
      refuse = false;
      await waitFor('the lease again (standby re-acquires its own key)', () => lease.held);
      await lease.stop();
    });

    it('holdLease: the holder steps down before its lease can lapse when the store is unreachable', async () => {
      const k = key();
      const real = locks();
      let down = false;
      const reach = async <T>(call: () => Promise<T>): Promise<T> => {
        if (down) throw new Error('connection lost');
        return call();
      };
      const unreachable: LockManager = {
        acquire: (...args) => reach(() => real.acquire(...args)),
        renew: (...args) => reach(() => real.renew(...args)),
        release: (...args) => reach(() => real.release(...args)),
        owner: (...args) => reach(() => real.owner(...args)),
      };
      const lost: Array<{ reason: string; ownerAtStepDown: string | null }> = [];
      const lease = holdLease(unreachable, k, 'engine-x', {
        ttlMs: 2_000,
        renewEveryMs: 100,
        onLost: async (reason) => void lost.push({ reason, ownerAtStepDown: await real.owner(k) }),
      });
      await waitFor('the lease', () => lease.held);
      down = true;
      await waitFor('the step-down', () => lost.length === 1, 5_000);
      // It stepped down while its lease was still in the store: nobody else could have led yet.
      expect(lost).toEqual([{ reason: 'unreachable', ownerAtStepDown: 'engine-x' }]);
      expect(lease.held).toBe(false);
      down = false;
      await waitFor('the lease again once the store is back', () => lease.held);
      await lease.stop();
    });
  });
}
