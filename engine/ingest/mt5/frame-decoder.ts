import { isAscii } from 'node:buffer';

/**
 * Splits the EA's TCP byte stream into frames (one JSON text per line), tolerating what real
 * MQL5 senders produce:
 * - `\r\n` line ends (Windows);
 * - NUL bytes: MQL5's StringToCharArray copies the string's terminating 0 into the array, so
 *   an EA that sends the whole array puts a NUL after (or instead of) the `\n`. JSON text can
 *   never contain a raw NUL (it must be escaped), so NUL is treated as a frame separator too;
 *   the empty frames this produces are skipped;
 * - frames split across packets and several frames per packet;
 * - a line longer than `maxLineBytes`: its bytes are dropped as they arrive (memory stays
 *   bounded) up to the next separator, and it is reported once as `line_too_long`;
 * - invalid UTF-8 (an EA that forgot CP_UTF8 and sent ANSI text): the frame is decoded with
 *   U+FFFD replacements, flagged `invalidUtf8` and counted; parseFrame decides whether it is usable.
 * Pure: no sockets, no timers.
 */
export type FrameDecoderRejectReason = 'line_too_long' | 'truncated';

export type DecodedFrame =
  | { type: 'frame'; line: string; invalidUtf8: boolean }
  | { type: 'reject'; reason: FrameDecoderRejectReason };

/**
 * Takes the frames of a chunk one by one, as they are cut out. A reader that handles each frame
 * at once keeps no frame object and no array of a chunk's frames alive: garbage that lives
 * through a young-generation collection can make V8 allocate such objects in the old
 * generation from then on (allocation-site pretenuring), which made the bridge 20-30 % slower,
 * with p99 latencies of several ms, in about half of the processes it ran in.
 */
export interface FrameSink {
  frame(line: string, invalidUtf8: boolean): void;
  reject(reason: FrameDecoderRejectReason): void;
}

export interface FrameDecoderStats {
  frames: number;
  lineTooLong: number;
  truncated: number;
  invalidUtf8: number;
}

export interface FrameDecoderOptions {
  /** Longest accepted frame in bytes, separator excluded (default 64 KiB). */
  maxLineBytes?: number;
}

const NEWLINE = 0x0a;
const NUL = 0x00;

/** Index of the first `\n` or NUL at or after `from`, or -1. */
function nextSeparator(bytes: Uint8Array, from: number): number {
  for (let i = from; i < bytes.length; i += 1) if (bytes[i] === NEWLINE || bytes[i] === NUL) return i;
  return -1;
}

function isAsciiSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

