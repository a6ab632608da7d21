import { afterEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../../core/errors';
import type { Bus, BusMessage, BusOptions, Subscription } from '../../../../db/ports';
import { deferred, freshStream, sleep, tick, waitFor } from '../helpers';

export interface BusHarness {
  /** A bus handle over the shared backend (same namespace for every call in one suite). */
  bus(options?: BusOptions): Promise<Bus>;
  /** Writes an entry with arbitrary fields, as a foreign or buggy producer could. */
  injectRaw(stream: string, fields: Record<string, string>): Promise<string>;
  /** Reads `count` new entries as `consumer` of `group` (created from the start if missing) and never acks: a consumer that died. */
  abandon(stream: string, group: string, consumer: string, count: number): Promise<string[]>;
}

/** One contract for every Bus implementation. */
export function busContract(name: string, harness: () => BusHarness): void {
  describe(`Bus contract: ${name}`, () => {
    const subscriptions: Subscription[] = [];
    const buses: Bus[] = [];
    afterEach(async () => {
      await Promise.all(subscriptions.splice(0).map((s) => s.stop()));
      await Promise.all(buses.splice(0).map((b) => b.close()));
    });
    const open = async (options?: BusOptions) => {
      const bus = await harness().bus(options);
      buses.push(bus);
      return bus;
    };
    const track = (subscription: Subscription) => {
      subscriptions.push(subscription);
      return subscription;
    };

    it('delivers published events to a subscriber in publish order and acks them', async () => {
      const bus = await open();
      const stream = freshStream('order');
      const seen: BusMessage[] = [];
      const sub = track(bus.subscribe(stream, { group: 'g', consumer: 'c1', blockMs: 100 }, async (m) => void seen.push(m)));
      await sub.ready;
      const ids: string[] = [];
      for (let i = 0; i < 25; i++) ids.push(await bus.publish(stream, tick(i)));
      await waitFor('25 deliveries', () => seen.length === 25);
      expect(seen.map((m) => m.id)).toEqual(ids);
      expect(seen.map((m) => (m.event.type === 'tick' ? m.event.last : -1))).toEqual([...Array(25).keys()]);
      expect(seen.every((m) => m.deliveries === 1)).toBe(true);
      await waitFor('all acked', async () => (await bus.pending(stream, 'g')).length === 0);
    });

    it('rejects an invalid event on publish, naming the field, and writes nothing', async () => {
      const bus = await open();
      const stream = freshStream('invalid-publish');
      const bad = { ...tick(1), bid: -3 } as never;
      await expect(bus.publish(stream, bad)).rejects.toBeInstanceOf(InvalidInputError);
      await expect(bus.publish(stream, bad)).rejects.toThrow(/bid/);
      await expect(bus.publish(stream, { type: 'nope' } as never)).rejects.toThrow(/invalid event: type/);
      expect((await bus.stats(stream)).length).toBe(0);
    });

    it('rejects options that could never work: a non-positive maxLen, an empty group, a zero claimIdleMs', async () => {
      await expect(harness().bus({ maxLen: 0 })).rejects.toThrow(/maxLen/);
      const bus = await open();
      expect(() => bus.subscribe(freshStream('opts'), { group: '', consumer: 'c' }, async () => {})).toThrow(/group/);
      expect(() => bus.subscribe(freshStream('opts'), { group: 'g', consumer: 'c', claimIdleMs: 0 }, async () => {})).toThrow(/claimIdleMs/);
    });

    it('acks only after the handler resolved: a throwing handler gets the entry again', async () => {
      const bus = await open();
      const stream = freshStream('retry');
      const attempts: BusMessage[] = [];
      const failedOnce = deferred();
      const sub = track(
        bus.subscribe(stream, { group: 'g', consumer: 'c1', blockMs: 50, claimIdleMs: 200 }, async (m) => {
          attempts.push(m);
          if (attempts.length === 1) {
            failedOnce.resolve();
            throw new Error('transient failure');
          }
        }),
      );
      await sub.ready;
      const id = await bus.publish(stream, tick(7));
      await failedOnce.promise;
      await waitFor('the failed entry to be pending', async () => (await bus.pending(stream, 'g')).some((p) => p.id === id));
      await waitFor('a redelivery', () => attempts.length === 2);
      expect(attempts[1]).toMatchObject({ id, deliveries: 2 });
      await waitFor('the retry to be acked', async () => (await bus.pending(stream, 'g')).length === 0);
      await sleep(400); // past claimIdleMs again: an acked entry must not come back
      expect(attempts).toHaveLength(2);
    });

    it('shares the load between two consumers of one group, never handing one entry to both', async () => {
      const bus = await open();
      const stream = freshStream('share');
      const handled: Array<{ consumer: string; id: string }> = [];
      const options = { group: 'workers', blockMs: 50, batchSize: 3, claimIdleMs: 10_000 };
      const subA = track(bus.subscribe(stream, { ...options, consumer: 'a' }, async (m) => {
        handled.push({ consumer: 'a', id: m.id });
        await sleep(10);
      }));
      const subB = track(bus.subscribe(stream, { ...options, consumer: 'b' }, async (m) => {
        handled.push({ consumer: 'b', id: m.id });
        await sleep(10);
      }));
      await Promise.all([subA.ready, subB.ready]);
      const ids = new Set<string>();
      for (let i = 0; i < 40; i++) ids.add(await bus.publish(stream, tick(i)));
      await waitFor('40 entries handled', () => handled.length >= 40);
      await sleep(200);
      expect(handled).toHaveLength(40);
      expect(new Set(handled.map((h) => h.id))).toEqual(ids);
      expect(new Set(handled.map((h) => h.consumer))).toEqual(new Set(['a', 'b']));
    });

    it('a second group gets every entry too, independently of the first', async () => {
      const bus = await open();
      const stream = freshStream('groups');
      const one: string[] = [];
      const two: string[] = [];
      const s1 = track(bus.subscribe(stream, { group: 'one', consumer: 'x', blockMs: 50 }, async (m) => void one.push(m.id)));
      const s2 = track(bus.subscribe(stream, { group: 'two', consumer: 'x', blockMs: 50 }, async (m) => void two.push(m.id)));
      await Promise.all([s1.ready, s2.ready]);
      for (let i = 0; i < 5; i++) await bus.publish(stream, tick(i));
      await waitFor('both groups', () => one.length === 5 && two.length === 5);
      expect(one).toEqual(two);
    });

    it('reclaims the pending entries of a dead consumer after claimIdleMs', async () => {
      const bus = await open();
      const stream = freshStream('reclaim');
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push(await bus.publish(stream, tick(i)));
      expect(await harness().abandon(stream, 'g', 'dead-worker', 3)).toEqual(ids);
      const pending = await bus.pending(stream, 'g');
      expect(pending.map((p) => [p.id, p.consumer, p.deliveries])).toEqual(ids.map((id) => [id, 'dead-worker', 1]));

      const seen: BusMessage[] = [];
      track(bus.subscribe(stream, { group: 'g', consumer: 'survivor', blockMs: 50, claimIdleMs: 200 }, async (m) => void seen.push(m)));
      await waitFor('the abandoned entries', () => seen.length === 3);
      expect(seen.map((m) => m.id)).toEqual(ids);
      expect(seen.every((m) => m.deliveries === 2)).toBe(true);
      await waitFor('all acked', async () => (await bus.pending(stream, 'g')).length === 0);
    });

    it('dead-letters an entry whose handler keeps failing, after maxDeliveries attempts, with the reason', async () => {
      const bus = await open();
      const stream = freshStream('poison');
      let calls = 0;
      const good: string[] = [];
      const sub = track(
        bus.subscribe(stream, { group: 'g', consumer: 'c1', blockMs: 50, claimIdleMs: 100, maxDeliveries: 3 }, async (m) => {
          if (m.event.type === 'tick' && m.event.last === 13) {
            calls++;
            throw new Error(`cannot handle tick 13 (attempt ${m.deliveries})`);
          }
          good.push(m.id);
        }),
      );
      await sub.ready;
      const id = await bus.publish(stream, tick(13));
      await bus.publish(stream, tick(14));
      const [letter] = await waitFor('a dead letter', async () => {
        const letters = await bus.deadLetters(stream);
        return letters.length > 0 ? letters : null;
      });
      expect(letter).toMatchObject({ originalId: id, stream, group: 'g', consumer: 'c1', deliveries: 3, reason: 'cannot handle tick 13 (attempt 3)' });
      expect(JSON.parse(letter!.payload)).toMatchObject({ type: 'tick', last: 13 });
      expect(letter!.atMs).toBeGreaterThan(0);
      expect(calls).toBe(3);
      expect(good).toHaveLength(1);
      await waitFor('nothing pending', async () => (await bus.pending(stream, 'g')).length === 0);
      await sleep(300);
      expect(calls).toBe(3);
      expect(await bus.deadLetters(stream)).toHaveLength(1);
    });

    it('dead-letters at once an entry that is not a bus event, and goes on with the next', async () => {
      const bus = await open();
      const stream = freshStream('garbage');
      const seen: BusMessage[] = [];
      const garbage = [
        await harness().injectRaw(stream, { event: 'this is not json' }),
        await harness().injectRaw(stream, { event: JSON.stringify({ type: 'tick', symbol: 'EURUSD' }) }),
        await harness().injectRaw(stream, { something: 'else' }),
      ];
      const goodId = await bus.publish(stream, tick(1));
      track(bus.subscribe(stream, { group: 'g', consumer: 'c1', blockMs: 50, startFrom: 'earliest' }, async (m) => void seen.push(m)));
      await waitFor('the valid entry', () => seen.length === 1);
      expect(seen[0]!.id).toBe(goodId);
      const letters = await waitFor('3 dead letters', async () => {
        const l = await bus.deadLetters(stream);
        return l.length === 3 ? l : null;
      });
      // newest first
      expect(letters.map((l) => l.originalId)).toEqual([...garbage].reverse());
      expect(letters.every((l) => l.reason.startsWith('invalid event:') && l.deliveries === 1)).toBe(true);
      expect(letters[2]!.reason).toMatch(/not JSON/);
      expect(letters[2]!.payload).toBe('this is not json');
      expect(letters[1]!.reason).toMatch(/timeMs|bid|ask|source/);
      expect(letters[0]!.reason).toMatch(/no "event" field/);
      expect(JSON.parse(letters[0]!.payload)).toEqual({ something: 'else' });
      await waitFor('nothing pending', async () => (await bus.pending(stream, 'g')).length === 0);
    });

    it('trims towards maxLen without ever dropping an entry a group still needs', async () => {
      const stream = freshStream('trim');
      const bus = await open({ maxLen: { [stream]: 5 } });
      // A group that has read nothing yet: everything published stays, beyond maxLen.
      const idle = bus.subscribe(stream, { group: 'g', consumer: 'idle', blockMs: 50 }, async () => {});
      await idle.ready;
      await idle.stop();
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) ids.push(await bus.publish(stream, tick(i)));
      let stats = await bus.stats(stream);
      expect(stats.length).toBe(20);
      expect(stats.groups).toEqual([{ name: 'g', pending: 0, lag: 20, lastDeliveredId: expect.any(String) }]);

      // Handle everything except entries 3 and 4, which stay pending.
      const handled: string[] = [];
      const worker = track(
        bus.subscribe(stream, { group: 'g', consumer: 'w1', blockMs: 50, claimIdleMs: 60_000 }, async (m) => {
          if (m.id === ids[3] || m.id === ids[4]) throw new Error('not yet');
          handled.push(m.id);
        }),
      );
      await waitFor('18 handled', () => handled.length === 18);
      await waitFor('2 pending', async () => (await bus.pending(stream, 'g')).length === 2);
      stats = await bus.stats(stream);
      expect(stats.groups[0]).toMatchObject({ pending: 2, lag: 0 });

      // Only the entries before the oldest pending one may go.
      expect(await bus.trim(stream)).toBe(3);
      stats = await bus.stats(stream);
      expect(stats.length).toBe(17);
      await bus.publish(stream, tick(20));
      expect((await bus.stats(stream)).length).toBe(18);
      await waitFor('the new entry handled', () => handled.length === 19);

      // Once the pending ones are handled (by a consumer reclaiming them), the stream shrinks to maxLen.
      await worker.stop();
      const retried: string[] = [];
      track(bus.subscribe(stream, { group: 'g', consumer: 'w2', blockMs: 50, claimIdleMs: 100 }, async (m) => void retried.push(m.id)));
      await waitFor('the two pending entries', () => retried.length === 2);
      expect(retried).toEqual([ids[3], ids[4]]);
      await waitFor('nothing pending', async () => (await bus.pending(stream, 'g')).length === 0);
      expect((await bus.stats(stream)).length).toBe(18);
      await bus.publish(stream, tick(21));
      expect((await bus.stats(stream)).length).toBe(5);
      await waitFor('the last entry handled', () => retried.length === 3);
    });

    it('stop() resolves only after the in-flight handler finished, and that entry is acked', async () => {
      const bus = await open();
      const stream = freshStream('stop');
      const started = deferred();
      const release = deferred();
      let finished = false;
      const sub = bus.subscribe(stream, { group: 'g', consumer: 'c1', blockMs: 50 }, async () => {
        started.resolve();
        await release.promise;
        finished = true;
      });
      await sub.ready;
      await bus.publish(stream, tick(1));
      await started.promise;
      let stopped = false;
      const stopping = sub.stop().then(() => (stopped = true));
      await sleep(150);
      expect(stopped).toBe(false);
      release.resolve();
      await stopping;
      expect(finished).toBe(true);
      expect(await bus.pending(stream, 'g')).toEqual([]);
    });

    it('entries read but not started when stop() came go to another consumer without waiting for claimIdleMs', async () => {
      const bus = await open();
      const stream = freshStream('handback');
      const started = deferred();
      const release = deferred();
      const firstSeen: string[] = [];
      const options = { group: 'g', blockMs: 50, batchSize: 10, claimIdleMs: 20_000 };
      // The group exists before the entries, and the consumer starts after them, so one read takes all three.
      const creator = bus.subscribe(stream, { ...options, consumer: 'creator' }, async () => {});
      await creator.ready;
      await creator.stop();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push(await bus.publish(stream, tick(i)));
      const first = bus.subscribe(stream, { ...options, consumer: 'leaving' }, async (m) => {
        firstSeen.push(m.id);
        started.resolve();
        await release.promise;
      });
      await started.promise;
      const stopping = first.stop();
      release.resolve();
      await stopping;
      const rest = ids.filter((id) => !firstSeen.includes(id));
      expect(firstSeen).toHaveLength(1);
      const secondSeen: BusMessage[] = [];
      track(bus.subscribe(stream, { ...options, consumer: 'staying' }, async (m) => void secondSeen.push(m)));
      await waitFor('the handed-back entries', () => secondSeen.length === rest.length, 5_000);
      expect(secondSeen.map((m) => m.id).sort()).toEqual([...rest].sort());
      expect(secondSeen.every((m) => m.deliveries === 1)).toBe(true);
    });

    it('startFrom earliest lets a new group read what was published before it existed', async () => {
      const bus = await open();
      const stream = freshStream('earliest');
      await bus.publish(stream, tick(1));
      await bus.publish(stream, tick(2));
      const late: string[] = [];
      const early: string[] = [];
      const a = track(bus.subscribe(stream, { group: 'late', consumer: 'c', blockMs: 50 }, async (m) => void late.push(m.id)));
      const b = track(bus.subscribe(stream, { group: 'early', consumer: 'c', blockMs: 50, startFrom: 'earliest' }, async (m) => void early.push(m.id)));
      await Promise.all([a.ready, b.ready]);
      await bus.publish(stream, tick(3));
      await waitFor('all entries for the early group', () => early.length === 3 && late.length === 1);
    });
  });
}
