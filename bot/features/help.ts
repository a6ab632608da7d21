import { Composer } from 'grammy';
import { helpData } from '../callback-data';
import { COMMANDS } from '../commands';
import type { BotContext } from '../context';
import { backToHelpKeyboard, helpKeyboard } from '../keyboards/help';

export function helpText(): string {
  const lines = COMMANDS.map((c) => `/${c.command} — ${c.description}`);
  return ['<b>TradePilot commands</b>', '', ...lines, '', 'Press a button for details.'].join('\n');
}

/** /help and the help keyboard: a list of commands, each with a details page. */
export function helpFeature(): Composer<BotContext> {
  const feature = new Composer<BotContext>();

  feature.command('help', (ctx) => ctx.reply(helpText(), { parse_mode: 'HTML', reply_markup: helpKeyboard() }));

  feature.callbackQuery(helpData.pattern, async (ctx) => {
    const { topic } = helpData.unpack(ctx.callbackQuery.data);
    if (topic === 'all') {
      await ctx.answerCallbackQuery();
      return ctx.editMessageText(helpText(), { parse_mode: 'HTML', reply_markup: helpKeyboard() });
    }
    const info = COMMANDS.find((c) => c.command === topic);
    if (!info) return ctx.answerCallbackQuery({ text: 'That command no longer exists; send /help for the current list.' });
    await ctx.answerCallbackQuery();
    return ctx.editMessageText(`<b>/${info.command}</b>\n\n${info.details}`, { parse_mode: 'HTML', reply_markup: backToHelpKeyboard() });
  });

  return feature;
}
