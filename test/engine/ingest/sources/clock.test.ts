import { describe, expect, it } from 'vitest';
import { ManualClock, wait } from '../../../../engine/ingest/sources';

describe('ManualClock', () => {
  it('fires timers in due order with now() at their due time, equal times in the order they were set', () => {
    const clock = new ManualClock(1000);
    const fired: Array<[string, number]> = [];
    clock.setTimeout(() => fired.push(['c', clock.now()]), 30);
    clock.setTimeout(() => fired.push(['a', clock.now()]), 10);
    clock.setTimeout(() => fired.push(['b', clock.now()]), 10);
    clock.advance(25);
    expect(fired).toEqual([['a', 1010], ['b', 1010]]);
    expect(clock.now()).toBe(1025);
    clock.advance(100);
    expect(fired).toEqual([['a', 1010], ['b', 1010], ['c', 1030]]);
    expect(clock.now()).toBe(1125);
  });

  it('fires timers set by a firing timer when they fall due within the same advance', () => {
    const clock = new ManualClock(0);
    const times: number[] = [];
    const every = () => {
      times.push(clock.now());
      clock.setTimeout(every, 250);
    };
    clock.setTimeout(every, 250);
    clock.advance(1000);
    expect(times).toEqual([250, 500, 750, 1000]);
    expect(clock.pendingTimers).toBe(1);
  });

  it('does not fire a cleared timer', () => {
    const clock = new ManualClock(0);
    let fired = false;
    const handle = clock.setTimeout(() => (fired = true), 10);
    clock.clearTimeout(handle);
    clock.advance(20);
    expect(fired).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('refuses to go back in time', () => {
    const clock = new ManualClock(100);
    expect(() => clock.advanceTo(50)).toThrow(RangeError);
  });

  it('runNext jumps to the earliest timer; whenTimerPending resolves once one is set', async () => {
    const clock = new ManualClock(0);
    expect(clock.runNext()).toBe(false);
    const pending = clock.whenTimerPending();
    const w = wait(clock, 500);
    await pending;
    expect(clock.nextDueMs()).toBe(500);
    expect(clock.runNext()).toBe(true);
    expect(clock.now()).toBe(500);
    await expect(w.done).resolves.toBe(true);
  });

  it('wait() resolves false when cancelled, and its timer is gone', async () => {
    const clock = new ManualClock(0);
    const w = wait(clock, 500);
    w.cancel();
    await expect(w.done).resolves.toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });
});
