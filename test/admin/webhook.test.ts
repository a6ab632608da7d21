import net from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, loadConfig } from '../../core';
import { startPlatform, type Platform } from '../../cli/platform';
import { createTelegramSandbox, type TelegramSandbox } from '../../bot/sandbox';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** BOT_MODE=webhook: the Bot API posts updates to the admin intake with the secret header. */
describe('webhook mode', () => {
  let sandbox: TelegramSandbox;
  let platform: Platform;
  let port: number;

  beforeAll(async () => {
    sandbox = createTelegramSandbox({ port: 0 });
    await sandbox.start();
    const { token } = sandbox.createBot({ username: 'HookBot' });
    port = await freePort();
    const config = loadConfig({
      TELEGRAM_BOT_TOKEN: token,
      TELEGRAM_API_ROOT: sandbox.apiRoot,
      BOT_MODE: 'webhook',
      WEBHOOK_URL: `http://127.0.0.1:${port}/telegram/webhook`,
      WEBHOOK_SECRET: 'hook-secret_123',
      ADMIN_PORT: String(port),
      ADMIN_API_KEY: 'webhook-test-operator-key',
      DATA_DIR: await mkdtemp(join(tmpdir(), 'tp-webhook-')),
    });
    platform = await startPlatform({ config, roles: ['bot', 'engine', 'notifier', 'admin'], logger: createLogger({ level: 'silent', pretty: false }), secrets: new Set() });
  }, 60_000);

  afterAll(async () => {
    await platform?.stop();
    await sandbox?.stop();
  });

  it('registers the webhook and answers updates Telegram delivers to it', async () => {
    expect(platform.roles.find((r) => r.name === 'bot')?.health().mode).toBe('webhook');
    const user = sandbox.user({ id: 5150, firstName: 'Val' }, { bot: 'HookBot' });
    await user.send('/help');
    const reply = await user.waitForMessage(undefined, { timeoutMs: 15_000 });
    expect(reply.text).toMatch(/TradePilot commands/);
  });

  it('refuses a webhook call without the secret token, and a malformed update', async () => {
    const url = `http://127.0.0.1:${port}/telegram/webhook`;
    const forged = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ update_id: 1, message: { text: '/start' } }) });
    expect(forged.status).toBe(401);
    const wrong = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 'nope' }, body: '{"update_id":2}' });
    expect(wrong.status).toBe(401);
    const malformed = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 'hook-secret_123' }, body: '{"update_id":"x"' });
    expect(malformed.status).toBe(400);
    const noId = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 'hook-secret_123' }, body: '{"message":{}}' });
    expect(noId.status).toBe(400);
    expect(((await noId.json()) as { message: string }).message).toMatch(/update_id/);
  });
});
