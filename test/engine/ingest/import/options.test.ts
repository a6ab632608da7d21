import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../../core/errors';
import { parseTimeframe, parseTzOffset, sourceNameFor, sumImportResults, type ImportResult } from '../../../../engine/ingest/import';

describe('parseTzOffset (the --tz-offset flags; the rules are tested in test/core/tz-offset)', () => {
  it.each([
    ['120', 120],
    ['+02:00', 120],
    ['-05:00', -300],
  ])('reads %s as %d minutes', (text, minutes) => {
    expect(parseTzOffset(text)).toBe(minutes);
  });

  it.each(['2h', '+02:60', '+15:00', '+2'])('refuses %j with a usage error naming the flag, the text and what is expected', (text) => {
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
    expect((error as Error).message).toMatch(/^--tz-offset "[^"]+" .+: expected minutes \(120, -300\) or ±HH:MM \(\+02:00, -05:00\)$/);
  });

  it('points at the hours a bare small number probably meant', () => {
    expect(() => parseTzOffset('+3', '--tz-offset')).toThrow('--tz-offset "+3" is 3 minutes, not a whole quarter of an hour as every time zone is (did you mean +03:00, i.e. 180?)');
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
