import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { FileParse, ParsedRecord, ParseSummary } from '../../../../engine/ingest/mt5';

/** Third-party test data beside the checkout (see ../shared/data/PROVENANCE.md). */
export const DATA_DIR = fileURLToPath(new URL('../../../../../shared/data/mt5/', import.meta.url));
export const EURUSD_H1 = `${DATA_DIR}EURUSD_H1_export_crlf.csv`;
export const BTCUSD_EA_JSON = `${DATA_DIR}BTCUSD_ea_ticks_20260307.json`;

export function readData(path: string): Buffer {
  return readFileSync(path);
}

/**
 * A stream that hands the bytes over in pieces of exactly `size` (object mode, so Node does
 * not merge them), the way a socket or a slow disk might.
 */
export function chunked(bytes: Buffer, size: number): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
    })(),
  );
}

export function utf16leWithBom(text: string): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
}

export async function collect(parse: FileParse): Promise<{ records: ParsedRecord[]; summary: ParseSummary }> {
  const records: ParsedRecord[] = [];
  for (;;) {
    const next = await parse.next();
    if (next.done) return { records, summary: next.value };
    records.push(next.value);
  }
}