function latin1(bytes: Uint8Array): string {
  return (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('latin1');
}

export class FrameDecoder {
  private readonly maxLineBytes: number;
  private pieces: Buffer[] = [];
  private pendingBytes = 0;
  private discarding = false;
  private readonly strictUtf8 = new TextDecoder('utf-8', { fatal: true });
  private readonly lenientUtf8 = new TextDecoder('utf-8');
  private readonly counts: FrameDecoderStats = { frames: 0, lineTooLong: 0, truncated: 0, invalidUtf8: 0 };

  constructor(options: FrameDecoderOptions = {}) {
    this.maxLineBytes = options.maxLineBytes ?? 64 * 1024;
  }

  /** Running totals since construction. */
  get stats(): Readonly<FrameDecoderStats> {
    return { ...this.counts };
  }

  /** Feeds one TCP chunk; returns the frames (and rejects) it completed, in order. */
  push(chunk: Uint8Array): DecodedFrame[] {
    const out: DecodedFrame[] = [];
    this.feed(chunk, collectInto(out));
    return out;
  }

  /**
   * Feeds one TCP chunk; hands each frame (and reject) it completes to `out` as soon as it is
   * cut out, in order. The sink may be called for frames before a later part of the same chunk
   * has been looked at.
   */
  feed(chunk: Uint8Array, out: FrameSink): void {
    let start = 0;
    if (this.pendingBytes > 0 || this.discarding) {
      // The chunk continues a line begun in an earlier one: up to its first separator.
      const end = nextSeparator(chunk, 0);
      if (end === -1) {
        this.keep(chunk, out);
        return;
      }
      this.completeLine(chunk.subarray(0, end), out);
      start = end + 1;
    }
    // Every frame an EA writes is ASCII. Such a chunk is decoded once, as latin1, and its lines
    // are cut out of that text by index (V8 slices share it), instead of one view, one UTF-8
    // decoding and one trimmed copy per line: the bridge's main source of garbage, and of the
    // young-generation collections that delay ticks.
    const rest = start === 0 ? chunk : chunk.subarray(start);
    if (isAscii(rest)) {
      const text = latin1(rest);
      let from = 0;
      let newline = text.indexOf('\n');
      let nul = text.indexOf('\0');
      for (;;) {
        if (newline !== -1 && newline < from) newline = text.indexOf('\n', from);
        if (nul !== -1 && nul < from) nul = text.indexOf('\0', from);
        const end = newline === -1 ? nul : nul === -1 ? newline : Math.min(newline, nul);
        if (end === -1) break;
        this.completeAsciiLine(text, from, end, out);
        from = end + 1;
      }
      start += from;
    } else {
      for (let end = nextSeparator(chunk, start); end !== -1; end = nextSeparator(chunk, start)) {
        this.completeLine(chunk.subarray(start, end), out);
        start = end + 1;
      }
    }
    if (start < chunk.length) this.keep(chunk.subarray(start), out);
  }

  /** The connection closed: an unterminated partial frame is reported, not guessed at. */
  end(): DecodedFrame[] {
    const out: DecodedFrame[] = [];
    const partial = Buffer.concat(this.pieces, this.pendingBytes);
    this.reset();
    if (this.discarding) {
      this.discarding = false;
    } else if (partial.toString('latin1').trim() !== '') {
      this.counts.truncated += 1;
      out.push({ type: 'reject', reason: 'truncated' });
    }
    return out;
  }

  /** Bytes of a line that has not ended yet: kept, unless the line is already too long. */
  private keep(bytes: Uint8Array, out: FrameSink): void {
    if (this.discarding || bytes.length === 0) return;
    if (this.pendingBytes + bytes.length > this.maxLineBytes) {
      this.startDiscarding(out);
      return;
    }
    this.pieces.push(Buffer.from(bytes)); // a copy: the caller may reuse its buffer
    this.pendingBytes += bytes.length;
  }

  /** The line `text[from, to)`, all ASCII (so its length in bytes is its length in characters). */
  private completeAsciiLine(text: string, from: number, to: number, out: FrameSink): void {
    if (to - from > this.maxLineBytes) {
      this.rejectLongLine(out);
      return;
    }
    // What trim() drops from ASCII text: spaces, tabs, \r, \v, \f.
    while (from < to && isAsciiSpace(text.charCodeAt(from))) from += 1;
    while (to > from && isAsciiSpace(text.charCodeAt(to - 1))) to -= 1;
    if (from === to) return;
    this.counts.frames += 1;
    out.frame(text.slice(from, to), false);
  }

  private completeLine(tail: Uint8Array, out: FrameSink): void {
    if (this.discarding) {
      this.discarding = false; // the over-long line ends here; it was reported when it overflowed
      return;
    }
    if (this.pendingBytes + tail.length > this.maxLineBytes) {
      this.reset();
      this.rejectLongLine(out);
      return;
    }
    const bytes = this.pieces.length === 0 ? tail : Buffer.concat([...this.pieces, tail], this.pendingBytes + tail.length);
    this.reset();
    let line: string;
    let invalidUtf8 = false;
    try {
      line = this.strictUtf8.decode(bytes);
    } catch {
      line = this.lenientUtf8.decode(bytes);
      invalidUtf8 = true;
    }
    line = line.trim(); // drops the `\r` of `\r\n`, stray spaces and a UTF-8 BOM
    if (line === '') return;
    if (invalidUtf8) this.counts.invalidUtf8 += 1;
    this.counts.frames += 1;
    out.frame(line, invalidUtf8);
  }

  private startDiscarding(out: FrameSink): void {
    this.reset();
    this.discarding = true;
    this.rejectLongLine(out);
  }

  private rejectLongLine(out: FrameSink): void {
    this.counts.lineTooLong += 1;
    out.reject('line_too_long');
  }

  private reset(): void {
    this.pieces = [];
    this.pendingBytes = 0;
  }
}

/** A sink that keeps the frames, for callers that want them as an array. */
function collectInto(out: DecodedFrame[]): FrameSink {
  return {
    frame: (line, invalidUtf8) => out.push({ type: 'frame', line, invalidUtf8 }),
    reject: (reason) => out.push({ type: 'reject', reason }),
  };
}
