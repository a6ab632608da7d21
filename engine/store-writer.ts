import type { Logger } from '../core';
import type { BarRow, MarketDataRepository, TickRow } from '../db';
import type { Bar, Tick } from './market/types';

export interface StoreWriterOptions {
  repository: MarketDataRepository;
  logger: Logger;
  /** Ticks kept while ClickHouse is unreachable; beyond it the oldest are dropped and counted. */
  maxBufferedTicks?: number;
}

/**
 * Batches ticks and bars into ClickHouse. A forming bar is written as its latest state
 * (bars are versioned in ClickHouse, so a re-insert replaces it). While ClickHouse is away
 * the buffer is kept and retried on the next flush, bounded so memory cannot run away.
 */
export class StoreWriter {
  private ticks: TickRow[] = [];
  private bars = new Map<string, BarRow>();
  private droppedTicks = 0;
  private lastError: string | undefined;
  private flushing: Promise<void> | undefined;
  private readonly maxBufferedTicks: number;

  constructor(private readonly options: StoreWriterOptions) {
    this.maxBufferedTicks = options.maxBufferedTicks ?? 500_000;
  }

  addTick(tick: Tick): void {
    this.ticks.push({ symbol: tick.symbol, timeMs: tick.timeMs, bid: tick.bid, ask: tick.ask, last: tick.last, volume: tick.volume, flags: tick.flags, source: tick.source });
    if (this.ticks.length > this.maxBufferedTicks) {
      const excess = this.ticks.length - this.maxBufferedTicks;
      this.ticks.splice(0, excess);
      this.droppedTicks += excess;
    }
  }

  addBar(bar: Bar): void {
    this.bars.set(`${bar.symbol}|${bar.timeframe}|${bar.timeMs}`, {
      symbol: bar.symbol,
      timeframe: bar.timeframe,
      timeMs: bar.timeMs,
      open: bar.open,
      high: bar.high,
      low: bar.low,
      close: bar.close,
      tickVolume: bar.tickVolume,
      spread: bar.spread,
    });
  }

  status(): { buffered: number; droppedTicks: number; lastError: string | undefined } {
    return { buffered: this.ticks.length + this.bars.size, droppedTicks: this.droppedTicks, lastError: this.lastError };
  }

  /** Writes what is buffered; on failure keeps it for the next call. Never throws. */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async write(): Promise<void> {
    const ticks = this.ticks;
    const bars = [...this.bars.values()];
    if (ticks.length === 0 && bars.length === 0) return;
    this.ticks = [];
    this.bars = new Map();
    try {
      if (ticks.length > 0) await this.options.repository.insertTicks(ticks);
      if (bars.length > 0) await this.options.repository.insertBars(bars);
      if (this.lastError) this.options.logger.info('market data writes resumed');
      this.lastError = undefined;
    } catch (error) {
      if (!this.lastError) this.options.logger.warn({ err: error }, 'market data write failed; keeping the batch and retrying');
      this.lastError = (error as Error).message;
      // Put the batch back in front of anything that arrived meanwhile.
      this.ticks = ticks.concat(this.ticks);
      for (const bar of bars) {
        const key = `${bar.symbol}|${bar.timeframe}|${bar.timeMs}`;
        if (!this.bars.has(key)) this.bars.set(key, bar);
      }
    }
  }
}
