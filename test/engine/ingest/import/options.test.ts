import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../../core/errors';
import { formatTzOffset, parseTimeframe, parseTzOffset, sourceNameFor, sumImportResults, type ImportResult } from '../../../../engine/ingest/import';

describe('parseTzOffset', () => {
  it.each([
    ['120', 120],
    ['-300', -300],
    ['+60', 60],
    ['0', 0],
    ['-0', 0],
    ['+02:00', 120],
    ['-05:00', -300],
    ['3:00', 180],
    ['+05:45', 345],
    ['+14:00', 840],
    ['-12:00', -720],
  ])('reads %s as %d minutes', (text, minutes) => {
    expect(parseTzOffset(text)).toBe(minutes);
    expect(Object.is(parseTzOffset(text), -0)).toBe(false);
  });

  it.each(['2h', '', '+02:60', '1.5', '+15:00', '-13:00', '900', 'UTC+2', '02:00:00'])(
    'refuses %j with a usage error naming the flag',
    (text) => {
      const error = (() => {
        try {
          parseTzOffset(text, '--tz-offset');
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).code).toBe('usage');
      expect((error as Error).message).toMatch(/^--tz-offset /);
    },
  );

  it('formats offsets as ±HH:MM', () => {
    expect(formatTzOffset(120)).toBe('+02:00');
    expect(formatTzOffset(-300)).toBe('-05:00');
    expect(formatTzOffset(0)).toBe('+00:00');
    expect(formatTzOffset(345)).toBe('+05:45');
  });
});

describe('parseTimeframe', () => {
  it('accepts MT5 names in any case', () => {
    expect(parseTimeframe('h1')).toBe('H1');
    expect(parseTimeframe('MN1')).toBe('MN1');
  });
  it('refuses others, naming the flag and the choices', () => {
    expect(() => parseTimeframe('H5')).toThrow(/--timeframe "H5" is not an MT5 timeframe: expected one of M1, .*MN1/);
  });
});

describe('sourceNameFor', () => {
  it('is import: and the base name', () => {
    expect(sourceNameFor('/data/exports/EURUSD_H1.csv')).toBe('import:EURUSD_H1.csv');
  });
});

describe('sumImportResults', () => {
  const result = (over: Partial<ImportResult>): ImportResult => ({
    file: 'f',
    source: 'import:f',
    format: 'mt5-bars',
    kind: 'bars',
    symbol: 'EURUSD',
    timeframe: 'H1',
    tzOffsetMinutes: 0,
    tzOffsetFrom: 'default',
    rows: 0,
    accepted: 0,
    rejected: {},
    fromMs: null,
    toMs: null,
    inserted: 0,
    bytes: 0,
    elapsedMs: 0,
    warnings: [],
    ...over,
  });

  it('adds counts and reasons, spans the earliest to the latest time', () => {
    const totals = sumImportResults([
      result({ rows: 10, accepted: 8, rejected: { column_count: 2 }, fromMs: 5000, toMs: 9000 }),
      result({ rows: 4, accepted: 3, rejected: { column_count: 1 }, fromMs: 1000, toMs: 2000 }),
      result({ rows: 1, accepted: 0, rejected: { 'bad_number:high': 1 } }),
    ]);
    expect(totals).toEqual({ rows: 15, accepted: 11, rejected: { column_count: 3, 'bad_number:high': 1 }, symbol: 'EURUSD', fromMs: 1000, toMs: 9000 });
  });

  it('has a null symbol when the files\' symbols differ', () => {
    expect(sumImportResults([result({}), result({ symbol: 'BTCUSD' })]).symbol).toBeNull();
  });
});
