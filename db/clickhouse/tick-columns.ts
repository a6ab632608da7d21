/**
 * Live ticks as columns of numbers, and their encoding into one TabSeparated INSERT body.
 *
 * The engine buffers the ticks of every symbol between flushes (engine/store-writer.ts). Kept
 * as objects they would survive young-generation collections and be copied by every
 * scavenge; kept as typed-array columns they cost the collector nothing. Here they are
 * written straight from the columns into a reused byte buffer, a slice of rows at a time, so
 * a flush of 100 000 ticks neither builds 100 000 row objects nor one large JSON string, and
 * the body reaches chDB without another copy (see `insertTickText` in market-data.ts).
 */
import { MAX_NUMBER_BYTES, TIME_BYTES, TsvBytes, tsvText } from './tsv-bytes';

/** Rows `begin`…`end-1` of a block of ticks; `symbol` and `source` are ids into a string table. */
export interface TickColumns {
  readonly timeMs: Float64Array;
  readonly bid: Float64Array;
  readonly ask: Float64Array;
  readonly last: Float64Array;
  readonly volume: Float64Array;
  readonly flags: Float64Array;
  readonly symbol: Uint32Array;
  readonly source: Uint32Array;
}

/** The ticks table's columns in the order every TabSeparated tick body writes them. */
export const TICK_COLUMNS: [string, ...string[]] = ['symbol', 'source', 'time', 'bid', 'ask', 'last', 'volume', 'flags'];

/** A row's bytes besides symbol and source: the time, five numbers, their tabs and the newline. */
const MAX_ROW_BYTES = TIME_BYTES + 5 * MAX_NUMBER_BYTES + 6;

/**
 * One INSERT body of ticks being encoded. `add` appends rows of a column block; `take` hands
 * out the body (valid until the next `add` or `reset`). The buffer is kept and reused. Rows
 * are written byte by byte (TsvBytes), numbers so that they read back as the same doubles.
 */
export class TickTextBody {
  private readonly out = new TsvBytes();
  private count = 0;
  /** `tsvText(string) + '\t'` as UTF-8 per string id, made once. */
  private readonly prefixes: Buffer[] = [];

  /** Rows encoded since the last reset. */
  get rows(): number {
    return this.count;
  }

  /**
   * Encodes rows `from`…`to-1` of `columns`, whose symbol and source ids index `strings` (a
   * table that only grows: an id's text is remembered). InvalidInputError for a time that
   * is not whole epoch ms ≥ 0; the rows of this call are then not kept.
   */
  add(columns: TickColumns, strings: readonly string[], from: number, to: number): void {
    const { timeMs, bid, ask, last, volume, flags, symbol, source } = columns;
    const out = this.out;
    const start = out.length;
    try {
      for (let i = from; i < to; i += 1) {
        const symbolBytes = this.prefix(strings, symbol[i]!);
        const sourceBytes = this.prefix(strings, source[i]!);
        out.reserve(symbolBytes.length + sourceBytes.length + MAX_ROW_BYTES);
        out.bytes(symbolBytes);
        out.bytes(sourceBytes);
        out.timeAt(timeMs, i);
        out.tab();
        out.numberAt(bid, i);
        out.tab();
        out.numberAt(ask, i);
        out.tab();
        out.numberAt(last, i);
        out.tab();
        out.numberAt(volume, i);
        out.tab();
        out.numberAt(flags, i);
        out.newline();
      }
    } catch (error) {
      out.length = start;
      throw error;
    }
    this.count += to - from;
  }

  /** The encoded rows, as a view of the internal buffer. */
  take(): Buffer {
    return this.out.buffer.subarray(0, this.out.length);
  }

  reset(): void {
    this.out.length = 0;
    this.count = 0;
  }

  private prefix(strings: readonly string[], id: number): Buffer {
    let bytes = this.prefixes[id];
    if (bytes === undefined) {
      const value = strings[id];
      if (value === undefined) throw new RangeError(`no string with id ${id}`);
      bytes = Buffer.from(`${tsvText(value)}\t`, 'utf8');
      this.prefixes[id] = bytes;
    }
    return bytes;
  }
}
