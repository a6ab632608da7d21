import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../../core';
import { parseFile, type BarRecord, type ParsedRecord, type TickRecord } from '../../../../engine/ingest/mt5';
import { BTCUSD_EA_JSON, EURUSD_H1, chunked, collect, readData, utf16leWithBom } from './support';

const HOUR = 3_600_000;

function bars(records: ParsedRecord[]): BarRecord[] {
  return records.filter((r): r is BarRecord => r.kind === 'bar');
}

function text(lines: string[], eol = '\n'): Buffer {
  return Buffer.from(lines.join(eol) + eol, 'utf8');
}

async function expectInvalid(promise: Promise<unknown>): Promise<InvalidInputError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidInputError);
  return error as InvalidInputError;
}

describe('parseFile on the real MT5 "Export bars" file (EURUSD H1, UTF-8, CRLF)', () => {
  it('yields exactly 3,608 bars and no rejects, in broker time for offset 0', async () => {
    const { records, summary } = await collect(parseFile(createReadStream(EURUSD_H1), { tzOffsetMinutes: 0 }));
    const all = bars(records);
    expect(records).toHaveLength(3608);
    expect(all).toHaveLength(3608);
    expect(all[0]).toEqual({
      kind: 'bar', timeMs: Date.UTC(2025, 5, 23, 0, 0), open: 1.14565, high: 1.14745, low: 1.14565, close: 1.14721, tickVolume: 644, volume: 0, spreadPoints: 7,
    });
    expect(all.at(-1)?.timeMs).toBe(Date.UTC(2026, 0, 21, 10, 0));
    expect(summary).toMatchObject({ format: 'mt5-bars', encoding: 'utf-8', symbol: 'EURUSD', timeframe: 'H1', rows: 3608, accepted: 3608, rejected: {} });
    expect(summary.fromMs).toBe(Date.UTC(2025, 5, 23, 0, 0));
    expect(summary.toMs).toBe(Date.UTC(2026, 0, 21, 10, 0));
  });

  it('subtracts a +120 min broker offset: 2025.06.23 00:00 server time is 2025-06-22 22:00 UTC', async () => {
    const { records } = await collect(parseFile(createReadStream(EURUSD_H1), { tzOffsetMinutes: 120 }));
    const all = bars(records);
    expect(all[0]?.timeMs).toBe(Date.UTC(2025, 5, 22, 22, 0));
    expect(new Date(all[0]?.timeMs ?? 0).toISOString()).toBe('2025-06-22T22:00:00.000Z');
    expect(all.at(-1)?.timeMs).toBe(Date.UTC(2026, 0, 21, 8, 0));
  });

  it('gives identical records from the same content as UTF-16LE with BOM and LF, streamed 7 bytes at a time', async () => {
    const original = readData(EURUSD_H1);
    const reference = await collect(parseFile(Readable.from([original]), { tzOffsetMinutes: 120 }));
    // 7 is odd: most chunks end in the middle of a UTF-16 code unit.
    const utf16 = utf16leWithBom(original.toString('utf8').replace(/\r\n/g, '\n'));
    const parse = parseFile(chunked(utf16, 7), { tzOffsetMinutes: 120, fileName: 'EURUSD_H1_export_lf_utf16.csv' });
    const converted = await collect(parse);
    expect(converted.records).toHaveLength(3608);
    expect(converted.records).toEqual(reference.records);
    expect(parse.info).toEqual({ format: 'mt5-bars', encoding: 'utf-16le', symbol: 'EURUSD', timeframe: 'H1' });
  });

  it('gives identical records when the UTF-8 CRLF file arrives in 7-byte pieces (CR and LF split apart)', async () => {
    const original = readData(EURUSD_H1);
    const reference = await collect(parseFile(Readable.from([original]), { tzOffsetMinutes: 0 }));
    const pieces = await collect(parseFile(chunked(original, 7), { tzOffsetMinutes: 0 }));
    expect(pieces.records).toEqual(reference.records);
  });

  it('stops reading the file when the consumer stops early', async () => {
    const stream = createReadStream(EURUSD_H1, { highWaterMark: 1024 });
    let seen = 0;
    for await (const record of parseFile(stream, { tzOffsetMinutes: 0 })) {
      expect(record.kind).toBe('bar');
      seen += 1;
      if (seen === 5) break;
    }
    expect(seen).toBe(5);
    expect(stream.destroyed).toBe(true);
  });
});

