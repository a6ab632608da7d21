import { writeFile } from 'node:fs/promises';
import type { Tick } from '../../../../engine/market/types';
import type { ManualClock } from '../../../../engine/ingest/sources';

export function tick(symbol: string, timeMs: number, bid: number, source = 'test', extra: Partial<Tick> = {}): Tick {
  return { symbol, timeMs, bid, ask: Math.round((bid + 0.0002) * 1e5) / 1e5, last: 0, volume: 0, flags: 6, source, ...extra };
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
