import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../core';

describe('loadConfig: MT5_FEED_PRIORITY', () => {
  it('is empty when unset or blank', () => {
    expect(loadConfig({}).mt5FeedPriority).toEqual([]);
    expect(loadConfig({ MT5_FEED_PRIORITY: '  ' }).mt5FeedPriority).toEqual([]);
  });

  it('reads a comma list of servers and server:account terminals, in order', () => {
    const config = loadConfig({ MT5_FEED_PRIORITY: ' ICMarketsSC-Live:51234567, Pepperstone Edge ,,MetaQuotes-Demo:abc_1 ' });
    expect(config.mt5FeedPriority).toEqual([{ server: 'ICMarketsSC-Live', account: '51234567' }, { server: 'Pepperstone Edge' }, { server: 'MetaQuotes-Demo', account: 'abc_1' }]);
  });

  it.each([
    ['ICMarkets-Live:123:4', 'ICMarkets-Live:123:4'],
    ['ICMarkets-Live: 123', 'ICMarkets-Live: 123'],
    [':123', ':123'],
    ['ICMarkets-Live:', 'ICMarkets-Live:'],
    [`${'x'.repeat(129)}`, 'x'.repeat(129)],
    [`Broker:${'1'.repeat(65)}`, `Broker:${'1'.repeat(65)}`],
  ])('names the variable and the bad entry for %j', (value, entry) => {
    const attempt = () => loadConfig({ MT5_FEED_PRIORITY: value });
    expect(attempt).toThrowError(ConfigError);
    expect(attempt).toThrowError(`MT5_FEED_PRIORITY has an invalid entry ${JSON.stringify(entry)}: expected a comma list of <server> or <server>:<account>`);
  });

  it('refuses a terminal listed twice (servers compare in any case)', () => {
    expect(() => loadConfig({ MT5_FEED_PRIORITY: 'Main-Live:1,main-live:1' })).toThrowError(/MT5_FEED_PRIORITY lists "main-live:1" twice/);
    expect(loadConfig({ MT5_FEED_PRIORITY: 'Main-Live:1,Main-Live' }).mt5FeedPriority).toHaveLength(2);
  });
});
