import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from '../core';
import { TickTextBody, type BarRow, type MarketDataRepository, type TickColumns } from '../db';
import type { Bar, Tick } from './market/types';

export interface StoreWriterOptions {
  repository: MarketDataRepository;
  logger: Logger;
  /**
   * Bars changed since the last call, as copies (MarketPipeline.takeChangedBars): asked at
   * every flush, so forming bars are written in their latest state without a per-tick cost.
   */
  changedBars?: () => readonly Bar[];
  /** Ticks kept while ClickHouse is unreachable; beyond it the oldest are dropped and counted. */
  maxBufferedTicks?: number;
  /** Rows per INSERT (default 50 000: each INSERT costs chDB ~15 ms of CPU on top of its rows). */
  insertRows?: number;
  /**
   * Ticks encoded per event-loop turn (default 200, about 0.1 ms), or more when more ticks
   * arrived during the last turn.
   */
  sliceRows?: number;
}

/**
 * Batches ticks and bars into ClickHouse. Ticks are copied into column buffers (TickBuffer);
 * closed bars are handed in as they close, forming bars are asked for at flush time and
 * written in their latest state (bars are versioned in ClickHouse, so a re-insert replaces
 * them). While ClickHouse is away the buffer is kept and retried on the next flush, bounded
 * so memory cannot run away.
 *
 * A flush encodes the ticks straight from the columns into one TabSeparated body
 * (TickTextBody), a slice per event-loop turn, so ticks keep flowing through the pipeline
 * while it runs and no row object is made; chDB takes the body without a copy and parses it
 * off this thread. What was sent before a failure is not sent again.
 */
export class StoreWriter {
  private readonly ticks: TickBuffer;
  private readonly body = new TickTextBody();
  private bars = new Map<string, BarRow>();
  private droppedTicks = 0;
  private lastError: string | undefined;
  private flushing: Promise<void> | undefined;
  private flushAgain: Promise<void> | undefined;
  private readonly maxBufferedTicks: number;
  private readonly insertRows: number;
  private readonly sliceRows: number;
  /** Ticks added since the last slice was encoded. */
  private arrived = 0;

  constructor(private readonly options: StoreWriterOptions) {
    this.maxBufferedTicks = positive('maxBufferedTicks', options.maxBufferedTicks ?? 500_000);
    this.ticks = new TickBuffer(this.maxBufferedTicks);
    this.insertRows = positive('insertRows', options.insertRows ?? 50_000);
    this.sliceRows = Math.min(this.insertRows, positive('sliceRows', options.sliceRows ?? 200));
  }

  /** Copies the tick's fields into column buffers (no object is kept: see TickBuffer). */
  addTick(tick: Tick): void {
    this.ticks.push(tick);
    this.arrived += 1;
    if (this.ticks.size > this.maxBufferedTicks) this.droppedTicks += this.ticks.dropOldest(this.ticks.size - this.maxBufferedTicks);
  }

  /** A bar to write as it is now (closed bars; forming ones come from `changedBars`). */
  addBar(bar: Bar): void {
    this.bars.set(barKey(bar), toBarRow(bar));
  }

  status(): { buffered: number; droppedTicks: number; lastError: string | undefined } {
    return { buffered: this.ticks.size + this.bars.size, droppedTicks: this.droppedTicks, lastError: this.lastError };
  }

  /**
   * Writes what is buffered, and the bars changed since the last flush; on failure keeps it for
   * the next call. Resolves once everything buffered at the time of the call has been tried:
   * during a running flush, one more follows it. Never throws.
   */
  flush(): Promise<void> {
    if (!this.flushing) {
      this.flushing = this.write().finally(() => {
        this.flushing = undefined;
      });
      return this.flushing;
    }
    this.flushAgain ??= this.flushing.then(() => {
      this.flushAgain = undefined;
      return this.flush();
    });
    return this.flushAgain;
  }

