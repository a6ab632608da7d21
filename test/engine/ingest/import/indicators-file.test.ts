import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { INDICATOR_CSV_HEADER } from '../../../../engine/indicators';
import { writeIndicatorsCsv } from '../../../../engine/ingest/import';
import { BTCUSD_EA_JSON, EURUSD_H1, EURUSD_ROWS, utf16leWithBom } from './support';

async function csvOf(stream: AsyncIterable<unknown>, options: Parameters<typeof writeIndicatorsCsv>[2] = {}) {
  const chunks: string[] = [];
  const result = await writeIndicatorsCsv(stream, (chunk) => {
    chunks.push(chunk);
  }, options);
  return { text: chunks.join(''), chunks, result };
}

describe('writeIndicatorsCsv', () => {
  it('writes the header and one row per bar, with times in ISO-8601 UTC after the offset', async () => {
    const { text, chunks, result } = await csvOf(createReadStream(EURUSD_H1), { tzOffsetMinutes: 120, fileName: EURUSD_H1 });
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe(INDICATOR_CSV_HEADER);
    expect(lines).toHaveLength(EURUSD_ROWS + 1);
    expect(lines[1]).toBe('2025-06-22T22:00:00.000Z,1.14721,,,,,,,,,');
    expect(result).toEqual({ format: 'mt5-bars', symbol: 'EURUSD', timeframe: 'H1', bars: EURUSD_ROWS, rejected: {} });
    // Written in a few large chunks, not a write per row.
    expect(chunks.length).toBeLessThan(20);
  });

  it('gives the same CSV for a UTF-16LE copy', async () => {
    const utf8 = await csvOf(createReadStream(EURUSD_H1));
    const utf16 = await csvOf(Readable.from([utf16leWithBom(await readFile(EURUSD_H1, 'utf8'))]));
    expect(utf16.text).toBe(utf8.text);
  });

  it('skips bars out of time order and malformed lines, counting them', async () => {
    const lines = (await readFile(EURUSD_H1, 'utf8')).split('\r\n').slice(0, 30);
    lines.splice(10, 0, lines[5]!); // a repeated, earlier bar
    lines.splice(20, 0, 'garbage\tline');
    const { text, result } = await csvOf(Readable.from([Buffer.from(lines.join('\r\n'))]));
    expect(result.bars).toBe(29);
    expect(result.rejected).toMatchObject({ out_of_order: 1 });
    expect(Object.values(result.rejected).reduce((a, b) => a + b, 0)).toBe(2);
    expect(text.trimEnd().split('\n')).toHaveLength(30);
  });

  it('refuses a ticks file', async () => {
    await expect(csvOf(createReadStream(BTCUSD_EA_JSON), { fileName: 'BTCUSD_ea_ticks_20260307.json' })).rejects.toThrow(/holds ticks .*indicators need a bars file/);
  });

  it('names the input, the line and the formats for an unknown file', async () => {
    await expect(csvOf(Readable.from([Buffer.from('hello\n')]), { fileName: 'notes.txt' })).rejects.toThrow(/^notes\.txt: Line 1 .*Expected one of/);
  });
});