describe('parseFile on the real EA tick-capture JSON (BTCUSD)', () => {
  const capture = JSON.parse(readData(BTCUSD_EA_JSON).toString('utf8')) as { ticks: Array<{ collected_msc: number; time_msc: number }> };

  it('yields 694 ticks; with the +60 min offset of PROVENANCE.md the first tick is within 1 s of collected_msc (UTC)', async () => {
    const parse = parseFile(createReadStream(BTCUSD_EA_JSON), { tzOffsetMinutes: 60 });
    const { records, summary } = await collect(parse);
    const ticks = records.filter((r): r is TickRecord => r.kind === 'tick');
    expect(ticks).toHaveLength(694);
    expect(records).toHaveLength(694);
    const first = ticks[0];
    const collected = capture.ticks[0]?.collected_msc ?? 0;
    expect(first).toMatchObject({ kind: 'tick', bid: 67606.99, ask: 67624.05, last: 0, volume: 0, flags: 6 });
    expect(Math.abs((first?.timeMs ?? 0) - collected)).toBeLessThan(1000);
    expect(summary).toMatchObject({ format: 'ea-json', symbol: 'BTCUSD', rows: 694, accepted: 694, rejected: {} });
  });

  it('without the offset the same tick is an hour off: broker time is not UTC', async () => {
    const { records } = await collect(parseFile(createReadStream(BTCUSD_EA_JSON), { tzOffsetMinutes: 0 }));
    const first = records[0] as TickRecord;
    expect(first.timeMs - (capture.ticks[0]?.collected_msc ?? 0)).toBeGreaterThan(HOUR - 1000);
  });

  it('parses the same document minified on one line, in UTF-16LE, 5 bytes at a time', async () => {
    const reference = await collect(parseFile(createReadStream(BTCUSD_EA_JSON), { tzOffsetMinutes: 60 }));
    const oneLine = utf16leWithBom(JSON.stringify(JSON.parse(readData(BTCUSD_EA_JSON).toString('utf8'))));
    const { records } = await collect(parseFile(chunked(oneLine, 5), { tzOffsetMinutes: 60 }));
    expect(records).toEqual(reference.records.map((r) => (r.kind === 'reject' ? { ...r, line: 1 } : r)));
  });

  it('rejects bad tick elements with their line and reason and reports a truncated document', async () => {
    const doc = [
      '{"metadata": {"symbol": "XAUUSD"},',
      ' "ticks": [',
      '  {"time_msc": 1700000000000, "bid": 2000.1, "ask": 2000.3, "tick_flags": "BID ASK"},',
      '  {"time_msc": 1700000000100, "ask": 2000.4},',
      '  {"time_msc": "soon", "bid": 1, "ask": 2},',
      '  42,',
      '  {"time_msc": 1700000000200, "bid": 2000.2, "ask": 2000.5, "last": 0, "real_volume": 1.5, "tick_flags": "BID"},',
      '  {"time_msc": 1700000000300, "bid": 2000.0',
    ].join('\n');
    const { records, summary } = await collect(parseFile(Readable.from([Buffer.from(doc)]), { tzOffsetMinutes: 0, fileName: 'capture.json' }));
    expect(records).toEqual([
      { kind: 'tick', timeMs: 1700000000000, bid: 2000.1, ask: 2000.3, last: 0, volume: 0, flags: 6 },
      { kind: 'reject', line: 4, reason: 'missing_field:bid', text: expect.any(String) },
      { kind: 'reject', line: 5, reason: 'bad_number:time_msc', text: expect.any(String) },
      { kind: 'reject', line: 6, reason: 'tick_not_object', text: expect.any(String) },
      { kind: 'tick', timeMs: 1700000000200, bid: 2000.2, ask: 2000.5, last: 0, volume: 1.5, flags: 2 },
      { kind: 'reject', line: 8, reason: 'truncated_json', text: '' },
    ]);
    expect(summary.symbol).toBe('XAUUSD');
    expect(summary.rejected).toEqual({ 'missing_field:bid': 1, 'bad_number:time_msc': 1, tick_not_object: 1, truncated_json: 1 });
  });
});