  private async write(): Promise<void> {
    for (const bar of this.options.changedBars?.() ?? []) this.addBar(bar);
    if (this.ticks.size === 0 && this.bars.size === 0) return;
    const ticks = this.ticks.take();
    const bars = [...this.bars.values()];
    this.bars = new Map();
    let ticksSent = 0;
    let barsSent = 0;
    try {
      while (ticksSent < ticks.size) ticksSent = await this.sendTicks(ticks, ticksSent);
      while (barsSent < bars.length) {
        const to = Math.min(bars.length, barsSent + this.insertRows);
        await this.options.repository.insertBars(bars.slice(barsSent, to));
        barsSent = to;
      }
      this.ticks.recycle(ticks);
      if (this.lastError) this.options.logger.info('market data writes resumed');
      this.lastError = undefined;
    } catch (error) {
      if (!this.lastError) this.options.logger.warn({ err: error, ticksSent, barsSent }, 'market data write failed; keeping the batch and retrying');
      this.lastError = (error as Error).message;
      // Put what was not sent back in front of anything that arrived meanwhile.
      this.ticks.putBack(ticks, ticksSent);
      if (this.ticks.size > this.maxBufferedTicks) this.droppedTicks += this.ticks.dropOldest(this.ticks.size - this.maxBufferedTicks);
      for (const bar of bars.slice(barsSent)) {
        const key = barKey(bar);
        if (!this.bars.has(key)) this.bars.set(key, bar);
      }
    }
  }

  /** Encodes and sends one INSERT of the batch's ticks from `from`; returns where the next one starts. */
  private async sendTicks(batch: TickBatch, from: number): Promise<number> {
    const to = Math.min(batch.size, from + this.insertRows);
    const body = this.body;
    body.reset();
    this.arrived = 0;
    for (let start = from; start < to; ) {
      if (start > from) await nextTurn();
      // At least as many rows per turn as ticks arrived during the last one: under a steady
      // stream the writer keeps pace (and catches up) instead of one small slice per turn.
      const end = Math.min(to, start + Math.max(this.sliceRows, Math.ceil(this.arrived * 1.25)));
      this.arrived = 0;
      batch.encode(body, start, end);
      start = end;
    }
    await this.options.repository.insertTickText(body.take());
    await nextTurn();
    return to;
  }
}

function barKey(bar: BarRow): string {
  return `${bar.symbol}|${bar.timeframe}|${bar.timeMs}`;
}

