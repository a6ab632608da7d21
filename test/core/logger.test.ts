import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, loadConfig, secretsOf } from '../../core';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  return { lines, destination };
}

const TOKEN = '7123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0';

describe('logger', () => {
  it('never writes the bot token, API key or a URL password, wherever they appear', () => {
    const config = loadConfig({ TELEGRAM_BOT_TOKEN: TOKEN, ADMIN_API_KEY: 'operator-key-abcdef123456', DATABASE_URL: 'postgres://app:Pa55word!x@db:5432/tp', MASTER_KEY: 'cd'.repeat(32) });
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'debug', pretty: false, secrets: new Set(secretsOf(config)), destination });

    logger.info(`calling https://api.telegram.org/bot${TOKEN}/getMe`);
    logger.info({ url: `https://api.telegram.org/bot${TOKEN}/sendMessage` }, 'request');
    logger.warn({ headers: { authorization: 'Bearer operator-key-abcdef123456' } }, 'auth');
    logger.error({ err: new Error('connect failed for postgres://app:Pa55word!x@db:5432/tp') }, 'db');
    logger.child({ update_id: 1 }).info({ apiKey: 'whatever-value', note: 'key operator-key-abcdef123456 used' }, 'child');

    const output = lines.join('');
    expect(lines).toHaveLength(5);
    for (const secret of [TOKEN, TOKEN.split(':')[1]!, 'operator-key-abcdef123456', 'Pa55word!x', 'whatever-value']) {
      expect(output).not.toContain(secret);
    }
    expect(output).toContain('[redacted');
    expect(JSON.parse(lines[4]!).update_id).toBe(1);
  });

  it('masks a token-shaped string even when it was never registered as a secret', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'info', pretty: false, destination });
    logger.info({ msg2: `token 987654321:AAFdqTcvCH1vGWJxfSeofSAs0K5PALDsaw9 leaked` }, 'oops');
    expect(lines.join('')).not.toContain('AAFdqTcvCH1vGWJxfSeofSAs0K5PALDsaw9');
  });

  it('adds secrets learnt after creation (a generated key) to the mask', () => {
    const { lines, destination } = capture();
    const secrets = new Set<string>();
    const logger = createLogger({ level: 'info', pretty: false, secrets, destination });
    secrets.add('tpk_generated_later_123');
    logger.info('key is tpk_generated_later_123');
    expect(lines.join('')).not.toContain('tpk_generated_later_123');
  });
});
