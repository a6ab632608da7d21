import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SandboxUser, TelegramSandbox } from '../../../bot/sandbox';
import { callApi, NO_RATE_LIMITS, startSandbox } from './support';

const OTHER_POLLER = 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running';

describe('getUpdates', () => {
  let sandbox: TelegramSandbox;
  let token: string;
  let user: SandboxUser;
  const api = (method: string, params: Record<string, unknown> = {}, signal?: AbortSignal) => callApi(sandbox.apiRoot, token, method, params, signal);

  beforeEach(async () => {
    sandbox = await startSandbox({ limits: NO_RATE_LIMITS });
    token = sandbox.createBot({ username: 'updates_bot' }).token;
    user = sandbox.user({ firstName: 'Fay' });
  });

  afterEach(async () => {
    await sandbox.stop();
  });

  it('returns a waiting long poll as soon as an update arrives, long before its timeout', async () => {
    const poll = api('getUpdates', { timeout: 50 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await user.send('ping');
    const { body } = await poll; // the test's own 30 s limit would fail a poll that waited 50 s
    expect(body.ok).toBe(true);
    expect(body.result).toHaveLength(1);
    expect(body.result[0].message).toMatchObject({ text: 'ping', from: { id: user.id, is_bot: false, first_name: 'Fay' }, chat: { id: user.id, type: 'private' } });
    expect(body.result[0].update_id).toEqual(expect.any(Number));
  });

  it('returns an empty list after `timeout` seconds when nothing arrives', async () => {
    const started = Date.now();
    const { body } = await api('getUpdates', { timeout: 1 });
    expect(body).toEqual({ ok: true, result: [] });
    // It waited the long poll out rather than answering at once (a bound on meaning, not speed).
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('returns at once with timeout 0 (short polling)', async () => {
    expect((await api('getUpdates')).body).toEqual({ ok: true, result: [] });
  });

  it('confirms updates by offset, honours limit and keeps the last ones for a negative offset', async () => {
    for (const text of ['one', 'two', 'three', 'four']) await user.send(text);
    const all = (await api('getUpdates')).body.result as Array<{ update_id: number; message: { text: string } }>;
    expect(all.map((u) => u.message.text)).toEqual(['one', 'two', 'three', 'four']);
    const firstId = all[0]!.update_id;
    expect(all.map((u) => u.update_id)).toEqual([firstId, firstId + 1, firstId + 2, firstId + 3]);

    const limited = (await api('getUpdates', { limit: 2 })).body.result as typeof all;
    expect(limited.map((u) => u.message.text)).toEqual(['one', 'two']);

    const afterConfirm = (await api('getUpdates', { offset: firstId + 2 })).body.result as typeof all;
    expect(afterConfirm.map((u) => u.message.text)).toEqual(['three', 'four']);
    // Confirmed updates are gone for good.
    expect(((await api('getUpdates')).body.result as typeof all).map((u) => u.message.text)).toEqual(['three', 'four']);

    const last = (await api('getUpdates', { offset: -1 })).body.result as typeof all;
    expect(last.map((u) => u.message.text)).toEqual(['four']);
    expect(((await api('getUpdates')).body.result as typeof all).map((u) => u.message.text)).toEqual(['four']);
  });

  it('answers the OLD long poll with 409 when a second poller starts, and serves the new one', async () => {
    // telegram-bot-api's do_get_updates: a new waiting request aborts the one already waiting.
    const first = api('getUpdates', { timeout: 20 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = api('getUpdates', { timeout: 20 });
    const refused = await first;
    expect(refused).toEqual({ status: 409, body: { ok: false, error_code: 409, description: OTHER_POLLER } });

    await user.send('for the survivor');
    const served = await second;
    expect(served.status).toBe(200);
    expect(served.body.result.map((u: { message: { text: string } }) => u.message.text)).toEqual(['for the survivor']);
  });

  it('forgets a long poll whose client went away, so the next poller gets no 409', async () => {
    const gone = new AbortController();
    const abandoned = api('getUpdates', { timeout: 20 }, gone.signal).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    gone.abort();
    await abandoned;
    await new Promise((resolve) => setTimeout(resolve, 50));
    const next = api('getUpdates', { timeout: 20 });
    await user.send('after restart');
    const { status, body } = await next;
    expect(status).toBe(200);
    expect(body.result[0].message.text).toBe('after restart');
  });

  it('only queues the update types named in allowed_updates', async () => {
    await api('getUpdates', { allowed_updates: ['callback_query'] });
    await user.send('not wanted');
    expect((await api('getUpdates')).body.result).toEqual([]);
    await api('getUpdates', { allowed_updates: [] });
    await user.send('wanted again');
    expect((await api('getUpdates')).body.result.map((u: { message: { text: string } }) => u.message.text)).toEqual(['wanted again']);
  });

  it('refuses getUpdates with 409 while a webhook is set', async () => {
    expect((await api('setWebhook', { url: 'http://127.0.0.1:9/hook' })).body).toEqual({ ok: true, result: true, description: 'Webhook was set' });
    const refused = await api('getUpdates');
    expect(refused).toEqual({
      status: 409,
      body: { ok: false, error_code: 409, description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first" },
    });
  });

  it('ends a waiting long poll with 409 when a webhook is set', async () => {
    const poll = api('getUpdates', { timeout: 20 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await api('setWebhook', { url: 'http://127.0.0.1:9/hook' });
    expect((await poll).body).toEqual({ ok: false, error_code: 409, description: 'Conflict: terminated by setWebhook request' });
  });

  it('ends waiting long polls with an empty result when the sandbox stops', async () => {
    const poll = api('getUpdates', { timeout: 20 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const stopping = sandbox.stop();
    expect((await poll).body).toEqual({ ok: true, result: [] });
    await stopping;
    sandbox = await startSandbox(); // afterEach stops it again
  });
});
