import { StringDecoder } from 'node:string_decoder';
import type { TextEncodingName } from './types';

/** One physical line of a text file, without its `\n` / `\r\n`. */
export interface TextLine {
  /** 1-based line number in the file. */
  lineNo: number;
  text: string;
  /** The line was longer than the cap; its text was discarded while reading. */
  tooLong: boolean;
}

/** Normalizes what a Readable (or any async iterable) yields to Buffers. */
export async function* byteChunks(source: AsyncIterable<unknown>): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    if (Buffer.isBuffer(chunk)) yield chunk;
    else if (chunk instanceof Uint8Array) yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    else if (typeof chunk === 'string') yield Buffer.from(chunk, 'utf8');
    else throw new TypeError(`expected bytes from the stream, got ${typeof chunk}`);
  }
}

/** Reads at least `minBytes` (or everything, if the source is shorter) for format sniffing. */
export async function readPrefix(iterator: AsyncIterator<Buffer>, minBytes: number): Promise<{ prefix: Buffer; ended: boolean }> {
  const parts: Buffer[] = [];
  let size = 0;
  while (size < minBytes) {
    const next = await iterator.next();
    if (next.done) return { prefix: Buffer.concat(parts, size), ended: true };
    parts.push(next.value);
    size += next.value.length;
  }
  return { prefix: Buffer.concat(parts, size), ended: false };
}

/**
 * Decodes a byte stream and splits it into lines, holding at most one line (capped at
 * `maxLineChars`) in memory. The StringDecoder keeps a partial character between chunks, so a
 * UTF-8 sequence or a UTF-16LE code unit (or surrogate pair) split across two chunks decodes
 * correctly. A line over the cap is dropped as it streams in and reported once, `tooLong`.
 */
export async function* decodeLines(
  chunks: AsyncIterable<Buffer>,
  encoding: TextEncodingName,
  bomBytes: number,
  maxLineChars: number,
): AsyncGenerator<TextLine> {
  const decoder = new StringDecoder(encoding === 'utf-16le' ? 'utf16le' : 'utf8');
  const splitter = new LineSplitter(maxLineChars);
  let toSkip = bomBytes;
  for await (let chunk of chunks) {
    if (toSkip > 0) {
      const skipped = Math.min(toSkip, chunk.length);
      chunk = chunk.subarray(skipped);
      toSkip -= skipped;
    }
    const lines = splitter.push(decoder.write(chunk));
    for (const line of lines) yield line;
  }
  for (const line of splitter.push(decoder.end())) yield line;
  const last = splitter.finish();
  if (last) yield last;
}

class LineSplitter {
  private pending = '';
  private discarding = false;
  private lineNo = 0;

  constructor(private readonly maxLineChars: number) {}

  push(text: string): TextLine[] {
    const out: TextLine[] = [];
    let start = 0;
    for (;;) {
      const newline = text.indexOf('\n', start);
      if (newline === -1) {
        if (!this.discarding) {
          this.pending += text.slice(start);
          if (this.pending.length > this.maxLineChars) {
            this.pending = '';
            this.discarding = true;
          }
        }
        return out;
      }
      out.push(this.complete(text.slice(start, newline)));
      start = newline + 1;
    }
  }

  /** The last line when the file does not end with a newline. */
  finish(): TextLine | null {
    if (this.pending === '' && !this.discarding) return null;
    return this.complete('');
  }

  private complete(tail: string): TextLine {
    this.lineNo += 1;
    if (this.discarding) {
      this.discarding = false;
      return { lineNo: this.lineNo, text: '', tooLong: true };
    }
    let text = this.pending + tail;
    this.pending = '';
    if (text.length > this.maxLineChars) return { lineNo: this.lineNo, text: '', tooLong: true };
    if (text.endsWith('\r')) text = text.slice(0, -1);
    return { lineNo: this.lineNo, text, tooLong: false };
  }
}
