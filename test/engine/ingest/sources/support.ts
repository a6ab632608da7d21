import { writeFile } from 'node:fs/promises';
import type { Tick } from '../../../../engine/market/types';
import { FailoverRouter, ManualClock, type FailoverRouterOptions, type FeedStatusEvent } from '../../../../engine/ingest/sources';
import { fxCalendar } from '../../../../engine/quality';
import { feedStatusEvent } from '../../../../core/events';

export function tick(symbol: string, timeMs: number, bid: number, source = 'test', extra: Partial<Tick> = {}): Tick {
  return { symbol, timeMs, bid, ask: Math.round((bid + 0.0002) * 1e5) / 1e5, last: 0, volume: 0, flags: 6, source, ...extra };
}

/** The thresholds the router tests run with. */
export const SILENCE = 5000;
export const RECOVERY = 10_000;
export const CHECK = 250;

export interface RouterHarness {
  clock: ManualClock;
  router: FailoverRouter;
  forwarded: Tick[];
  events: FeedStatusEvent[];
  /** Sources currently ticking (every 100 ms). */
  live: Set<string>;
  /** Advance to `untilMs`, in 100 ms steps, each live source sending one tick per step. */
  runUntil(untilMs: number): void;
}

/**
 * A started FailoverRouter for EURUSD on a manual clock, FX hours unless `options` says
 * otherwise; `live` lists the sources ticking from the start (default: all of `sources`).
 */
export function routerHarness(startMs: number, options: Partial<FailoverRouterOptions> = {}, sources = ['mt5', 'sandbox'], live: readonly string[] = sources): RouterHarness {
  const clock = new ManualClock(startMs);
  const forwarded: Tick[] = [];
  const events: FeedStatusEvent[] = [];
  const router = new FailoverRouter({
    symbol: 'EURUSD',
    sources,
    clock,
    silenceMs: SILENCE,
    recoveryMs: RECOVERY,
    checkEveryMs: CHECK,
    calendar: fxCalendar(),
    onTick: (t) => forwarded.push(t),
    // Every event must be one the bus accepts.
    onStatus: (e) => events.push(feedStatusEvent.parse(e)),
    ...options,
  });
  const ticking = new Set<string>(live);
  router.start();
  return {
    clock,
    router,
    forwarded,
    events,
    live: ticking,
    runUntil(untilMs) {
      while (clock.now() < untilMs) {
        clock.advance(Math.min(100, untilMs - clock.now()));
        for (const source of ticking) router.receive(source, tick('EURUSD', clock.now(), 1.085, source));
      }
    },
  };
}

/**
 * Drives async code that sets its next timer after I/O: waits until it has asked for a
 * timer (or `done` settles), then gives it that moment. No wall-clock sleeping.
 */
export async function drive(clock: ManualClock, done: Promise<unknown>): Promise<void> {
  let finished = false;
  const settle = () => {
    finished = true;
  };
  done.then(settle, settle);
  for (;;) {
    await Promise.race([clock.whenTimerPending(), done]);
    if (finished) return;
    clock.runNext();
  }
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `YYYY.MM.DD\tHH:MM:SS.mmm` as MT5 writes it, for a UTC instant shifted by the server offset. */
export function mt5Time(utcMs: number, tzOffsetMinutes: number): string {
  const d = new Date(utcMs + tzOffsetMinutes * 60_000);
  return `${d.getUTCFullYear()}.${pad(d.getUTCMonth() + 1)}.${pad(d.getUTCDate())}\t${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
}

export const MT5_TICKS_HEADER = '<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\t<FLAGS>';

/** Writes an MT5 "Export ticks" file (every cell filled, CRLF, UTF-8). */
export async function writeTickFile(path: string, ticks: readonly Pick<Tick, 'timeMs' | 'bid' | 'ask'>[], tzOffsetMinutes: number): Promise<void> {
  const lines = [MT5_TICKS_HEADER];
  for (const t of ticks) lines.push(`${mt5Time(t.timeMs, tzOffsetMinutes)}\t${t.bid.toFixed(5)}\t${t.ask.toFixed(5)}\t\t\t6`);
  await writeFile(path, `${lines.join('\r\n')}\r\n`);
}
