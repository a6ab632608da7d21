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
  closed: Bar[];
  /** Forming bars changed by this tick (copies, safe to keep). */
  updated: Bar[];
}

export interface LastPrice {
  symbol: string;
  timeMs: number;
  bid: number;
  ask: number;
  digits: number;
  source: string;
}

/**
 * The engine's market pipeline as it reads: quality gate → bars. Pure (no I/O): the role
 * feeds it ticks and decides where accepted ticks and bars go.
 */
export class MarketPipeline {
  private readonly validators = new Map<string, TickValidator>();
  private readonly aggregators = new Map<string, BarAggregator>();
  private readonly digits = new Map<string, number>();
  private readonly last = new Map<string, LastPrice>();
  private readonly rejected = new Map<string, number>();

  constructor(symbols: readonly SymbolSpec[]) {
    for (const { symbol, digits } of symbols) this.addSymbol(symbol, digits);
  }

  addSymbol(symbol: string, digits: number): void {
    if (this.digits.has(symbol)) return;
    this.digits.set(symbol, digits);
    this.validators.set(symbol, new TickValidator(symbol, { point: 10 ** -digits }));
    this.aggregators.set(symbol, new BarAggregator(symbol, { digits }));
  }

  process(tick: Tick): TickOutcome {
    const validator = this.validators.get(tick.symbol);
    const aggregator = this.aggregators.get(tick.symbol);
    if (!validator || !aggregator) {
      this.count('unknown_symbol');
      return { accepted: false, reason: 'unknown_symbol', closed: [], updated: [] };
    }
    const verdict = validator.check(tick);
    if (!verdict.ok) {
      this.count(verdict.reason);
      return { accepted: false, reason: verdict.reason, closed: [], updated: [] };
    }
    this.last.set(tick.symbol, { symbol: tick.symbol, timeMs: tick.timeMs, bid: tick.bid, ask: tick.ask, digits: this.digits.get(tick.symbol)!, source: tick.source });
    // The aggregator reuses its event arrays and bar objects: copy what leaves here.
    const events = aggregator.onTick(tick);
    return { accepted: true, closed: events.closed.map((b) => ({ ...b })), updated: events.updated.map((b) => ({ ...b })) };
  }

  lastPrice(symbol: string): LastPrice | undefined {
    return this.last.get(symbol);
  }

  symbols(): string[] {
    return [...this.digits.keys()];
  }

  /** Rejections by reason across all symbols (the validators keep per-symbol counts too). */
  rejections(): Record<string, number> {
    return Object.fromEntries(this.rejected);
  }

  private count(reason: string) {
    this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + 1);
  }
}
