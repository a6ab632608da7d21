/**
 * Ordered delivery of one account's ticks to `onTick`, whichever of its connections they came
 * from: a reconnecting EA's old and new sessions feed the same lane, so its ticks reach the
 * engine in the order the terminal sent them.
 *
 * A synchronous handler is called straight away (no queue, no allocation). When it returns a
 * promise, the next ticks wait in a queue until it settles; the queue is bounded in the sense
 * that connections feeding a full lane pause their sockets (`full`) and are resumed through
 * `onRoom` once it has drained to half, so TCP flow control holds the EA back instead of this
 * process buffering without limit.
 */
export interface LaneOptions<T, S> {
  deliver(item: T, session: S): void | PromiseLike<void>;
  /** A handler threw or rejected: reported, never fatal, the next tick is delivered. */
  onError(error: unknown, session: S): void;
  /** Queued ticks at which feeding connections should pause. */
  limit: number;
}

function isThenable(value: unknown): value is PromiseLike<void> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}

export class DeliveryLane<T, S> {
  private items: T[] = [];
  private sessions: S[] = [];
  private head = 0;
  private running = false;
  private readonly roomListeners = new Set<() => void>();
  private readonly idleListeners: Array<() => void> = [];

  constructor(private readonly options: LaneOptions<T, S>) {}

  /** Ticks waiting for the handler. */
  get backlog(): number {
    return this.items.length - this.head;
  }

  get full(): boolean {
    return this.backlog >= this.options.limit;
  }

  get idle(): boolean {
    return !this.running && this.backlog === 0;
  }

  push(item: T, session: S): void {
    if (this.running) {
      this.items.push(item);
      this.sessions.push(session);
      return;
    }
    let result: void | PromiseLike<void>;
    try {
      result = this.options.deliver(item, session);
    } catch (error) {
      this.options.onError(error, session);
      return;
    }
    if (isThenable(result)) {
      this.running = true;
      void this.drain(result, session);
    }
  }

  /** Called once when the lane has room again (after `full` was seen). */
  whenRoom(listener: () => void): void {
    this.roomListeners.add(listener);
  }

  /** Resolves when every pushed tick has been handled. */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.idleListeners.push(resolve));
  }

  private async drain(pending: PromiseLike<void>, session: S): Promise<void> {
    try {
      await pending;
    } catch (error) {
      this.options.onError(error, session);
    }
    while (this.head < this.items.length) {
      const item = this.items[this.head]!;
      const from = this.sessions[this.head]!;
      this.head += 1;
      try {
        const result = this.options.deliver(item, from);
        if (isThenable(result)) await result;
      } catch (error) {
        this.options.onError(error, from);
      }
      if (this.head >= 4096 && this.head * 2 >= this.items.length) this.compact();
      if (this.roomListeners.size > 0 && this.backlog <= this.options.limit >> 1) this.signalRoom();
    }
    this.items = [];
    this.sessions = [];
    this.head = 0;
    this.running = false;
    this.signalRoom();
    for (const resolve of this.idleListeners.splice(0)) resolve();
  }

  /** A lane that never goes idle (a steady stream into an async handler) must not grow forever. */
  private compact(): void {
    this.items = this.items.slice(this.head);
    this.sessions = this.sessions.slice(this.head);
    this.head = 0;
  }

  private signalRoom(): void {
    if (this.roomListeners.size === 0) return;
    const listeners = [...this.roomListeners];
    this.roomListeners.clear();
    for (const listener of listeners) listener();
  }
}
