import type { TickFrame } from '../mt5';
import type { Tick } from '../../market/types';

/**
 * The tick fast path. A bridge receives ~10⁵ tick frames a second and zod's safeParse costs
 * more than the JSON.parse before it, so a tick whose fields are exactly what `tickFrame`
 * accepts is converted here directly. The checks are a strict subset of the schema: anything
 * unusual (a missing field, a string price, a negative volume, an odd symbol) returns null and
 * the caller asks `parseFrame`, which stays the one authority on what is valid and why not.
 */
const SYMBOL = /^[A-Za-z0-9._#-]{1,32}$/;

/** Symbols already known to match SYMBOL: a connection streams a handful, again and again. */
export class SymbolCache {
  private readonly known = new Set<string>();

  constructor(private readonly limit = 1024) {}

  valid(symbol: string): boolean {
    if (this.known.has(symbol)) return true;
    if (!SYMBOL.test(symbol)) return false;
    if (this.known.size < this.limit) this.known.add(symbol);
    return true;
  }
}

function nonNegative(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function optionalNonNegative(value: unknown): boolean {
  return value === undefined || nonNegative(value);
}

function wholeNonNegative(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * `raw` is a parsed JSON object with `type: 'tick'`. Returns the engine tick, or null when the
 * frame needs the full schema's verdict. `offsetMs` is the broker's server-time offset.
 */
export function fastTick(raw: Record<string, unknown>, offsetMs: number, source: string, symbols: SymbolCache): Tick | null {
  const { symbol, time_msc: timeMsc, bid, ask, last, volume, volume_real: volumeReal, flags } = raw;
  if (typeof symbol !== 'string' || !symbols.valid(symbol)) return null;
  if (!wholeNonNegative(timeMsc) || !nonNegative(bid) || !nonNegative(ask)) return null;
  if (!optionalNonNegative(last) || !optionalNonNegative(volume) || !optionalNonNegative(volumeReal)) return null;
  if (flags !== undefined && !wholeNonNegative(flags)) return null;
  return {
    symbol,
    timeMs: timeMsc - offsetMs,
    bid,
    ask,
    last: (last as number | undefined) ?? 0,
    volume: (volumeReal as number | undefined) ?? (volume as number | undefined) ?? 0,
    flags: (flags as number | undefined) ?? 0,
    source,
  };
}

/**
 * A validated tick frame → the engine's tick. MT5 stamps ticks in the broker's server time:
 * UTC = server time − offset. `volume_real` (the exact deal volume) wins over `volume` (MT5's
 * integer lots) when the broker sends it.
 */
export function tickFromFrame(frame: TickFrame, offsetMs: number, source: string): Tick {
  return {
    symbol: frame.symbol,
    timeMs: frame.time_msc - offsetMs,
    bid: frame.bid,
    ask: frame.ask,
    last: frame.last,
    volume: frame.volume_real ?? frame.volume,
    flags: frame.flags,
    source,
  };
}
