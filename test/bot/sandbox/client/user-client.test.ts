import { Bot, InlineKeyboard } from 'grammy';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SandboxTimeoutError, SandboxUserClient, type TelegramSandbox } from '../../../../bot/sandbox';
import { NO_RATE_LIMITS, pngOfSize, startSandbox } from '../support';

describe('SandboxUserClient over HTTP', () => {
  let sandbox: TelegramSandbox;
  let bot: Bot;
  let token: string;
  let running: Promise<void> | undefined;
  let client: SandboxUserClient;

  beforeEach(async () => {
    sandbox = await startSandbox({ limits: NO_RATE_LIMITS });
    token = sandbox.createBot({ username: 'client_bot', firstName: 'Client' }).token;
    bot = new Bot(token, { client: { apiRoot: sandbox.apiRoot } });
    bot.catch((error) => {
      throw error.error;
    });
    // As a test in another process would: only the URL and the token (only its id part is sent).
    client = new SandboxUserClient(sandbox.apiRoot, token);
  });

  afterEach(async () => {
    if (bot.isRunning()) await bot.stop();
    await running;
    await sandbox.stop();
  });

  const launch = () => {
    running = bot.start({ timeout: 2 });
  };

  it('plays a conversation: commands, a predicate wait, a press and the edit it causes', async () => {
    bot.command('start', async (ctx) => {
      await ctx.replyWithChatAction('typing');
      await ctx.reply('Hello');
      await ctx.reply('Pick a symbol', { reply_markup: new InlineKeyboard().text('EURUSD', 'sym:EURUSD').text('GBPUSD', 'sym:GBPUSD') });
    });
    bot.callbackQuery(/^sym:(.+)$/, async (ctx) => {
      await ctx.answerCallbackQuery();
      await ctx.editMessageText(`You picked ${ctx.match[1]}`);
    });
    launch();
    const user = client.user({ firstName: 'Nia', languageCode: 'de' });

    await user.send('/start');
    const picker = await user.waitForMessage((m) => m.replyMarkup !== undefined);
    expect(picker.text).toBe('Pick a symbol');
    expect((await user.nextMessage()).text).toBe('Hello'); // skipped by the predicate wait, still there
    const answer = await user.press(picker, 'sym:GBPUSD');
    expect(answer).toMatchObject({ answered: true, data: 'sym:GBPUSD' });
    expect((await user.waitForEdit(picker)).text).toBe('You picked GBPUSD');
    expect((await user.chatActions()).map((a) => a.action)).toEqual(['typing']);

    const all = await user.messages();
    expect(all.map((m) => [m.fromBot, m.text])).toEqual([
      [false, '/start'],
      [true, 'Hello'],
      [true, 'You picked GBPUSD'],
    ]);
  });

  it('sends the bot a photo and a document the bot can download', async () => {
    const received: string[] = [];
    bot.on('message:photo', async (ctx) => {
      const file = await ctx.getFile();
      const bytes = Buffer.from(await (await fetch(`${sandbox.apiRoot}/file/bot${token}/${file.file_path}`)).arrayBuffer());
      received.push(`photo ${ctx.message.photo.at(-1)!.width}x${ctx.message.photo.at(-1)!.height} ${bytes.length} bytes, caption ${ctx.message.caption}`);
      await ctx.reply('got the photo');
    });
    bot.on('message:document', async (ctx) => {
      received.push(`document ${ctx.message.document.file_name} ${ctx.message.document.mime_type}`);
      await ctx.reply('got the document');
    });
    launch();
    const user = client.user({ firstName: 'Oli' });
    const photo = pngOfSize(800, 600);

    await user.sendPhoto(photo, { caption: 'my chart' });
    await user.waitForMessage((m) => m.text === 'got the photo');
    await user.sendDocument(Buffer.from('time,bid\n1,1.1\n'), { fileName: 'ticks.csv' });
    await user.waitForMessage((m) => m.text === 'got the document');
    expect(received).toEqual([`photo 800x600 ${photo.length} bytes, caption my chart`, 'document ticks.csv text/csv']);
  });

  it('fails a wait with what it saw instead of hanging', async () => {
    bot.on('message', (ctx) => ctx.reply('something else'));
    launch();
    const user = client.user({ firstName: 'Pat' });
    await user.send('hi');
    const error = await user.waitForMessage((m) => m.text === 'never', { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SandboxTimeoutError);
    expect((error as Error).message).toMatch(/no bot message matching the predicate within 300 ms .*"something else"/);
  });

  it('fails a press the bot does not answer', async () => {
    bot.command('start', (ctx) => ctx.reply('menu', { reply_markup: new InlineKeyboard().text('Mute', 'mute') }));
    launch();
    const user = client.user({ firstName: 'Quinn' });
    await user.send('/start');
    const menu = await user.nextMessage();
    await expect(user.press(menu, 'Mute', { timeoutMs: 300 })).rejects.toThrowError(/did not answer the callback query of button "Mute"/);
    await expect(user.press(menu, 'Unmute', { expectAnswer: false })).rejects.toThrowError(/has no button "Unmute"; its buttons: "Mute"/);
  });

  it('plays a group: privacy mode lets the bot see commands and mentions only', async () => {
    const seen: string[] = [];
    bot.on('message:text', (ctx) => {
      seen.push(ctx.message.text);
      return ctx.reply(`seen: ${ctx.message.text}`);
    });
    launch();
    const ann = client.user({ firstName: 'Ann' });
    const ben = client.user({ firstName: 'Ben' });
    const group = await client.group({ title: 'Desk', members: [ann, ben] });
    expect(group.id).toBeLessThan(0);

    await group.as(ann).send('chit-chat the bot must not see');
    await group.as(ben).send('/status@client_bot');
    await group.as(ann).send('/positions@other_bot');
    await group.as(ann).send('hey @client_bot');
    await group.as(ben).waitForMessage((m) => m.text === 'seen: hey @client_bot');
    expect(seen).toEqual(['/status@client_bot', 'hey @client_bot']);
    const chat = (await group.messages({ fromBot: true }))[0]!.telegram.chat;
    expect(chat).toEqual({ id: group.id, type: 'group', title: 'Desk' });
  });
});
