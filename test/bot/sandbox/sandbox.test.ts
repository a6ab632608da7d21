import { Bot, GrammyError, InlineKeyboard, InputFile } from 'grammy';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createTelegramSandbox, type TelegramSandbox } from '../../../bot/sandbox';
import { callApi, jsonOf, NO_RATE_LIMITS, pngOfSize, startSandbox } from './support';

describe('a real grammY bot against the sandbox', () => {
  let sandbox: TelegramSandbox;
  let bot: Bot;
  let running: Promise<void> | undefined;

  beforeEach(async () => {
    sandbox = await startSandbox({ limits: NO_RATE_LIMITS });
    const { token } = sandbox.createBot({ username: 'tradepilot_test_bot', firstName: 'TradePilot' });
    bot = new Bot(token, { client: { apiRoot: sandbox.apiRoot } });
    bot.catch((error) => {
      throw error.error;
    });
  });

  afterEach(async () => {
    if (bot.isRunning()) await bot.stop();
    await running;
    await sandbox.stop();
  });

  const launch = () => {
    running = bot.start({ timeout: 2 });
  };

  it('polls with bot.start() and answers /start with an inline keyboard', async () => {
    bot.command('start', (ctx) => ctx.reply(`Welcome, ${ctx.from?.first_name}! Invite: ${ctx.match}`, { reply_markup: new InlineKeyboard().text('Status', 'status:show').url('Docs', 'https://example.com/docs') }));
    launch();
    const user = sandbox.user({ firstName: 'Ann', username: 'ann_trader' });

    const sent = await user.send('/start INV42');
    expect(sent.entities).toEqual([{ type: 'bot_command', offset: 0, length: 6 }]);

    const reply = await user.nextMessage();
    expect(reply.text).toBe('Welcome, Ann! Invite: INV42');
    expect(reply.fromBot).toBe(true);
    expect(reply.replyMarkup).toEqual({
      inline_keyboard: [[{ text: 'Status', callback_data: 'status:show' }, { text: 'Docs', url: 'https://example.com/docs' }]],
    });
    expect(reply.telegram.from).toMatchObject({ is_bot: true, username: 'tradepilot_test_bot' });
    expect(reply.telegram.chat).toEqual({ id: user.id, type: 'private', first_name: 'Ann', username: 'ann_trader' });
  });

  it('delivers a button press to the callbackQuery handler and shows its answer', async () => {
    const seen: string[] = [];
    bot.command('start', (ctx) => ctx.reply('Menu', { reply_markup: new InlineKeyboard().text('Pause trading', 'trading:pause') }));
    bot.callbackQuery('trading:pause', async (ctx) => {
      seen.push(`${ctx.callbackQuery.data} from ${ctx.from.id} on #${ctx.callbackQuery.message?.message_id}`);
      await ctx.answerCallbackQuery({ text: 'Trading paused', show_alert: true });
      await ctx.editMessageText('Trading is paused');
    });
    launch();
    const user = sandbox.user({ firstName: 'Bob' });
    await user.send('/start');
    const menu = await user.nextMessage();

    const answer = await user.press(menu, 'Pause trading');

    expect(answer).toMatchObject({ answered: true, text: 'Trading paused', showAlert: true, data: 'trading:pause' });
    expect(seen).toEqual([`trading:pause from ${user.id} on #${menu.messageId}`]);
    const edited = await user.waitForEdit(menu);
    expect(edited.text).toBe('Trading is paused');
    expect(edited.edited).toBe(true);
    expect(edited.replyMarkup).toBeUndefined();
    expect(edited.history.map((version) => version.text)).toEqual(['Menu']);
    expect(await user.callbackAnswers()).toEqual([answer]);
  });

  it('sends a photo from an InputFile buffer, then again by file_id, and serves it through getFile', async () => {
    const chart = pngOfSize(640, 480);
    bot.command('chart', async (ctx) => {
      await ctx.replyWithChatAction('upload_photo');
      const first = await ctx.replyWithPhoto(new InputFile(chart, 'chart.png'), { caption: '<b>EURUSD</b> H1', parse_mode: 'HTML' });
      await ctx.replyWithPhoto(first.photo.at(-1)!.file_id);
    });
    launch();
    const user = sandbox.user({ firstName: 'Cid' });
    await user.send('/chart');

    const first = await user.nextMessage();
    const second = await user.nextMessage();
    expect(first.caption).toBe('EURUSD H1');
    expect(first.entities).toEqual([{ type: 'bold', offset: 0, length: 6 }]);
    expect(first.telegram.photo!.map((size) => [size.width, size.height])).toEqual([[90, 68], [320, 240], [640, 480]]);
    // Sent again by file_id: the same photo, sizes and ids unchanged.
    expect(second.telegram.photo).toEqual(first.telegram.photo);
    expect(await user.chatActions()).toEqual([expect.objectContaining({ action: 'upload_photo' })]);
    expect(Buffer.compare(await user.download(first.photo!), chart)).toBe(0);

    const file = await bot.api.getFile(first.photo!.fileId);
    expect(file.file_path).toMatch(/^photos\/file_\d+\.png$/);
    const download = await fetch(`${sandbox.apiRoot}/file/bot${bot.token}/${file.file_path}`);
    expect(download.status).toBe(200);
    expect(Buffer.compare(Buffer.from(await download.arrayBuffer()), chart)).toBe(0);
  });

  it('reports API refusals to grammY as GrammyError with Telegram\'s code and description', async () => {
    const user = sandbox.user({ firstName: 'Dee' });
    const error = await bot.api.sendMessage(user.id, 'hello').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GrammyError);
    expect((error as GrammyError).error_code).toBe(400);
    expect((error as GrammyError).description).toBe('Bad Request: chat not found');
  });
});

