import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config';

describe('replay settings (MARKET_FEED=replay)', () => {
  it('refuses MARKET_FEED=replay without anything to play, and a bad speed or range, naming the variable', () => {
    expect(() => loadConfig({ MARKET_FEED: 'replay' })).toThrow(/MARKET_FEED=replay needs something to play: set REPLAY_SYMBOLS .* or REPLAY_FILES/);
    expect(() => loadConfig({ MARKET_FEED: 'replay', REPLAY_SYMBOLS: 'EURUSD', REPLAY_SPEED: 'fast' })).toThrow(/REPLAY_SPEED="fast" is not a speed/);
    expect(() => loadConfig({ MARKET_FEED: 'replay', REPLAY_SYMBOLS: 'EURUSD', REPLAY_FROM: '2024-03-02', REPLAY_TO: '2024-03-01' })).toThrow('REPLAY_TO must be later than REPLAY_FROM');
    expect(() => loadConfig({ MARKET_FEED: 'replay', REPLAY_SYMBOLS: 'EURUSD', REPLAY_FROM: '2024-03-01 09:00' })).toThrow(/REPLAY_FROM="2024-03-01 09:00" is not a time/);
    expect(() => loadConfig({ MARKET_FEED: 'replay', REPLAY_SYMBOLS: 'EUR/USD' })).toThrow(/REPLAY_SYMBOLS has an invalid symbol "EUR\/USD"/);
    expect(() => loadConfig({ MARKET_FEED: 'replay', REPLAY_FILES: 'a.csv', REPLAY_TZ_OFFSET: '+2' })).toThrow('REPLAY_TZ_OFFSET="+2" is 2 minutes, not a whole quarter of an hour as every time zone is (did you mean +02:00, i.e. 120?): expected minutes (120, -300) or ±HH:MM (+02:00, -05:00)');
    expect(() => loadConfig({ MARKET_FEED: 'replay', REPLAY_FILES: 'a.csv', REPLAY_TZ_OFFSET: 'UTC+2' })).toThrow(/REPLAY_TZ_OFFSET="UTC\+2" is not an offset/);
    expect(loadConfig({ MARKET_FEED: 'replay', REPLAY_SYMBOLS: 'EURUSD, GBPUSD', REPLAY_FROM: '2024-03-01', REPLAY_TO: '2024-03-01T12:00:00+02:00', REPLAY_SPEED: 'max', REPLAY_TZ_OFFSET: '-5:00' }).replay).toEqual({
      symbols: ['EURUSD', 'GBPUSD'],
      files: [],
      fromMs: Date.UTC(2024, 2, 1),
      toMs: Date.UTC(2024, 2, 1, 10),
      speed: 'max',
      tzOffsetMinutes: -300,
    });
    expect(loadConfig({ MARKET_FEED: 'replay', REPLAY_FILES: 'a.csv' }).replay).toMatchObject({ speed: 1, tzOffsetMinutes: 0, files: ['a.csv'] });
  });
});
