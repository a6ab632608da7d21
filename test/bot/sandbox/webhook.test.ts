import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SandboxUser, TelegramSandbox } from '../../../bot/sandbox';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { callApi, NO_RATE_LIMITS, startReceiver, startSandbox } from './support';

/** A URL on a port where nothing listens (fetch refuses well-known ports like 9). */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/hook`;
}

describe('webhooks', () => {
  let sandbox: TelegramSandbox;
  let token: string;
  let user: SandboxUser;
  const closers: Array<() => Promise<void>> = [];
  const api = (method: string, params: Record<string, unknown> = {}) => callApi(sandbox.apiRoot, token, method, params);

  beforeEach(async () => {
    sandbox = await startSandbox({ limits: NO_RATE_LIMITS, webhookRetry: { initialDelayMs: 20, maxDelayMs: 100 } });
    token = sandbox.createBot({ username: 'hook_bot' }).token;
    user = sandbox.user({ firstName: 'Gus' });
  });

  afterEach(async () => {
    await sandbox.stop();
    for (const close of closers.splice(0)) await close();
  });

  it('POSTs updates to the webhook with the secret token header', async () => {
    const receiver = await startReceiver(() => ({ status: 200 }));
    closers.push(receiver.close);
    expect((await api('setWebhook', { url: receiver.url, secret_token: 'S3cr3t_token-1' })).body.description).toBe('Webhook was set');

    await user.send('/status');
    await receiver.waitFor(1);
    const [request] = receiver.received;
    expect(request!.headers['x-telegram-bot-api-secret-token']).toBe('S3cr3t_token-1');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.body.message).toMatchObject({ text: '/status', entities: [{ type: 'bot_command', offset: 0, length: 7 }] });

    const info = (await api('getWebhookInfo')).body.result;
    expect(info).toMatchObject({ url: receiver.url, has_custom_certificate: false, pending_update_count: 0, max_connections: 40 });
  });

  it('retries a failed delivery with backoff, records the error, and keeps the order', async () => {
    const receiver = await startReceiver((n) => ({ status: n < 2 ? 500 : 200 }));
    closers.push(receiver.close);
    await api('setWebhook', { url: receiver.url });

    await user.send('first');
    await user.send('second');
    await receiver.waitFor(4);
    const texts = receiver.received.map((r) => r.body.message.text);
    expect(texts).toEqual(['first', 'first', 'first', 'second']);
    const info = (await api('getWebhookInfo')).body.result;
    expect(info.last_error_message).toBe('Wrong response from the webhook: 500 Internal Server Error');
    expect(info.last_error_date).toEqual(expect.any(Number));
  });

  it('keeps updates pending while the receiver is unreachable, then getUpdates may fetch them after deleteWebhook', async () => {
    await api('setWebhook', { url: await closedPortUrl() });
    await user.send('queued');
    let info = (await api('getWebhookInfo')).body.result;
    for (let i = 0; i < 50 && info.last_error_message === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      info = (await api('getWebhookInfo')).body.result;
    }
    expect(info.pending_update_count).toBe(1);
    expect(info.last_error_message).toBe('Connection refused');

    expect((await api('deleteWebhook')).body.description).toBe('Webhook was deleted');
    const updates = (await api('getUpdates')).body.result;
    expect(updates.map((u: { message: { text: string } }) => u.message.text)).toEqual(['queued']);
  });

  it('drops pending updates when asked to', async () => {
    await user.send('old news');
    const receiver = await startReceiver(() => ({ status: 200 }));
    closers.push(receiver.close);
    await api('setWebhook', { url: receiver.url, drop_pending_updates: true });
    await user.send('fresh');
    await receiver.waitFor(1);
    expect(receiver.received.map((r) => r.body.message.text)).toEqual(['fresh']);
  });

  it('runs a method given in the webhook response body (webhook reply)', async () => {
    const receiver = await startReceiver((_n, update) => ({ status: 200, body: { method: 'sendMessage', chat_id: update.message.chat.id, text: 'pong' } }));
    closers.push(receiver.close);
    await api('setWebhook', { url: receiver.url });
    await user.send('ping');
    const reply = await user.nextMessage();
    expect(reply.text).toBe('pong');
  });

  it('rejects a malformed webhook URL', async () => {
    expect((await api('setWebhook', { url: 'not a url' })).body).toEqual({ ok: false, error_code: 400, description: 'Bad Request: invalid webhook URL specified' });
  });

  it('rejects a secret token with characters Telegram does not allow', async () => {
    expect((await api('setWebhook', { url: 'http://127.0.0.1:9/x', secret_token: 'has space' })).body.description).toBe(
      'Bad Request: secret token contains unallowed characters',
    );
  });

  it('lets a bot change its webhook once per second, like tdlib', async () => {
    await api('setWebhook', { url: await closedPortUrl() });
    expect((await api('setWebhook', { url: await closedPortUrl() })).body).toEqual({
      ok: false,
      error_code: 429,
      description: 'Too Many Requests: retry after 1',
      parameters: { retry_after: 1 },
    });
  });
});
