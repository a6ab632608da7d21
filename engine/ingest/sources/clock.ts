declare const timerBrand: unique symbol;

/** What `Clock.setTimeout` returns: only good for handing back to the same clock's `clearTimeout`. */
export type TimerHandle = { readonly [timerBrand]: 'TimerHandle' };

/**
 * Time as the sources and routers see it. Everything that waits or measures silence goes
 * through one of these, so tests drive time with a ManualClock instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since the epoch (wall time for the system clock). */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The process's clock: Date.now and Node's timers. */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimeout: (callback: () => void, delayMs: number) => setTimeout(callback, Math.max(0, delayMs)) as unknown as TimerHandle,
  clearTimeout: (handle: TimerHandle) => clearTimeout(handle as unknown as NodeJS.Timeout),
});

interface Timer {
  id: number;
  dueMs: number;
  callback: () => void;
}

/**
 * A clock that moves only when told to. Timers fire in due order (ties in the order they were
 * set) with `now()` equal to their due time, so code under test sees exactly the times it
 * asked for. Async code that sets its next timer after some I/O is driven with
 * `whenTimerPending()` + `runNext()`: wait until it has asked, then give it that moment.
 */
export class ManualClock implements Clock {
  private current: number;
  private timers: Timer[] = [];
  private nextId = 1;
  private waiters: Array<() => void> = [];

  constructor(startMs = 0) {
    if (!Number.isFinite(startMs)) throw new RangeError(`startMs must be finite, got ${startMs}`);
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const timer: Timer = { id: this.nextId++, dueMs: this.current + Math.max(0, Number.isFinite(delayMs) ? delayMs : 0), callback };
    // Insert after every timer due at or before it: equal due times keep their setting order.
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1]!.dueMs > timer.dueMs) i--;
    this.timers.splice(i, 0, timer);
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
    return { id: timer.id } as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    const id = (handle as unknown as { id?: number } | undefined)?.id;
    const i = this.timers.findIndex((t) => t.id === id);
    if (i !== -1) this.timers.splice(i, 1);
  }

  /** Number of timers set and not yet fired or cleared. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Due time of the earliest pending timer, or undefined when none is pending. */
  nextDueMs(): number | undefined {
    return this.timers[0]?.dueMs;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way (including timers those set). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`advance(ms) needs ms ≥ 0, got ${ms}`);
    this.advanceTo(this.current + ms);
  }

  /** Moves time to `timeMs` (not backwards), firing due timers in order. */
  advanceTo(timeMs: number): void {
    if (timeMs < this.current) throw new RangeError(`the manual clock cannot go back from ${this.current} to ${timeMs}`);
    for (;;) {
      const timer = this.timers[0];
      if (!timer || timer.dueMs > timeMs) break;
      this.timers.shift();
      this.current = timer.dueMs;
      timer.callback();
    }
    this.current = timeMs;
  }

  /** Moves time to the earliest pending timer and fires it; false when none is pending. */
  runNext(): boolean {
    const timer = this.timers.shift();
    if (!timer) return false;
    this.current = Math.max(this.current, timer.dueMs);
    timer.callback();
    return true;
  }

  /** Resolves as soon as at least one timer is pending (at once if one already is). */
  whenTimerPending(): Promise<void> {
    if (this.timers.length > 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

/**
 * Waits `ms` on `clock`. The returned `cancel` resolves the wait early with `false` (the
 * promise resolves `true` when the time came), so a stopping source is never left hanging.
 */
export function wait(clock: Clock, ms: number): { done: Promise<boolean>; cancel: () => void } {
  let settle!: (elapsed: boolean) => void;
  const done = new Promise<boolean>((resolve) => (settle = resolve));
  const handle = clock.setTimeout(() => settle(true), ms);
  return {
    done,
    cancel: () => {
      clock.clearTimeout(handle);
      settle(false);
    },
  };
}