function toBarRow(bar: Bar): BarRow {
  return { symbol: bar.symbol, timeframe: bar.timeframe, timeMs: bar.timeMs, open: bar.open, high: bar.high, low: bar.low, close: bar.close, tickVolume: bar.tickVolume, spread: bar.spread };
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a whole number ≥ 1, got ${value}`);
  return value;
}

// ---------------------------------------------------------------- the tick buffer

/** 4096 ticks: 224 KiB of columns. */
const CHUNK_ROWS = 4096;
const CHUNK_BYTES = CHUNK_ROWS * (6 * Float64Array.BYTES_PER_ELEMENT + 2 * Uint32Array.BYTES_PER_ELEMENT);

/**
 * A block of buffered ticks, column by column, in one allocation; symbol and source as ids
 * into TickBuffer's strings.
 */
class TickChunk implements TickColumns {
  private readonly memory = new ArrayBuffer(CHUNK_BYTES);
  readonly timeMs = new Float64Array(this.memory, 0, CHUNK_ROWS);
  readonly bid = new Float64Array(this.memory, 8 * CHUNK_ROWS, CHUNK_ROWS);
  readonly ask = new Float64Array(this.memory, 16 * CHUNK_ROWS, CHUNK_ROWS);
  readonly last = new Float64Array(this.memory, 24 * CHUNK_ROWS, CHUNK_ROWS);
  readonly volume = new Float64Array(this.memory, 32 * CHUNK_ROWS, CHUNK_ROWS);
  readonly flags = new Float64Array(this.memory, 40 * CHUNK_ROWS, CHUNK_ROWS);
  readonly symbol = new Uint32Array(this.memory, 48 * CHUNK_ROWS, CHUNK_ROWS);
  readonly source = new Uint32Array(this.memory, 52 * CHUNK_ROWS, CHUNK_ROWS);
  /** The chunk's ticks are rows begin…end-1 (rows before begin were dropped or written). */
  begin = 0;
  end = 0;
}

/** Ticks taken out of a TickBuffer for one write, oldest first. */
class TickBatch {
  readonly size: number;

  constructor(
    readonly chunks: readonly TickChunk[],
    private readonly strings: readonly string[],
  ) {
    let size = 0;
    for (const chunk of chunks) size += chunk.end - chunk.begin;
    this.size = size;
  }

  /** Encodes ticks from…to-1 of the batch into `body`. */
  encode(body: TickTextBody, from: number, to: number): void {
    let skip = from;
    let left = to - from;
    for (const chunk of this.chunks) {
      if (left <= 0) break;
      const size = chunk.end - chunk.begin;
      if (skip >= size) {
        skip -= size;
        continue;
      }
      const begin = chunk.begin + skip;
      const end = Math.min(chunk.end, begin + left);
      body.add(chunk, this.strings, begin, end);
      left -= end - begin;
      skip = 0;
    }
  }
}

/**
 * Ticks waiting for ClickHouse, as columns of numbers rather than objects. A tick object kept
 * until the next flush survives young-generation collections, so every scavenge copies the
 * whole buffer again (pauses of 4–8 ms at 100 000 ticks/s) and then the old generation fills
 * up; numbers in typed arrays cost the collector nothing.
 *
 * Written chunks are kept for reuse rather than dropped: at 100 000 ticks/s a new chunk every
 * 40 ms is 5 MB/s of fresh off-heap memory, which V8 answers with full mark-compact
 * collections (3–7 ms pauses on the engine's thread). The spares are bounded by what the
 * buffer may hold anyway: `maxTicks` waiting plus as many in a write under way.
 */
class TickBuffer {
  private chunks: TickChunk[] = [];
  private count = 0;
  private readonly spare: TickChunk[] = [];
  private readonly maxSpare: number;
  /** Symbols and sources, interned: a tick stores their ids. */
  private readonly strings: string[] = [];
  private readonly ids = new Map<string, number>();
  private lastString: string | undefined;
  private lastId = 0;

  constructor(maxTicks: number) {
    this.maxSpare = 2 * Math.ceil(maxTicks / CHUNK_ROWS) + 1;
  }

  get size(): number {
    return this.count;
  }

  push(tick: Tick): void {
    let chunk = this.chunks[this.chunks.length - 1];
    if (chunk === undefined || chunk.end === CHUNK_ROWS) {
      chunk = this.spare.pop() ?? new TickChunk();
      chunk.begin = 0;
      chunk.end = 0;
      this.chunks.push(chunk);
    }
    const i = chunk.end;
    chunk.timeMs[i] = tick.timeMs;
    chunk.bid[i] = tick.bid;
    chunk.ask[i] = tick.ask;
    chunk.last[i] = tick.last;
    chunk.volume[i] = tick.volume;
    chunk.flags[i] = tick.flags;
    chunk.symbol[i] = this.idOf(tick.symbol);
    chunk.source[i] = this.idOf(tick.source);
    chunk.end = i + 1;
    this.count += 1;
  }

  /** Drops up to `n` of the oldest ticks; returns how many were dropped. */
  dropOldest(n: number): number {
    const dropped = Math.min(n, this.count);
    let left = dropped;
    while (left > 0) {
      const first = this.chunks[0]!;
      const here = Math.min(left, first.end - first.begin);
      first.begin += here;
      left -= here;
      // The last chunk stays even when emptied: it is the one being filled.
      if (first.begin === first.end && this.chunks.length > 1) this.recycleChunk(this.chunks.shift()!);
    }
    this.count -= dropped;
    return dropped;
  }

  /** Everything buffered, for one write; the buffer starts over empty. */
  take(): TickBatch {
    const batch = new TickBatch(this.chunks, this.strings);
    this.chunks = [];
    this.count = 0;
    return batch;
  }

  /** A batch's ticks from `sent` on go back in front of what arrived since it was taken. */
  putBack(batch: TickBatch, sent: number): void {
    let skip = sent;
    const back: TickChunk[] = [];
    for (const chunk of batch.chunks) {
      const size = chunk.end - chunk.begin;
      if (skip >= size) {
        skip -= size;
        this.recycleChunk(chunk);
        continue;
      }
      chunk.begin += skip;
      skip = 0;
      back.push(chunk);
    }
    this.chunks = back.concat(this.chunks);
    this.count += batch.size - sent;
  }

  /** The chunks of a batch that was written, for reuse. */
  recycle(batch: TickBatch): void {
    for (const chunk of batch.chunks) this.recycleChunk(chunk);
  }

  private recycleChunk(chunk: TickChunk): void {
    if (this.spare.length < this.maxSpare) this.spare.push(chunk);
  }

  private idOf(text: string): number {
    if (text === this.lastString) return this.lastId;
    let id = this.ids.get(text);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(text);
      this.ids.set(text, id);
    }
    this.lastString = text;
    this.lastId = id;
    return id;
  }
}
