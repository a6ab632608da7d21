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
 * Decodes a byte stream chunk by chunk (after skipping `bomBytes`). The StringDecoder keeps a
 * partial character between chunks, so a UTF-8 sequence or a UTF-16LE code unit (or surrogate
 * pair) split across two chunks decodes correctly.
 */
export async function* decodeChunks(chunks: AsyncIterable<Buffer>, encoding: TextEncodingName, bomBytes: number): AsyncGenerator<string> {
  const decoder = new StringDecoder(encoding === 'utf-16le' ? 'utf16le' : 'utf8');
  let toSkip = bomBytes;
  for await (let chunk of chunks) {
    if (toSkip > 0) {
      const skipped = Math.min(toSkip, chunk.length);
      chunk = chunk.subarray(skipped);
      toSkip -= skipped;
    }
    const text = decoder.write(chunk);
    if (text !== '') yield text;
  }
  const rest = decoder.end();
  if (rest !== '') yield rest;
}

/**
 * Splits decoded text into lines, holding at most one partial line (capped at `maxLineChars`)
 * between pieces of text. A line over the cap is dropped as it streams in and reported once,
 * `tooLong`. Lines are made as they are pulled, so a consumer that handles each before taking
 * the next keeps one line alive at a time.
 */
export class LineSplitter {
  private pending = '';
  private discarding = false;
  private lineNo = 0;

  constructor(private readonly maxLineChars: number) {}

  /** The lines `text` completes (with what earlier text left pending); the rest stays pending. */
  *lines(text: string): Generator<TextLine, void, undefined> {
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
        return;
      }
      const line = this.complete(text, start, newline);
      start = newline + 1;
      yield line;
    }
  }

  /** The last line when the text did not end with a newline. */
  finish(): TextLine | null {
    if (this.pending === '' && !this.discarding) return null;
    return this.complete('', 0, 0);
  }

  /** The line ending at `text[end]` (a newline, or the end of the text), after what is pending. */
  private complete(text: string, start: number, end: number): TextLine {
    this.lineNo += 1;
    if (this.discarding) {
      this.discarding = false;
      return { lineNo: this.lineNo, text: '', tooLong: true };
    }
    let line: string;
    if (this.pending === '') {
      // One string per line: the CR of a CRLF is left out of the slice rather than cut off after.
      line = text.slice(start, end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end);
      if (end - start > this.maxLineChars) return { lineNo: this.lineNo, text: '', tooLong: true };
    } else {
      line = this.pending + text.slice(start, end);
      this.pending = '';
      if (line.length > this.maxLineChars) return { lineNo: this.lineNo, text: '', tooLong: true };
      if (line.endsWith('\r')) line = line.slice(0, -1);
    }
    return { lineNo: this.lineNo, text: line, tooLong: false };
  }
}
