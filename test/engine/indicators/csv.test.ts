import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatIndicatorNumber, IndicatorSet, indicatorCsvLines } from '../../../engine/indicators';
import { randomCloses } from './naive';

const HEADER = 'time,close,sma20,ema20,rsi14,macd,macd_signal,macd_hist,bb_upper,bb_middle,bb_lower';

describe('formatIndicatorNumber', () => {
  it.each([
    [0.1 + 0.2, '0.3'],
    [1.0851200000000001, '1.08512'],
    [104523.45, '104523.45'],
    [100, '100'],
    [-2.5, '-2.5'],
    [0, '0'],
    [-0, '0'],
    [1.23e-7, '0.000000123'],
    [-4.56789e-12, '-0.00000000000456789'],
    [123456789012, '123456789000'],
    [1e21, '1000000000000000000000'],
    [2 / 3, '0.6666666667'],
    [49.147339699863584, '49.1473397'],
  ])('writes %d as %s', (value, text) => {
    expect(formatIndicatorNumber(value)).toBe(text);
  });

  it('takes another number of significant digits', () => {
    expect(formatIndicatorNumber(2 / 3, 4)).toBe('0.6667');
    expect(formatIndicatorNumber(1.08512, 3)).toBe('1.09');
  });

  it('refuses a non-finite value', () => {
    expect(() => formatIndicatorNumber(NaN)).toThrow(RangeError);
  });
});

describe('indicatorCsvLines', () => {
  const closes = randomCloses(300, 19);
  const bars = closes.map((close, i) => ({ time: `2025-01-01T${String(i % 24).padStart(2, '0')}:00:00Z`, close }));

  it('writes the header, then one row per bar with empty cells during warm-up', () => {
    const lines = [...indicatorCsvLines(bars)];
    expect(lines[0]).toBe(HEADER);
    expect(lines).toHaveLength(bars.length + 1);
    const rows = lines.slice(1).map((line) => line.split(','));
    const firstFilled = (column: number) => rows.findIndex((cells) => cells[column] !== '');
    expect(rows.every((cells) => cells.length === 11)).toBe(true);
    expect([2, 3, 4, 5, 6, 7, 8, 9, 10].map(firstFilled)).toEqual([19, 19, 14, 25, 33, 33, 19, 19, 19]);
    expect(rows.every((cells, i) => cells[0] === bars[i]!.time && cells[1] === formatIndicatorNumber(bars[i]!.close))).toBe(true);
  });

  it('writes the values of an IndicatorSet, formatted', () => {
    const lines = [...indicatorCsvLines(bars)];
    const set = new IndicatorSet();
    closes.forEach((close) => set.update(close));
    const last = lines.at(-1)!.split(',');
    const s = set.snapshot();
    const expected = [s.sma20, s.ema20, s.rsi14, s.macd, s.macdSignal, s.macdHistogram, s.bbUpper, s.bbMiddle, s.bbLower];
    expect(last.slice(2)).toEqual(expected.map((v) => formatIndicatorNumber(v!)));
  });

  it('quotes a time that holds a comma and writes numeric times as they are', () => {
    const lines = [...indicatorCsvLines([{ time: 'Jan 1, 2025', close: 1 }, { time: 1700000000000, close: 2 }])];
    expect(lines[1]!.startsWith('"Jan 1, 2025",1,')).toBe(true);
    expect(lines[2]!.startsWith('1700000000000,2,')).toBe(true);
  });

  it('names the bar and its time when a close is not a number', () => {
    const run = () => [...indicatorCsvLines([{ time: 't0', close: 1 }, { time: 't1', close: NaN }])];
    expect(run).toThrow('bar 1 (time t1): IndicatorSet: close must be a finite number, got NaN');
  });

  it('writes a real EURUSD H1 export without exponents or float noise', () => {
    const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
    const file = resolve(repo, '../shared/data/mt5/EURUSD_H1_export_crlf.csv');
    if (!existsSync(file)) throw new Error(`test data not found at ${file}`);
    const eurusd = readFileSync(file, 'utf8')
      .trim()
      .split(/\r?\n/)
      .slice(1)
      .map((line) => line.split('\t'))
      .map((cells) => ({ time: `${cells[0]} ${cells[1]}`, close: Number(cells[5]) }));
    const lines = [...indicatorCsvLines(eurusd)];
    expect(lines).toHaveLength(eurusd.length + 1);
    const numbers = lines.slice(1).flatMap((line) => line.split(',').slice(1)).filter((cell) => cell !== '');
    expect(numbers.every((cell) => /^-?\d+(\.\d+)?$/.test(cell))).toBe(true);
    expect(numbers.every((cell) => cell.replace(/^-?0\.0*|[-.]/g, '').length <= 10)).toBe(true);
    expect(lines[1]!.split(',')[1]).toBe(String(eurusd[0]!.close));
  });
});
