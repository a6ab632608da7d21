import type { BotCommand, File as TelegramFile, MenuButton, UserFromGetMe } from '@grammyjs/types';
import { codePointLength } from '../entities/text';
import { badRequest } from '../errors';
import { chatIdParam, type MethodContext } from './context';

export function getMe(ctx: MethodContext): UserFromGetMe {
  const { bot } = ctx;
  return {
    id: bot.id,
    is_bot: true,
    first_name: bot.firstName,
    username: bot.username,
    can_join_groups: true,
    can_read_all_group_messages: bot.canReadAllGroupMessages,
    supports_inline_queries: false,
    can_connect_to_business: false,
    has_main_web_app: false,
    has_topics_enabled: false,
    allows_users_to_create_topics: false,
    can_manage_bots: false,
    supports_join_request_queries: false,
  };
}

/** Commands are stored per (scope, language_code), as Telegram does. */
function commandsKey(ctx: MethodContext): string {
  const scope = ctx.params.json('scope', "can't parse BotCommandScope JSON object") ?? { type: 'default' };
  if (typeof scope !== 'object' || scope === null || typeof (scope as { type?: unknown }).type !== 'string') {
    throw badRequest("can't parse BotCommandScope JSON object");
  }
  const language = ctx.params.string('language_code')?.trim() ?? '';
  if (language !== '' && !/^[a-z]{2}$/.test(language)) throw badRequest('invalid language code specified');
  const { type, chat_id: chatId, user_id: userId } = scope as { type: string; chat_id?: unknown; user_id?: unknown };
  return `${JSON.stringify({ type, chatId, userId })}|${language}`;
}

export function setMyCommands(ctx: MethodContext): true {
  const raw = ctx.params.json('commands', "can't parse commands JSON object");
  if (!Array.isArray(raw)) throw badRequest("can't parse commands JSON object");
  if (raw.length > 100) throw badRequest('too many commands specified');
  const commands: BotCommand[] = raw.map((item: unknown) => {
    if (typeof item !== 'object' || item === null) throw badRequest("can't parse BotCommand JSON object");
    const { command, description } = item as { command?: unknown; description?: unknown };
    if (typeof command !== 'string' || typeof description !== 'string') throw badRequest("can't parse BotCommand JSON object");
    const name = command.trim().replace(/^\//, '');
    if (!/^[a-z0-9_]{1,32}$/.test(name)) throw badRequest('BOT_COMMAND_INVALID');
    const length = codePointLength(description.trim());
    if (length < 1 || length > 256) throw badRequest('command description must be non-empty');
    return { command: name, description: description.trim() };
  });
  ctx.bot.commands.set(commandsKey(ctx), commands);
  return true;
}

export function getMyCommands(ctx: MethodContext): BotCommand[] {
  return ctx.bot.commands.get(commandsKey(ctx)) ?? [];
}

export function deleteMyCommands(ctx: MethodContext): true {
  ctx.bot.commands.delete(commandsKey(ctx));
  return true;
}

const MENU_BUTTON_TYPES = new Set(['default', 'commands', 'web_app']);

function menuKey(ctx: MethodContext): string {
  return ctx.params.has('chat_id') ? String(chatIdParam(ctx)) : 'default';
}

export function setChatMenuButton(ctx: MethodContext): true {
  const raw = ctx.params.json('menu_button', "can't parse menu button JSON object") ?? { type: 'default' };
  if (typeof raw !== 'object' || raw === null || !MENU_BUTTON_TYPES.has(String((raw as { type?: unknown }).type))) {
    throw badRequest("can't parse menu button JSON object");
  }
  ctx.bot.menuButtons.set(menuKey(ctx), raw as MenuButton);
  return true;
}

export function getChatMenuButton(ctx: MethodContext): MenuButton {
  return ctx.bot.menuButtons.get(menuKey(ctx)) ?? ctx.bot.menuButtons.get('default') ?? { type: 'default' };
}

export function getFile(ctx: MethodContext): TelegramFile {
  const fileId = ctx.params.string('file_id')?.trim() ?? '';
  if (fileId === '') throw badRequest('file_id not specified');
  return ctx.state.files.describe(ctx.bot.id, fileId);
}

/** Telegram's limit on the notification text of a callback answer. */
const MAX_CALLBACK_ANSWER_LENGTH = 200;

export function answerCallbackQuery(ctx: MethodContext): true {
  const { bot, params, state } = ctx;
  const id = params.string('callback_query_id')?.trim() ?? '';
  const query = bot.callbackQueries.get(id);
  const tooOld = state.now() - (query?.createdAt ?? 0) > state.limits.callbackAnswerTimeoutMs;
  if (query === undefined || query.answer !== undefined || tooOld) {
    throw badRequest('query is too old and response timeout expired or query ID is invalid');
  }
  const text = params.string('text');
  if (text !== undefined && codePointLength(text) > MAX_CALLBACK_ANSWER_LENGTH) throw badRequest('MESSAGE_TOO_LONG');
  const url = params.string('url');
  query.answer = { showAlert: params.bool('show_alert') };
  if (text !== undefined && text !== '') query.answer.text = text;
  if (url !== undefined && url !== '') query.answer.url = url;
  const chat = bot.chats.get(query.chatId);
  if (chat !== undefined) state.emit(chat, { type: 'callback_answer', answer: state.callbackAnswerView(query) });
  const waiters = [...query.waiters];
  query.waiters.clear();
  for (const wake of waiters) wake();
  return true;
}
