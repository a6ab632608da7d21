import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../../core/errors';
import type { Cache } from '../../../../db/ports';
import { grammySessionStorage } from '../../../../db/shared-state';
import { sleep } from '../helpers';

export function cacheContract(name: string, cache: () => Cache): void {
  let n = 0;
  const key = () => `key-${++n}-${Math.random().toString(36).slice(2, 8)}`;

  describe(`Cache contract: ${name}`, () => {
    it('gets what was set, overwrites, and deletes', async () => {
      const c = cache();
      const k = key();
      expect(await c.get(k)).toBeNull();
      await c.set(k, 'one');
      expect(await c.get(k)).toBe('one');
      await c.set(k, 'two');
      expect(await cache().get(k)).toBe('two'); // another handle sees it
      expect(await c.delete(k)).toBe(true);
      expect(await c.get(k)).toBeNull();
      expect(await c.delete(k)).toBe(false);
      await c.set(k, '');
      expect(await c.get(k)).toBe('');
    });

    it('forgets a value after its TTL', async () => {
      const c = cache();
      const k = key();
      await c.set(k, 'short', 150);
      expect(await c.get(k)).toBe('short');
      await sleep(400);
      expect(await c.get(k)).toBeNull();
    });

    it('setIfAbsent sets once (an idempotency mark) and again only after the mark expired', async () => {
      const c = cache();
      const k = key();
      expect(await c.setIfAbsent(k, 'first', 200)).toBe(true);
      expect(await cache().setIfAbsent(k, 'second', 200)).toBe(false);
      expect(await c.get(k)).toBe('first');
      await sleep(450);
      expect(await c.setIfAbsent(k, 'third', 5_000)).toBe(true);
      expect(await c.get(k)).toBe('third');
    });

    it('rejects a TTL that is not a positive whole number', async () => {
      await expect(cache().set(key(), 'v', -1)).rejects.toBeInstanceOf(InvalidInputError);
      await expect(cache().setIfAbsent(key(), 'v', 0)).rejects.toBeInstanceOf(InvalidInputError);
    });

    it('grammySessionStorage round-trips a session as JSON, deletes it, and honours its TTL', async () => {
      type Session = { step: string; symbols: string[]; qty: number };
      const storage = grammySessionStorage<Session>(cache(), 'session:');
      const other = grammySessionStorage<Session>(cache(), 'session:'); // another worker
      const chat = key();
      expect(await storage.read(chat)).toBeUndefined();
      await storage.write(chat, { step: 'confirm', symbols: ['EURUSD', 'XAUUSD'], qty: 0.1 });
      expect(await other.read(chat)).toEqual({ step: 'confirm', symbols: ['EURUSD', 'XAUUSD'], qty: 0.1 });
      expect(await other.has?.(chat)).toBe(true);
      await other.delete(chat);
      expect(await storage.read(chat)).toBeUndefined();

      const shortLived = grammySessionStorage<Session>(cache(), 'conv:', 150);
      await shortLived.write(chat, { step: 'a', symbols: [], qty: 1 });
      expect(await shortLived.read(chat)).toBeDefined();
      await sleep(400);
      expect(await shortLived.read(chat)).toBeUndefined();
    });
  });
}
