import { BarAggregator } from './bars';
import type { Bar, Tick } from './market/types';
import { TickValidator } from './quality';

export interface SymbolSpec {
  symbol: string;
  digits: number;
}

export interface TickOutcome {
  accepted: boolean;
  reason?: string;
  /** Bars completed by this tick (copies, safe to keep). */
  closed: readonly Bar[];
  /**
   * Forming bars changed by this tick: the aggregator's live objects in a reused array, valid
   * until the next `process` call. Copy what you keep (or ask `takeChangedBars` later).
   */
  updated: readonly Bar[];
}

export interface LastPrice {
  symbol: string;
  timeMs: number;
  bid: number;
  ask: number;
  digits: number;
  source: string;
}

interface SymbolState {
  validator: TickValidator;
  aggregator: BarAggregator;
  digits: number;
  /** Updated in place per tick; handed out as copies. */
  last: LastPrice | undefined;
}

const NO_BARS: readonly Bar[] = Object.freeze([]);

/**
 * The engine's market pipeline as it reads: quality gate → bars. Pure (no I/O): the role
 * feeds it ticks and decides where accepted ticks and bars go.
 *
 * Per tick it allocates nothing but the outcome (and copies of the rare closed bars): a
 * store asks for the forming bars' latest state once per flush (`takeChangedBars`) instead
 * of copying every update.
 */
export class MarketPipeline {
  private readonly states = new Map<string, SymbolState>();
  private readonly rejected = new Map<string, number>();

  constructor(symbols: readonly SymbolSpec[]) {
    for (const { symbol, digits } of symbols) this.addSymbol(symbol, digits);
  }

  addSymbol(symbol: string, digits: number): void {
    if (this.states.has(symbol)) return;
    this.states.set(symbol, {
      validator: new TickValidator(symbol, { point: 10 ** -digits }),
      aggregator: new BarAggregator(symbol, { digits }),
      digits,
      last: undefined,
    });
  }

  has(symbol: string): boolean {
    return this.states.has(symbol);
  }

  process(tick: Tick): TickOutcome {
    const state = this.states.get(tick.symbol);
    if (!state) {
      this.count('unknown_symbol');
      return { accepted: false, reason: 'unknown_symbol', closed: NO_BARS, updated: NO_BARS };
    }
    const verdict = state.validator.check(tick);
    if (!verdict.ok) {
      this.count(verdict.reason);
      return { accepted: false, reason: verdict.reason, closed: NO_BARS, updated: NO_BARS };
    }
    const last = state.last;
    if (last === undefined) {
      state.last = { symbol: tick.symbol, timeMs: tick.timeMs, bid: tick.bid, ask: tick.ask, digits: state.digits, source: tick.source };
    } else {
      last.timeMs = tick.timeMs;
      last.bid = tick.bid;
      last.ask = tick.ask;
      last.source = tick.source;
    }
    // The aggregator reuses its event arrays and bar objects: closed bars are copied here.
    const events = state.aggregator.onTick(tick);
    const closed = events.closed.length === 0 ? NO_BARS : events.closed.map((b) => ({ ...b }));
    return { accepted: true, closed, updated: events.updated };
  }

  /**
   * Copies of the bars changed since the last call, across symbols: forming bars in their
   * latest state and just-closed bars amended by late ticks (see BarAggregator.takeChanged).
   */
  takeChangedBars(): Bar[] {
    const bars: Bar[] = [];
    for (const state of this.states.values()) state.aggregator.takeChanged(bars);
    return bars;
  }

  lastPrice(symbol: string): LastPrice | undefined {
    const last = this.states.get(symbol)?.last;
    return last ? { ...last } : undefined;
  }

  symbols(): string[] {
    return [...this.states.keys()];
  }

  /** Rejections by reason across all symbols (the validators keep per-symbol counts too). */
  rejections(): Record<string, number> {
    return Object.fromEntries(this.rejected);
  }

  private count(reason: string) {
    this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + 1);
  }
}