describe('parseFile on an MT5 "Export ticks" file', () => {
  const header = '<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\t<FLAGS>';

  it('carries empty bid/ask/last cells forward from the previous tick; an empty volume is 0', async () => {
    const file = text([
      header,
      '2024.03.01\t09:00:00.123\t1.08500\t1.08510\t\t\t6',
      '2024.03.01\t09:00:00.456\t1.08502\t\t\t\t2',
      '2024.03.01\t09:00:01.001\t\t1.08515\t\t\t4',
      '2024.03.01\t09:00:01.5\t\t\t1.08512\t3\t88',
      '2024.03.01\t09:00:02.000\t1.08490\t\t\t\t2',
    ], '\r\n');
    const parse = parseFile(Readable.from([utf16leWithBom(file.toString('utf8'))]), { tzOffsetMinutes: 120, fileName: 'EURUSD_202403010900_202403010901.csv' });
    const { records, summary } = await collect(parse);
    const t0 = Date.UTC(2024, 2, 1, 7, 0, 0);
    expect(records).toEqual([
      { kind: 'tick', timeMs: t0 + 123, bid: 1.085, ask: 1.0851, last: 0, volume: 0, flags: 6 },
      { kind: 'tick', timeMs: t0 + 456, bid: 1.08502, ask: 1.0851, last: 0, volume: 0, flags: 2 },
      { kind: 'tick', timeMs: t0 + 1001, bid: 1.08502, ask: 1.08515, last: 0, volume: 0, flags: 4 },
      { kind: 'tick', timeMs: t0 + 1500, bid: 1.08502, ask: 1.08515, last: 1.08512, volume: 3, flags: 88 },
      { kind: 'tick', timeMs: t0 + 2000, bid: 1.0849, ask: 1.08515, last: 1.08512, volume: 0, flags: 2 },
    ]);
    expect(summary).toMatchObject({ format: 'mt5-ticks', encoding: 'utf-16le', symbol: 'EURUSD', timeframe: null });
  });

  it('rejects a first tick that has no bid to carry, and a bad time, and keeps going', async () => {
    const file = text([
      header,
      '2024.03.01\t09:00:00.100\t\t1.08510\t\t\t4',
      '2024.03.01\t24:00:00.000\t1.08500\t1.08510\t\t\t6',
      '2024.03.01\t09:00:00.300\t1.08500\t1.08510\t\t\t6',
    ]);
    const { records } = await collect(parseFile(Readable.from([file]), { tzOffsetMinutes: 0 }));
    expect(records.map((r) => (r.kind === 'reject' ? `${r.line}:${r.reason}` : r.kind))).toEqual(['2:missing_bid', '3:bad_time', 'tick']);
  });
});

describe('parseFile on headerless HistData / MetaTrader CSV', () => {
  it('reads YYYY.MM.DD,HH:MM,o,h,l,c,v with the EST offset, taking symbol and timeframe from the name', async () => {
    const file = text([
      '2023.01.02,17:01,1.069700,1.069710,1.069690,1.069700,0',
      '2023.01.02,17:02,1.069700,1.069750,1.069680,1.069740,12',
      '2023.01.02,17:04,1.069740,1.069800,1.069740,1.069790,3',
    ]);
    const { records, summary } = await collect(parseFile(Readable.from([file]), { tzOffsetMinutes: -300, fileName: '/tmp/DAT_MT_EURUSD_M1_2023.csv' }));
    expect(records[0]).toEqual({ kind: 'bar', timeMs: Date.UTC(2023, 0, 2, 22, 1), open: 1.0697, high: 1.06971, low: 1.06969, close: 1.0697, tickVolume: 0, volume: 0, spreadPoints: 0 });
    expect(bars(records)).toHaveLength(3);
    expect(summary).toMatchObject({ format: 'histdata', symbol: 'EURUSD', timeframe: 'M1', accepted: 3 });
  });

  it('reads the HistData "Generic ASCII" layout and infers M1 from the spacing when the name does not say', async () => {
    const file = text(['20230102 170100;1.069700;1.069710;1.069690;1.069700;0', '20230102 170300;1.069700;1.069750;1.069680;1.069740;0', '20230102 170400;1.069740;1.069800;1.069740;1.069790;0']);
    const { records, summary } = await collect(parseFile(Readable.from([file]), { tzOffsetMinutes: 0, fileName: 'export.csv', symbol: 'EURUSD' }));
    expect(records.map((r) => r.kind)).toEqual(['bar', 'bar', 'bar']);
    expect(summary).toMatchObject({ symbol: 'EURUSD', timeframe: 'M1' });
  });
});

describe('parseFile on other bar layouts', () => {
  it('reads the date-only D1 export and infers D1 from the spacing across a weekend', async () => {
    const file = text([
      '<DATE>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>',
      '2025.01.02\t1.03500\t1.03900\t1.02200\t1.02600\t91000\t0\t0',
      '2025.01.03\t1.02600\t1.03300\t1.02300\t1.03100\t88000\t0\t0',
      '2025.01.06\t1.03100\t1.04400\t1.03000\t1.03900\t97000\t0\t0',
    ]);
    const { records, summary } = await collect(parseFile(Readable.from([file]), { tzOffsetMinutes: 120, fileName: 'export.csv' }));
    expect(bars(records).map((b) => b.timeMs)).toEqual([Date.UTC(2025, 0, 1, 22), Date.UTC(2025, 0, 2, 22), Date.UTC(2025, 0, 5, 22)]);
    expect(summary).toMatchObject({ symbol: null, timeframe: 'D1' });
  });
});

