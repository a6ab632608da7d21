import { InvalidInputError, NotFoundError, timeframe as timeframeSchema, type Timeframe } from '../core';
import type { BarRow, MarketDataRepository } from '../db';
import { IndicatorSet, type IndicatorValues } from './indicators';

/** Bars read to warm the indicators: EMA seeding effects decay as (1-α)^n, negligible past ~250. */
const INDICATOR_HISTORY = 300;
const MAX_BARS = 5_000;
const SYMBOL = /^[A-Za-z0-9._#-]{1,32}$/;

export interface PriceView {
  symbol: string;
  timeMs: number;
  bid: number;
  ask: number;
  source: string;
}

export interface IndicatorSnapshot {
  symbol: string;
  timeframe: Timeframe;
  /** Open time of the newest bar the values include (the forming bar, when one exists). */
  barTimeMs: number;
  close: number;
  bars: number;
  values: IndicatorValues;
}

/** Live state an engine in this process can offer (fresher than ClickHouse's last flush). */
export interface LiveMarketState {
  lastPrice(symbol: string): PriceView | undefined;
}

export interface MarketQueries {
  lastPrice(symbol: string): Promise<PriceView>;
  lastBars(symbol: string, timeframe: string, count: number): Promise<BarRow[]>;
  indicatorSnapshot(symbol: string, timeframe: string): Promise<IndicatorSnapshot>;
}

function checkSymbol(symbol: string): string {
  if (!SYMBOL.test(symbol)) throw new InvalidInputError('symbol_invalid', `symbol ${JSON.stringify(symbol)} is not valid: use 1-32 letters, digits or . _ # -`);
  return symbol.toUpperCase();
}

function checkTimeframe(value: string): Timeframe {
  const parsed = timeframeSchema.safeParse(value.toUpperCase());
  if (!parsed.success) throw new InvalidInputError('timeframe_invalid', `timeframe ${JSON.stringify(value)} is not one of ${timeframeSchema.options.join(', ')}`);
  return parsed.data;
}

/**
 * Market data queries for the other roles (bot, admin API): the engine's facade. Reads the
 * live engine when it runs in this process, ClickHouse otherwise.
 */
export function createMarketQueries(deps: { repository: MarketDataRepository; live?: LiveMarketState }): MarketQueries {
  return {
    async lastPrice(rawSymbol) {
      const symbol = checkSymbol(rawSymbol);
      const live = deps.live?.lastPrice(symbol);
      if (live) return live;
      const stored = await deps.repository.lastTick(symbol);
      if (!stored) throw new NotFoundError('no_price', `no price for ${symbol} yet`);
      return { symbol, timeMs: stored.timeMs, bid: stored.bid, ask: stored.ask, source: stored.source };
    },

    async lastBars(rawSymbol, rawTimeframe, count) {
      const symbol = checkSymbol(rawSymbol);
      const timeframe = checkTimeframe(rawTimeframe);
      if (!Number.isInteger(count) || count < 1 || count > MAX_BARS) throw new InvalidInputError('count_invalid', `count must be a whole number from 1 to ${MAX_BARS}`);
      return deps.repository.lastBars(symbol, timeframe, count);
    },

    async indicatorSnapshot(rawSymbol, rawTimeframe) {
      const symbol = checkSymbol(rawSymbol);
      const timeframe = checkTimeframe(rawTimeframe);
      const bars = await deps.repository.lastBars(symbol, timeframe, INDICATOR_HISTORY);
      const last = bars.at(-1);
      if (!last) throw new NotFoundError('no_bars', `no ${timeframe} bars for ${symbol} yet`);
      const set = new IndicatorSet();
      for (const bar of bars) set.updateBar({ high: bar.high, low: bar.low, close: bar.close });
      return { symbol, timeframe, barTimeMs: last.timeMs, close: last.close, bars: bars.length, values: set.snapshot() };
    },
  };
}
