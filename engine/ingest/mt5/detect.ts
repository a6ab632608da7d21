import { createHistDataRowParser, parseMt5Header } from './rows';
import type { Format, FormatName, TextEncodingName } from './types';

/** How many leading bytes `parseFile` reads before deciding on the format. */
export const SNIFF_BYTES = 8192;

/** Human names of the accepted formats, for error messages. */
export const EXPECTED_FORMATS: Record<FormatName, string> = {
  'mt5-bars': 'MT5 "Export bars" (header <DATE> <TIME> <OPEN> <HIGH> <LOW> <CLOSE> <TICKVOL> <VOL> <SPREAD>, tab-separated)',
  'mt5-ticks': 'MT5 "Export ticks" (header <DATE> <TIME> <BID> <ASK> <LAST> <VOLUME> <FLAGS>, tab-separated)',
  histdata: 'HistData/MetaTrader CSV without header (YYYY.MM.DD,HH:MM,open,high,low,close,volume)',
  'ea-json': 'EA tick-capture JSON ({"metadata":{…},"ticks":[…]})',
};

export function expectedFormatsText(): string {
  return Object.values(EXPECTED_FORMATS).join('; ');
}

/**
 * The encoding from the byte-order mark; without one, UTF-16LE when most odd bytes are 0
 * (ASCII text in UTF-16LE), else UTF-8. UTF-16BE and UTF-32 are not formats MT5 writes → null.
 */
export function detectEncoding(bytes: Uint8Array): { encoding: TextEncodingName; bomBytes: number } | null {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { encoding: 'utf-8', bomBytes: 3 };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    if (bytes[2] === 0 && bytes[3] === 0 && bytes.length >= 4) return null; // UTF-32LE
    return { encoding: 'utf-16le', bomBytes: 2 };
  }
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return null;
  const pairs = Math.min(256, Math.floor(bytes.length / 2));
  let oddZeros = 0;
  let evenZeros = 0;
  for (let i = 0; i < pairs; i += 1) {
    if (bytes[2 * i] === 0) evenZeros += 1;
    if (bytes[2 * i + 1] === 0) oddZeros += 1;
  }
  if (pairs >= 4 && oddZeros >= pairs * 0.6 && evenZeros <= pairs * 0.1) return { encoding: 'utf-16le', bomBytes: 0 };
  return { encoding: 'utf-8', bomBytes: 0 };
}

export interface Sniffed {
  format: Format | null;
  /** The encoding, even when the format is unknown (null: an encoding MT5 does not write). */
  encoding: { encoding: TextEncodingName; bomBytes: number } | null;
  /** 1-based number of the first non-blank line, the one the decision was made on. */
  lineNo: number;
  line: string;
}

/** Decides encoding and format from the first bytes of a file; see `detectFormat`. */
export function sniff(firstBytes: Uint8Array): Sniffed {
  const encoding = detectEncoding(firstBytes);
  if (!encoding) return { format: null, encoding: null, lineNo: 1, line: '' };
  let body = Buffer.from(firstBytes.buffer, firstBytes.byteOffset, firstBytes.byteLength).subarray(encoding.bomBytes);
  if (encoding.encoding === 'utf-16le' && body.length % 2 === 1) body = body.subarray(0, body.length - 1);
  const text = body.toString(encoding.encoding === 'utf-16le' ? 'utf16le' : 'utf8');
  const lines = text.split('\n');
  let index = lines.findIndex((line) => line.trim() !== '');
  if (index === -1) index = 0;
  const line = (lines[index] ?? '').replace(/\r$/, '');
  const found = classify(line, text.slice(text.indexOf(line)));
  return { format: found ? { name: found, ...encoding } : null, encoding, lineNo: index + 1, line };
}

function classify(line: string, fromLine: string): FormatName | null {
  const trimmed = line.trim();
  if (trimmed.startsWith('{')) return /"(?:metadata|ticks)"\s*:/.test(fromLine) ? 'ea-json' : null;
  if (trimmed.startsWith('<')) return parseMt5Header(trimmed)?.kind ?? null;
  // A headerless file is HistData only when its first line is a valid bar.
  return createHistDataRowParser(0)(trimmed, 1).kind === 'bar' ? 'histdata' : null;
}

/**
 * Detects format and encoding from the first bytes of a file (a few KiB are plenty; a cut
 * last line is fine as long as the first non-blank line is whole):
 * - encoding: UTF-8 BOM, UTF-16LE BOM, BOM-less UTF-16LE by its zero high bytes, else UTF-8;
 * - `ea-json`: first non-blank character `{` and a `"metadata"` or `"ticks"` key in the bytes given;
 * - `mt5-ticks`: a header of `<NAME>` cells with <DATE>, <TIME>, <BID>, <ASK>;
 * - `mt5-bars`: a header of `<NAME>` cells with <DATE>, <OPEN>, <HIGH>, <LOW>, <CLOSE> (<TIME> optional);
 * - `histdata`: no header, and the first line parses as a HistData/MetaTrader bar.
 * Returns null for anything else.
 */
export function detectFormat(firstBytes: Buffer): Format | null {
  return sniff(firstBytes).format;
}