describe('the Bot API endpoint', () => {
  let sandbox: TelegramSandbox;
  let token: string;

  beforeEach(async () => {
    sandbox = await startSandbox({ limits: NO_RATE_LIMITS });
    token = sandbox.createBot({ username: 'endpoint_bot' }).token;
  });

  afterEach(async () => {
    await sandbox.stop();
  });

  it('creates tokens of Telegram\'s shape', () => {
    expect(token).toMatch(/^\d+:[A-Za-z0-9_-]{35}$/);
    expect(sandbox.createBot({ username: 'other_bot' }).token).not.toBe(token);
  });

  it('answers an unknown token with 401 Unauthorized exactly like Telegram', async () => {
    const response = await fetch(`${sandbox.apiRoot}/bot123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/getMe`);
    expect(response.status).toBe(401);
    expect(await response.text()).toBe('{"ok":false,"error_code":401,"description":"Unauthorized"}');
  });

  it('answers an unknown method with 404 Not Found and matches method names case-insensitively', async () => {
    expect(await callApi(sandbox.apiRoot, token, 'sendTelepathy')).toEqual({ status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } });
    const me = await callApi(sandbox.apiRoot, token, 'GETME');
    expect(me.status).toBe(200);
    expect(me.body.result).toMatchObject({ is_bot: true, username: 'endpoint_bot', can_join_groups: true, supports_inline_queries: false });
  });

  it('accepts parameters as a query string, a url-encoded form and multipart', async () => {
    const user = sandbox.user({ firstName: 'Eve' });
    await user.send('hi');
    const viaQuery = await fetch(`${sandbox.apiRoot}/bot${token}/sendMessage?chat_id=${user.id}&text=${encodeURIComponent('from a query')}`);
    expect((await jsonOf(viaQuery)).result.text).toBe('from a query');

    const viaForm = await fetch(`${sandbox.apiRoot}/bot${token}/sendMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ chat_id: String(user.id), text: 'from a form', reply_markup: JSON.stringify({ inline_keyboard: [[{ text: 'x', callback_data: 'x' }]] }) }),
    });
    const formResult = (await jsonOf(viaForm)).result;
    expect(formResult.text).toBe('from a form');
    expect(formResult.reply_markup.inline_keyboard[0][0].callback_data).toBe('x');

    const form = new FormData();
    form.set('chat_id', String(user.id));
    form.set('caption', 'report');
    form.set('document', new Blob([Buffer.from('time,close\n1,1.1\n')]), 'report.csv');
    const viaMultipart = await fetch(`${sandbox.apiRoot}/bot${token}/sendDocument`, { method: 'POST', body: form });
    const documentResult = (await jsonOf(viaMultipart)).result;
    expect(documentResult.document).toMatchObject({ file_name: 'report.csv', mime_type: 'text/csv', file_size: 17 });
    expect(documentResult.caption).toBe('report');
  });

  it('never writes a token to its log, even at debug level', async () => {
    const lines: string[] = [];
    const logged = createTelegramSandbox({ logger: pino({ level: 'debug' }, { write: (line: string) => lines.push(line) }) });
    await logged.start();
    try {
      const secret = logged.createBot({ username: 'logged_bot' }).token;
      await callApi(logged.apiRoot, secret, 'getMe');
      await callApi(logged.apiRoot, secret, 'sendMessage', { chat_id: 1, text: 'x' });
      await fetch(`${logged.apiRoot}/bot${secret}/sendMessage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.join('\n')).not.toContain(secret.split(':')[1]);
    } finally {
      await logged.stop();
    }
  });

  it('keeps a description beside results the way Telegram does for webhooks', async () => {
    const answer = await callApi(sandbox.apiRoot, token, 'deleteWebhook');
    expect(answer.body).toEqual({ ok: true, result: true, description: 'Webhook is already deleted' });
  });
});
