import { describe, expect, it } from 'vitest';
import { formatTzOffset, readTzOffset } from '../../core/tz-offset';

describe('readTzOffset', () => {
  it.each([
    ['120', 120],
    ['-300', -300],
    ['+60', 60],
    [' 180 ', 180],
    ['0', 0],
    ['-0', 0],
    ['+02:00', 120],
    ['-05:00', -300],
    ['3:00', 180],
    ['+05:45', 345],
    ['-03:30', -210],
    ['+14:00', 840],
    ['-12:00', -720],
  ])('reads %j as %d minutes', (text, minutes) => {
    const reading = readTzOffset(text);
    expect(reading).toEqual({ ok: true, minutes });
    expect(reading.ok && Object.is(reading.minutes, -0)).toBe(false);
  });

  it.each([
    ['2h', 'is not an offset'],
    ['', 'is not an offset'],
    ['UTC+2', 'is not an offset'],
    ['02:00:00', 'is not an offset'],
    ['1.5', 'is not an offset'],
    ['+02:60', 'has minutes of 60 or more'],
    ['+15:00', 'is outside UTC−12:00…UTC+14:00'],
    ['-13:00', 'is outside UTC−12:00…UTC+14:00'],
    ['900', 'is outside UTC−12:00…UTC+14:00'],
  ])('refuses %j: it %s', (text, problem) => {
    expect(readTzOffset(text)).toEqual({ ok: false, problem });
  });

  it('refuses hours typed where minutes are read, and says which offset was probably meant', () => {
    expect(readTzOffset('+2')).toEqual({ ok: false, problem: 'is 2 minutes, not a whole quarter of an hour as every time zone is (did you mean +02:00, i.e. 120?)' });
    expect(readTzOffset('-5')).toEqual({ ok: false, problem: 'is -5 minutes, not a whole quarter of an hour as every time zone is (did you mean -05:00, i.e. -300?)' });
  });

  it('refuses offsets that are no whole quarter of an hour', () => {
    expect(readTzOffset('125')).toEqual({ ok: false, problem: 'is 125 minutes, not a whole quarter of an hour as every time zone is' });
    expect(readTzOffset('+02:07')).toMatchObject({ ok: false, problem: expect.stringMatching(/^is 127 minutes, not a whole quarter/) });
  });
});

describe('formatTzOffset', () => {
  it('writes ±HH:MM', () => {
    expect(formatTzOffset(120)).toBe('+02:00');
    expect(formatTzOffset(-300)).toBe('-05:00');
    expect(formatTzOffset(0)).toBe('+00:00');
    expect(formatTzOffset(345)).toBe('+05:45');
    expect(formatTzOffset(-210)).toBe('-03:30');
  });
});
