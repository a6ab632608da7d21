import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, secretsOf } from '../../core';

const TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0';

describe('loadConfig', () => {
  it('applies the documented defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.admin.port).toBe(8080);
    expect(config.mt5BridgePort).toBe(5555);
    expect(config.dataDir).toBe('./data');
    expect(config.telegram.token).toBeUndefined();
    expect(config.telegram.apiRoot).toBe('https://api.telegram.org');
    expect(config.telegram.mode).toBe('polling');
    expect(config.logLevel).toBe('info');
  });

  it('names ADMIN_PORT and the bad value when the port is not a number', () => {
    expect(() => loadConfig({ ADMIN_PORT: 'notaport' })).toThrowError(/ADMIN_PORT="notaport" is not a port/);
    expect(() => loadConfig({ MT5_BRIDGE_PORT: '70000' })).toThrowError(/MT5_BRIDGE_PORT/);
  });

  it('rejects a DATABASE_URL of the wrong protocol without echoing it', () => {
    const attempt = () => loadConfig({ DATABASE_URL: 'mysql://root:hunter22@db/x' });
    expect(attempt).toThrowError(ConfigError);
    expect(attempt).toThrowError(/DATABASE_URL has protocol "mysql:"/);
    try {
      attempt();
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('hunter22');
    }
  });

  it('rejects a malformed bot token without printing it', () => {
    try {
      loadConfig({ TELEGRAM_BOT_TOKEN: 'not-a-token-secretvalue' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toMatch(/TELEGRAM_BOT_TOKEN is malformed/);
      expect((error as Error).message).not.toContain('secretvalue');
    }
  });

  it('requires WEBHOOK_URL and WEBHOOK_SECRET in webhook mode', () => {
    expect(() => loadConfig({ BOT_MODE: 'webhook', TELEGRAM_BOT_TOKEN: TOKEN })).toThrowError(/WEBHOOK_URL is required/);
    expect(() => loadConfig({ BOT_MODE: 'webhook', WEBHOOK_URL: 'https://x.example/tg' })).toThrowError(/WEBHOOK_SECRET is required/);
    expect(() => loadConfig({ BOT_MODE: 'push' })).toThrowError(/BOT_MODE="push"/);
  });

  it('accepts a MASTER_KEY as 64 hex characters and refuses a short one', () => {
    const config = loadConfig({ MASTER_KEY: 'ab'.repeat(32) });
    expect(config.masterKey?.length).toBe(32);
    expect(() => loadConfig({ MASTER_KEY: 'abcd' })).toThrowError(/MASTER_KEY must be 32 bytes/);
  });

  it('chooses the market feed and validates MT5_SYMBOLS', () => {
    expect(loadConfig({}).marketFeed).toBe('sandbox');
    const mt5 = loadConfig({ MARKET_FEED: 'mt5', MT5_SYMBOLS: 'EURUSD, XAUUSD.r ,US30' });
    expect(mt5.marketFeed).toBe('mt5');
    expect(mt5.mt5Symbols).toEqual(['EURUSD', 'XAUUSD.r', 'US30']);
    expect(() => loadConfig({ MARKET_FEED: 'bloomberg' })).toThrowError(/MARKET_FEED="bloomberg" is not allowed/);
    expect(() => loadConfig({ MT5_SYMBOLS: 'EURUSD,EUR USD' })).toThrowError(/MT5_SYMBOLS has an invalid symbol "EUR USD"/);
  });

  it('reads EVENT_LOOP_NICE: -10 by default, 0 to leave the priority alone, nothing outside -20…0', () => {
    expect(loadConfig({}).eventLoopNice).toBe(-10);
    expect(loadConfig({ EVENT_LOOP_NICE: '-20' }).eventLoopNice).toBe(-20);
    expect(Object.is(loadConfig({ EVENT_LOOP_NICE: '-0' }).eventLoopNice, 0)).toBe(true);
    for (const bad of ['5', '-21', '-2.5', 'high']) {
      expect(() => loadConfig({ EVENT_LOOP_NICE: bad })).toThrowError(`EVENT_LOOP_NICE="${bad}" is not allowed: expected a whole number from -20 (highest priority) to 0 (leave the priority alone)`);
    }
  });

  it('rejects an unknown LOG_LEVEL and lists the allowed ones', () => {
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrowError(/LOG_LEVEL="loud".*info/);
  });

  it('lists the token, keys and URL passwords as secrets to mask', () => {
    const config = loadConfig({ TELEGRAM_BOT_TOKEN: TOKEN, ADMIN_API_KEY: 'operator-key-0123456789', REDIS_URL: 'redis://:s3cretpass@127.0.0.1:6379' });
    const secrets = secretsOf(config);
    expect(secrets).toContain(TOKEN);
    expect(secrets).toContain('operator-key-0123456789');
    expect(secrets).toContain('s3cretpass');
  });
});
