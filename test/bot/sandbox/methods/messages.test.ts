import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SandboxUser, TelegramSandbox } from '../../../../bot/sandbox';
import { callApi, jsonOf, NO_RATE_LIMITS, PNG_1X1, startSandbox } from '../support';

describe('message methods validate like Telegram', () => {
  let sandbox: TelegramSandbox;
  let token: string;
  let user: SandboxUser;
  const api = (method: string, params: Record<string, unknown> = {}) => callApi(sandbox.apiRoot, token, method, params);
  const badRequest = (description: string) => ({ status: 400, body: { ok: false, error_code: 400, description: `Bad Request: ${description}` } });
  const send = (params: Record<string, unknown>) => api('sendMessage', { chat_id: user.id, ...params });

  beforeEach(async () => {
    sandbox = await startSandbox({ limits: NO_RATE_LIMITS });
    token = sandbox.createBot({ username: 'valid_bot' }).token;
    user = sandbox.user({ firstName: 'Hal' });
    await user.send('/start');
  });

  afterEach(async () => {
    await sandbox.stop();
  });

  describe('text length', () => {
    it('accepts 4096 characters', async () => {
      const { status, body } = await send({ text: 'x'.repeat(4096) });
      expect(status).toBe(200);
      expect(body.result.text).toHaveLength(4096);
    });

    it('refuses 4097 characters with "message is too long"', async () => {
      expect(await send({ text: 'x'.repeat(4097) })).toEqual(badRequest('message is too long'));
    });

    it('measures the length after entity parsing', async () => {
      const { status } = await send({ text: `<b>${'x'.repeat(4096)}</b>`, parse_mode: 'HTML' });
      expect(status).toBe(200);
    });

    it('counts characters, not UTF-16 units: 4096 emoji fit', async () => {
      expect((await send({ text: '📈'.repeat(4096) })).status).toBe(200);
      expect(await send({ text: '📈'.repeat(4097) })).toEqual(badRequest('message is too long'));
    });

    it('refuses an empty text, also when only markup or spaces remain', async () => {
      expect(await send({ text: '' })).toEqual(badRequest('message text is empty'));
      expect(await send({})).toEqual(badRequest('message text is empty'));
      expect(await send({ text: '<b></b>  ', parse_mode: 'HTML' })).toEqual(badRequest('message text is empty'));
    });

    it('limits captions to 1024 characters', async () => {
      const form = (caption: string) => {
        const body = new FormData();
        body.set('chat_id', String(user.id));
        body.set('caption', caption);
        body.set('photo', new Blob([PNG_1X1]), 'p.png');
        return body;
      };
      const post = async (caption: string) => jsonOf(await fetch(`${sandbox.apiRoot}/bot${token}/sendPhoto`, { method: 'POST', body: form(caption) }));
      expect((await post('c'.repeat(1024))).ok).toBe(true);
      expect(await post('c'.repeat(1025))).toEqual({ ok: false, error_code: 400, description: 'Bad Request: message caption is too long' });
    });
  });

  describe('parse modes', () => {
    it('parses HTML into entities', async () => {
      const { body } = await send({ text: '<b>Buy</b> <i>EURUSD</i> at <code>1.0850</code> <a href="https://example.com/x">chart</a>', parse_mode: 'HTML' });
      expect(body.result.text).toBe('Buy EURUSD at 1.0850 chart');
      expect(body.result.entities).toEqual([
        { type: 'bold', offset: 0, length: 3 },
        { type: 'italic', offset: 4, length: 6 },
        { type: 'code', offset: 14, length: 6 },
        { type: 'text_link', offset: 21, length: 5, url: 'https://example.com/x' },
      ]);
    });

    it.each([
      ['<b>unclosed', "Can't find end tag corresponding to start tag b"],
      ['<blink>x</blink>', 'Unsupported start tag "blink" at byte offset 0'],
      ['<b><i>x</b></i>', 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'],
      ['x </b>', 'Unexpected end tag at byte offset 2'],
      ['1 < 2', 'Unsupported start tag "" at byte offset 2'],
      ['<span>x</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'],
    ])('refuses the HTML %j with "can\'t parse entities"', async (text, detail) => {
      expect(await send({ text, parse_mode: 'HTML' })).toEqual(badRequest(`can't parse entities: ${detail}`));
    });

    it('treats parse_mode case-insensitively and refuses an unknown one', async () => {
      expect((await send({ text: '<b>x</b>', parse_mode: 'html' })).body.result.entities).toEqual([{ type: 'bold', offset: 0, length: 1 }]);
      expect(await send({ text: 'x', parse_mode: 'BBCode' })).toEqual(badRequest('unsupported parse_mode'));
    });

    it('refuses an unescaped reserved MarkdownV2 character with Telegram\'s sentence', async () => {
      expect(await send({ text: 'Version 1.0', parse_mode: 'MarkdownV2' })).toEqual(
        badRequest("can't parse entities: Character '.' is reserved and must be escaped with the preceding '\\'"),
      );
      const { body } = await send({ text: '*Profit* \\+1\\.5%', parse_mode: 'MarkdownV2' });
      expect(body.result).toMatchObject({ text: 'Profit +1.5%', entities: [{ type: 'bold', offset: 0, length: 6 }] });
    });

    it('uses explicit entities when no parse_mode is given', async () => {
      const { body } = await send({ text: 'Alert: stop hit', entities: [{ type: 'bold', offset: 0, length: 5 }] });
      expect(body.result.entities).toEqual([{ type: 'bold', offset: 0, length: 5 }]);
    });
  });

  describe('reply markup', () => {
    const keyboard = (button: Record<string, unknown>) => ({ inline_keyboard: [[{ text: 'Go', ...button }]] });

    it('accepts callback_data of 64 bytes and refuses 65 with BUTTON_DATA_INVALID', async () => {
      expect((await send({ text: 'x', reply_markup: keyboard({ callback_data: 'd'.repeat(64) }) })).status).toBe(200);
      expect(await send({ text: 'x', reply_markup: keyboard({ callback_data: 'd'.repeat(65) }) })).toEqual(badRequest('BUTTON_DATA_INVALID'));
    });

    it('measures callback_data in bytes, not characters', async () => {
      // 22 × "€" is 22 characters but 66 bytes in UTF-8.
      expect(await send({ text: 'x', reply_markup: keyboard({ callback_data: '€'.repeat(22) }) })).toEqual(badRequest('BUTTON_DATA_INVALID'));
    });

    it('requires exactly one action on an inline button', async () => {
      expect(await send({ text: 'x', reply_markup: keyboard({}) })).toEqual(badRequest('text buttons are unallowed in the inline keyboard'));
      const both = await send({ text: 'x', reply_markup: keyboard({ callback_data: 'a', url: 'https://example.com' }) });
      expect(both.status).toBe(400);
      expect(both.body.description).toMatch(/^Bad Request: can't parse inline keyboard button: exactly one of the optional fields must be used/);
    });

    it('keeps a reply keyboard for the user but not in the Message object, as Telegram does', async () => {
      const { body } = await send({ text: 'Pick', reply_markup: { keyboard: [['/status', { text: '/positions' }]], resize_keyboard: true } });
      expect(body.result.reply_markup).toBeUndefined();
      const [, shown] = await user.messages();
      expect(shown!.replyMarkup).toEqual({ keyboard: [[{ text: '/status' }, { text: '/positions' }]], resize_keyboard: true });
    });

    it('refuses a reply_markup that is not JSON', async () => {
      expect(await send({ text: 'x', reply_markup: '{nope' })).toEqual(badRequest("can't parse reply keyboard markup JSON object"));
    });
  });

  describe('chats', () => {
    it('answers "chat not found" for a chat that never talked to the bot', async () => {
      expect(await api('sendMessage', { chat_id: 987654321, text: 'x' })).toEqual(badRequest('chat not found'));
      const stranger = sandbox.user({ firstName: 'Ivy' });
      expect(await api('sendMessage', { chat_id: stranger.id, text: 'x' })).toEqual(badRequest('chat not found'));
      expect(await api('sendMessage', { text: 'x' })).toEqual(badRequest('chat_id is empty'));
    });

    it('answers 403 for a group member who never opened a private chat, and for a user who blocked the bot', async () => {
      const member = sandbox.user({ firstName: 'Jo' });
      sandbox.group({ title: 'Desk', members: [user, member] });
      expect(await api('sendMessage', { chat_id: member.id, text: 'x' })).toEqual({
        status: 403,
        body: { ok: false, error_code: 403, description: "Forbidden: bot can't initiate conversation with a user" },
      });
      await user.block();
      expect((await send({ text: 'x' })).body.description).toBe('Forbidden: bot was blocked by the user');
      await user.unblock();
      expect((await send({ text: 'x' })).status).toBe(200);
    });

    it('replies to a message, and refuses a reply to a message that does not exist', async () => {
      const [start] = await user.messages();
      const { body } = await send({ text: 'ok', reply_parameters: { message_id: start!.messageId } });
      expect(body.result.reply_to_message).toMatchObject({ message_id: start!.messageId, text: '/start' });
      expect(await send({ text: 'x', reply_to_message_id: 999 })).toEqual(badRequest('message to be replied not found'));
      expect((await send({ text: 'x', reply_parameters: { message_id: 999, allow_sending_without_reply: true } })).status).toBe(200);
    });
  });

  describe('edits and deletions', () => {
    it('refuses an edit that changes nothing with "message is not modified"', async () => {
      const markup = { inline_keyboard: [[{ text: 'A', callback_data: 'a' }]] };
      const sent = (await send({ text: 'Price 1.0850', reply_markup: markup })).body.result;
      expect(await api('editMessageText', { chat_id: user.id, message_id: sent.message_id, text: 'Price 1.0850', reply_markup: markup })).toEqual(
        badRequest('message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message'),
      );
      const edited = await api('editMessageText', { chat_id: user.id, message_id: sent.message_id, text: 'Price 1.0851', reply_markup: markup });
      expect(edited.body.result).toMatchObject({ text: 'Price 1.0851', edit_date: expect.any(Number), reply_markup: markup });
      expect((await api('editMessageReplyMarkup', { chat_id: user.id, message_id: sent.message_id, reply_markup: markup })).body.description).toMatch(/message is not modified/);
      expect((await api('editMessageReplyMarkup', { chat_id: user.id, message_id: sent.message_id })).body.result.reply_markup).toBeUndefined();
    });

    it('answers "message to edit not found" and "message to delete not found"', async () => {
      expect(await api('editMessageText', { chat_id: user.id, message_id: 404, text: 'x' })).toEqual(badRequest('message to edit not found'));
      expect(await api('deleteMessage', { chat_id: user.id, message_id: 404 })).toEqual(badRequest('message to delete not found'));
    });

    it('deletes a message once and shows it deleted to the user', async () => {
      const sent = (await send({ text: 'oops' })).body.result;
      expect((await api('deleteMessage', { chat_id: user.id, message_id: sent.message_id })).body).toEqual({ ok: true, result: true });
      expect(await api('deleteMessage', { chat_id: user.id, message_id: sent.message_id })).toEqual(badRequest('message to delete not found'));
      expect((await user.message(sent.message_id)).deleted).toBe(true);
    });

    it('edits a caption and replaces media', async () => {
      const form = new FormData();
      form.set('chat_id', String(user.id));
      form.set('photo', new Blob([PNG_1X1]), 'p.png');
      const photo = (await jsonOf(await fetch(`${sandbox.apiRoot}/bot${token}/sendPhoto`, { method: 'POST', body: form }))).result;
      const captioned = await api('editMessageCaption', { chat_id: user.id, message_id: photo.message_id, caption: '<i>new</i>', parse_mode: 'HTML' });
      expect(captioned.body.result).toMatchObject({ caption: 'new', caption_entities: [{ type: 'italic', offset: 0, length: 3 }] });

      const media = new FormData();
      media.set('chat_id', String(user.id));
      media.set('message_id', String(photo.message_id));
      media.set('media', JSON.stringify({ type: 'document', media: 'attach://report', caption: 'report' }));
      media.set('report', new Blob([Buffer.from('%PDF-1.4')]), 'report.pdf');
      const replaced = (await jsonOf(await fetch(`${sandbox.apiRoot}/bot${token}/editMessageMedia`, { method: 'POST', body: media }))).result;
      expect(replaced.photo).toBeUndefined();
      expect(replaced.document).toMatchObject({ file_name: 'report.pdf', mime_type: 'application/pdf' });
      const text = (await send({ text: 'plain' })).body.result;
      expect(await api('editMessageCaption', { chat_id: user.id, message_id: text.message_id, caption: 'x' })).toEqual(badRequest('there is no caption in the message to edit'));
    });
  });

  describe('files', () => {
    it('refuses a URL since the sandbox has no internet, and a file_id it never issued', async () => {
      expect(await api('sendPhoto', { chat_id: user.id, photo: 'https://example.com/chart.png' })).toEqual(badRequest('wrong file identifier/HTTP URL specified'));
      expect(await api('sendDocument', { chat_id: user.id, document: 'BQACAgIAAxkBAAnotarealid' })).toEqual(badRequest('wrong file identifier/HTTP URL specified'));
      expect(await api('sendPhoto', { chat_id: user.id })).toEqual(badRequest('there is no photo in the request'));
    });

    it('refuses bytes that are not an image as a photo', async () => {
      const form = new FormData();
      form.set('chat_id', String(user.id));
      form.set('photo', new Blob([Buffer.from('not an image')]), 'x.png');
      expect(await (await fetch(`${sandbox.apiRoot}/bot${token}/sendPhoto`, { method: 'POST', body: form })).json()).toEqual({
        ok: false,
        error_code: 400,
        description: 'Bad Request: IMAGE_PROCESS_FAILED',
      });
    });
  });

  describe('callback queries', () => {
    it('accepts one answer per query and refuses a second as too old', async () => {
      await send({ text: 'menu', reply_markup: { inline_keyboard: [[{ text: 'Go', callback_data: 'go' }]] } });
      const menu = (await user.messages({ fromBot: true })).at(-1)!;
      const pressed = await user.press(menu, 'go', { expectAnswer: false });
      const update = (await api('getUpdates')).body.result.find((u: { callback_query?: unknown }) => u.callback_query);
      expect(update.callback_query).toMatchObject({ id: pressed.callbackQueryId, data: 'go', from: { id: user.id }, message: { message_id: menu.messageId } });
      expect(update.callback_query.chat_instance).toEqual(expect.any(String));

      expect((await api('answerCallbackQuery', { callback_query_id: pressed.callbackQueryId, text: 'Done' })).body).toEqual({ ok: true, result: true });
      expect(await api('answerCallbackQuery', { callback_query_id: pressed.callbackQueryId })).toEqual(
        badRequest('query is too old and response timeout expired or query ID is invalid'),
      );
      expect(await api('answerCallbackQuery', { callback_query_id: '12345' })).toEqual(badRequest('query is too old and response timeout expired or query ID is invalid'));
    });
  });

  it('refuses an answer that comes after the callback query timed out', async () => {
    await sandbox.stop();
    sandbox = await startSandbox({ limits: { ...NO_RATE_LIMITS, callbackAnswerTimeoutMs: 50 } });
    token = sandbox.createBot({ username: 'slow_bot' }).token;
    user = sandbox.user({ firstName: 'Uma' });
    await user.send('/start');
    await send({ text: 'menu', reply_markup: { inline_keyboard: [[{ text: 'Go', callback_data: 'go' }]] } });
    const pressed = await user.press((await user.messages({ fromBot: true }))[0]!, 'Go', { expectAnswer: false });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await api('answerCallbackQuery', { callback_query_id: pressed.callbackQueryId })).toEqual(
      badRequest('query is too old and response timeout expired or query ID is invalid'),
    );
  });

  it('echoes link_preview_options and shows disable_notification to the user side', async () => {
    const { body } = await send({ text: 'https://example.com/report', link_preview_options: { is_disabled: true }, disable_notification: true });
    expect(body.result.link_preview_options).toEqual({ is_disabled: true });
    expect(body.result.entities).toEqual([{ type: 'url', offset: 0, length: 26 }]);
    expect((await user.message(body.result.message_id)).silent).toBe(true);
  });

  describe('bot settings', () => {
    it('stores commands per scope and language', async () => {
      const commands = [{ command: 'status', description: 'Engine status' }, { command: 'positions', description: 'Open positions' }];
      expect((await api('setMyCommands', { commands })).body.result).toBe(true);
      expect((await api('setMyCommands', { commands: [{ command: 'statut', description: 'État' }], language_code: 'fr' })).body.result).toBe(true);
      expect((await api('getMyCommands')).body.result).toEqual(commands);
      expect((await api('getMyCommands', { language_code: 'fr' })).body.result).toEqual([{ command: 'statut', description: 'État' }]);
      expect((await api('deleteMyCommands')).body.result).toBe(true);
      expect((await api('getMyCommands')).body.result).toEqual([]);
      expect(await api('setMyCommands', { commands: [{ command: 'Bad Command', description: 'x' }] })).toEqual(badRequest('BOT_COMMAND_INVALID'));
    });

    it('accepts a chat menu button and a chat action', async () => {
      expect((await api('setChatMenuButton', { menu_button: { type: 'commands' } })).body.result).toBe(true);
      expect((await api('getChatMenuButton')).body.result).toEqual({ type: 'commands' });
      expect((await api('sendChatAction', { chat_id: user.id, action: 'typing' })).body.result).toBe(true);
      expect(await api('sendChatAction', { chat_id: user.id, action: 'dancing' })).toEqual(badRequest('wrong parameter action in request'));
    });
  });
});
