import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TelegramSandbox } from '../../../../bot/sandbox';
import { callApi, NO_RATE_LIMITS, PNG_1X1, startSandbox } from '../support';

/** The JSON endpoints the browser playground uses, exercised the way a page would. */
describe('/_sandbox routes', () => {
  let sandbox: TelegramSandbox;
  let token: string;
  const url = (path: string) => `${sandbox.apiRoot}${path}`;
  const post = async (path: string, body: unknown) => {
    const response = await fetch(url(path), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as any };
  };
  const get = async (path: string) => {
    const response = await fetch(url(path));
    return { status: response.status, body: (await response.json()) as any };
  };

  beforeEach(async () => {
    sandbox = await startSandbox({ limits: NO_RATE_LIMITS });
    token = sandbox.createBot({ username: 'play_bot', firstName: 'Play' }).token;
  });

  afterEach(async () => {
    await sandbox.stop();
  });

  it('lists bots, registers a user and chats with the bot by JSON', async () => {
    expect((await get('/_sandbox/bots')).body).toEqual({ bots: [{ id: Number(token.split(':')[0]), username: 'play_bot', firstName: 'Play' }] });
    const { body: registered } = await post('/_sandbox/users', { firstName: 'Rita', username: 'rita_fx' });
    const userId = registered.user.id as number;

    const { status, body } = await post(`/_sandbox/bots/play_bot/chats/${userId}/messages`, { from: userId, text: '/start abc' });
    expect(status).toBe(200);
    expect(body.message).toMatchObject({ text: '/start abc', fromBot: false, entities: [{ type: 'bot_command', offset: 0, length: 6 }] });
    const update = (await callApi(sandbox.apiRoot, token, 'getUpdates')).body.result[0];
    expect(update.message.from).toEqual({ id: userId, is_bot: false, first_name: 'Rita', username: 'rita_fx' });
  });

  it('long-polls chat events: answers as soon as the bot writes, or empty after waitMs', async () => {
    const userId = (await post('/_sandbox/users', { firstName: 'Sam' })).body.user.id as number;
    await post(`/_sandbox/bots/play_bot/chats/${userId}/messages`, { from: userId, text: 'hi' });
    const { body: page } = await get(`/_sandbox/bots/play_bot/chats/${userId}/messages`);
    expect(page.messages).toHaveLength(1);

    const empty = await get(`/_sandbox/bots/play_bot/chats/${userId}/events?since=${page.cursor}&waitMs=200`);
    expect(empty.body).toEqual({ events: [], cursor: page.cursor, missed: false });

    const waiting = get(`/_sandbox/bots/play_bot/chats/${userId}/events?since=${page.cursor}&waitMs=20000`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await callApi(sandbox.apiRoot, token, 'sendMessage', {
      chat_id: userId,
      text: '<b>Hi</b> & welcome',
      parse_mode: 'HTML',
      reply_markup: { inline_keyboard: [[{ text: 'Go', callback_data: 'go' }]] },
    });
    const { body } = await waiting;
    expect(body.cursor).toBeGreaterThan(page.cursor);
    expect(body.events).toHaveLength(1);
    const event = body.events[0];
    expect(event.type).toBe('message');
    expect(event.message).toMatchObject({ fromBot: true, text: 'Hi & welcome', html: '<b>Hi</b> &amp; welcome' });
    expect(event.message.replyMarkup.inline_keyboard[0][0]).toEqual({ text: 'Go', callback_data: 'go' });

    // The page presses the button and waits for the bot's answer in the same request.
    const pressing = post(`/_sandbox/bots/play_bot/chats/${userId}/messages/${event.message.messageId}/press`, { from: userId, button: 'go', waitMs: 20000 });
    let callbackId: string | undefined;
    for (let i = 0; i < 100 && callbackId === undefined; i++) {
      const updates = (await callApi(sandbox.apiRoot, token, 'getUpdates', { timeout: 1 })).body.result;
      callbackId = updates.find((u: { callback_query?: { id: string } }) => u.callback_query)?.callback_query.id;
    }
    await callApi(sandbox.apiRoot, token, 'answerCallbackQuery', { callback_query_id: callbackId, text: 'Going' });
    expect((await pressing).body.answer).toMatchObject({ answered: true, text: 'Going', showAlert: false });
  });

  it('accepts a photo by multipart and serves it back by its url', async () => {
    const userId = (await post('/_sandbox/users', { firstName: 'Tia' })).body.user.id as number;
    const form = new FormData();
    form.set('from', String(userId));
    form.set('caption', 'look');
    form.set('photo', new Blob([PNG_1X1], { type: 'image/png' }), 'pixel.png');
    const response = await fetch(url(`/_sandbox/bots/play_bot/chats/${userId}/messages`), { method: 'POST', body: form });
    const { message } = (await response.json()) as any;
    expect(message).toMatchObject({ caption: 'look', photo: { width: 1, height: 1, fileSize: PNG_1X1.length } });

    const file = await fetch(url(message.photo.url));
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('image/png');
    expect(Buffer.compare(Buffer.from(await file.arrayBuffer()), PNG_1X1)).toBe(0);
  });

  it('answers mistakes with a status and one sentence', async () => {
    expect(await get('/_sandbox/bots/nobody_bot/chats/1/messages')).toEqual({ status: 404, body: { error: 'no bot "nobody_bot" in this sandbox' } });
    expect(await get('/_sandbox/bots/play_bot/chats/abc/messages')).toEqual({ status: 400, body: { error: 'chatId must be an integer, got "abc"' } });
    expect((await post('/_sandbox/bots/play_bot/chats/5/messages', { from: 5, text: 'x' })).status).toBe(404);
    const badJson = await fetch(url('/_sandbox/users'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toEqual({ error: "can't parse JSON object" });
    expect((await get('/_sandbox/files/nope')).status).toBe(404);
  });
});
