import { Bot, BotError, Composer, GrammyError, HttpError } from 'grammy';
import { describeError, isAppError, type Logger, type Metrics } from '../core';
import type { Tenancy } from '../tenancy';
import { COMMANDS } from './commands';
import type { BotContext } from './context';
import { helpFeature } from './features/help';
import { startFeature } from './features/start';

export interface BotDeps {
  token: string;
  /** Bot API root: Telegram's by default, the local sandbox when no token is configured. */
  apiRoot: string;
  logger: Logger;
  metrics: Metrics;
  tenancy: Tenancy;
}

function updateType(ctx: BotContext): string {
  return Object.keys(ctx.update).find((k) => k !== 'update_id') ?? 'unknown';
}

function commandOf(ctx: BotContext): string {
  const text = ctx.message?.text;
  if (text?.startsWith('/')) return text.slice(1).split(/[\s@]/)[0] ?? 'unknown';
  if (ctx.callbackQuery?.data) return `cb:${ctx.callbackQuery.data.split(':')[0]}`;
  return updateType(ctx);
}

/**
 * The Telegram bot: one Composer per feature, a child logger per update, and one error
 * boundary that logs the stack and tells the user something went wrong, never the stack.
 */
export function createBot(deps: BotDeps): Bot<BotContext> {
  const bot = new Bot<BotContext>(deps.token, { client: { apiRoot: deps.apiRoot } });

  bot.use(async (ctx, next) => {
    ctx.log = deps.logger.child({ update_id: ctx.update.update_id });
    const started = performance.now();
    const command = commandOf(ctx);
    try {
      await next();
      deps.metrics.telegramUpdates.inc({ type: updateType(ctx), outcome: 'handled' });
    } finally {
      deps.metrics.updateLatency.observe({ command }, (performance.now() - started) / 1000);
    }
  });

  const features = new Composer<BotContext>();
  features.use(startFeature({ tenancy: deps.tenancy }));
  features.use(helpFeature());
  bot.errorBoundary(handleFeatureError(deps), features);

  // Registered last: what no feature handled.
  bot.chatType('private').on('message:text', (ctx) =>
    ctx.reply(ctx.message.text.startsWith('/') ? `I don't know ${ctx.message.text.split(/\s/)[0]}. Send /help for the commands.` : 'Send /help to see what I can do.'),
  );
  bot.on('callback_query:data', (ctx) => ctx.answerCallbackQuery({ text: 'This button has expired. Send /help for a fresh menu.' }));

  bot.catch((error) => {
    deps.metrics.telegramUpdates.inc({ type: updateType(error.ctx), outcome: 'failed' });
    (error.ctx.log ?? deps.logger).error({ err: error.error, update_id: error.ctx.update.update_id }, 'update failed outside the feature boundary');
  });
  return bot;
}

function handleFeatureError(deps: BotDeps) {
  return async (error: BotError<BotContext>) => {
    const ctx = error.ctx;
    const cause = error.error;
    deps.metrics.telegramUpdates.inc({ type: updateType(ctx), outcome: 'failed' });
    if (cause instanceof GrammyError) {
      deps.metrics.telegramApiErrors.inc({ method: cause.method, code: String(cause.error_code) });
      ctx.log.warn({ method: cause.method, code: cause.error_code, description: cause.description }, 'Bot API refused a call');
      return;
    }
    if (cause instanceof HttpError) {
      ctx.log.warn({ err: cause }, 'Bot API unreachable');
      return;
    }
    const userMessage = isAppError(cause) && cause.kind === 'invalid_input' ? `⚠️ ${describeError(cause)}` : '⚠️ Something went wrong on our side. It has been logged; please try again in a moment.';
    if (!(isAppError(cause) && cause.kind === 'invalid_input')) ctx.log.error({ err: cause }, 'update handler failed');
    try {
      if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text: userMessage.slice(0, 200) });
      else if (ctx.chat) await ctx.reply(userMessage);
    } catch (replyError) {
      ctx.log.warn({ err: replyError }, 'could not tell the user about the failure');
    }
  };
}

/** Publishes the command menu; a Bot API root that refuses it is logged, never fatal. */
export async function publishCommands(bot: Bot<BotContext>, logger: Logger): Promise<void> {
  try {
    await bot.api.setMyCommands(COMMANDS.map(({ command, description }) => ({ command, description })));
  } catch (error) {
    logger.warn({ err: error }, 'setMyCommands failed; the command menu is not published');
  }
}