describe('parseFile on malformed input', () => {
  it('turns malformed lines inside a good bars file into reject records with reasons and parses the rest', async () => {
    const file = text([
      '<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>',
      '2025.06.23\t00:00:00\t1.14565\t1.14745\t1.14565\t1.14721\t644\t0\t7',
      '2025.06.23\t01:00:00\t1.14721\t1.14943\t1.14721\t1.14885\t3043\t0',
      '2025.06.23\t02:00:00\t1.14885\t1.15O71\t1.14857\t1.14992\t1979\t0\t7',
      '2025.02.30\t03:00:00\t1.14993\t1.15054\t1.14807\t1.14889\t3372\t0\t7',
      '2025.06.23\t04:00:00\t1.14993\t1.14807\t1.15054\t1.14889\t3372\t0\t7',
      '2025.06.23\t05:00:00\t1.15993\t1.15054\t1.14807\t1.14889\t3372\t0\t7',
      '',
      '2025.06.23\t06:00:00\t1.14889\t1.15000\t1.14800\t1.14950\t-5\t0\t7',
      '2025.06.23\t07:00:00\t1.14950\t1.15100\t1.14900\t1.15000\t2000\t0\t6',
    ]);
    const { records, summary } = await collect(parseFile(Readable.from([file]), { tzOffsetMinutes: 0 }));
    const rejects = records.filter((r) => r.kind === 'reject');
    expect(rejects.map((r) => (r.kind === 'reject' ? [r.line, r.reason] : null))).toEqual([
      [3, 'column_count'],
      [4, 'bad_number:high'],
      [5, 'bad_date'],
      [6, 'high_below_low'],
      [7, 'open_outside_range'],
      [9, 'bad_number:tickvol'],
    ]);
    expect(rejects[1]).toMatchObject({ text: '2025.06.23\t02:00:00\t1.14885\t1.15O71\t1.14857\t1.14992\t1979\t0\t7' });
    expect(bars(records).map((b) => b.timeMs)).toEqual([Date.UTC(2025, 5, 23, 0), Date.UTC(2025, 5, 23, 7)]);
    expect(summary).toMatchObject({ rows: 8, accepted: 2, rejected: { column_count: 1, 'bad_number:high': 1, bad_date: 1, high_below_low: 1, open_outside_range: 1, 'bad_number:tickvol': 1 } });
  });

  it('rejects an over-long line without holding it, then goes on', async () => {
    const file = text([
      '<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>',
      'x'.repeat(5000),
      '2025.06.23\t00:00:00\t1.14565\t1.14745\t1.14565\t1.14721\t644\t0\t7',
    ]);
    const { records } = await collect(parseFile(chunked(file, 100), { tzOffsetMinutes: 0, maxLineChars: 1000 }));
    expect(records.map((r) => r.kind === 'reject' ? `${r.line}:${r.reason}` : r.kind)).toEqual(['2:line_too_long', 'bar']);
  });

  it('throws InvalidInputError naming the expected formats and the offending line for a file in no known format', async () => {
    const garbage = text(['', '', 'Hello, this is not market data', '1,2,3']);
    const error = await expectInvalid(collect(parseFile(Readable.from([garbage]), { tzOffsetMinutes: 0 })));
    expect(error.code).toBe('unknown_file_format');
    expect(error.message).toMatch(/^Line 3 /);
    expect(error.message).toContain('MT5 "Export bars"');
    expect(error.message).toContain('MT5 "Export ticks"');
    expect(error.message).toContain('HistData');
    expect(error.message).toContain('EA tick-capture JSON');
    expect(error.details).toMatchObject({ line: 3, expected: ['mt5-bars', 'mt5-ticks', 'histdata', 'ea-json'] });
  });

  it('throws InvalidInputError for binary garbage and for an empty file', async () => {
    const binary = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251));
    const error = await expectInvalid(collect(parseFile(chunked(binary, 333), { tzOffsetMinutes: 0 })));
    expect(error.message).toMatch(/^Line \d+ .*Expected one of/);
    await expectInvalid(collect(parseFile(Readable.from([Buffer.alloc(0)]), { tzOffsetMinutes: 0 })));
  });

  it('refuses an explicit format that does not match the file', async () => {
    const error = await expectInvalid(collect(parseFile(createReadStream(EURUSD_H1), { format: 'mt5-ticks', tzOffsetMinutes: 0 })));
    expect(error.message).toContain('looks like mt5-bars');
  });

  it('refuses a tzOffsetMinutes that is not a whole number of minutes within a day', () => {
    expect(() => parseFile(Readable.from([]), { tzOffsetMinutes: 2.5 })).toThrow(InvalidInputError);
    expect(() => parseFile(Readable.from([]), { tzOffsetMinutes: 7200 })).toThrow(/tzOffsetMinutes/);
  });
});
