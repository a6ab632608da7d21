import type { ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove } from '@grammyjs/types';
import { badRequest } from './errors';

export type ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply;

/** The fields of which an inline button must have exactly one (Bot API: "Exactly one of the optional fields must be used"). */
const INLINE_ACTIONS = [
  'url', 'callback_data', 'web_app', 'login_url', 'switch_inline_query', 'switch_inline_query_current_chat',
  'switch_inline_query_chosen_chat', 'copy_text', 'callback_game', 'pay',
] as const;

const MAX_CALLBACK_DATA_BYTES = 64;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function readInlineButton(raw: unknown): InlineKeyboardButton {
  if (!isObject(raw)) throw badRequest("can't parse inline keyboard button: InlineKeyboardButton must be an Object");
  if (typeof raw.text !== 'string') throw badRequest('can\'t parse inline keyboard button: Field "text" must be of type String');
  const actions = INLINE_ACTIONS.filter((field) => raw[field] !== undefined && raw[field] !== null);
  if (actions.length === 0) throw badRequest('text buttons are unallowed in the inline keyboard');
  // Telegram silently uses the first field it knows; the sandbox is stricter so that a
  // button with two actions (a bug in the bot) fails in tests instead of half-working.
  if (actions.length > 1) {
    throw badRequest(`can't parse inline keyboard button: exactly one of the optional fields must be used, found ${actions.join(', ')}`);
  }
  if (raw.callback_data !== undefined) {
    const data = raw.callback_data;
    const bytes = typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : 0;
    if (typeof data !== 'string' || bytes < 1 || bytes > MAX_CALLBACK_DATA_BYTES) throw badRequest('BUTTON_DATA_INVALID');
  }
  if (raw.url !== undefined) {
    const url = raw.url;
    if (typeof url !== 'string' || !/^(https?|tg):\/\/\S+$/i.test(url)) throw badRequest('BUTTON_URL_INVALID');
  }
  if (raw.text === '') throw badRequest('BUTTON_TEXT_INVALID');
  return raw as unknown as InlineKeyboardButton;
}

function readKeyboardButton(raw: unknown): KeyboardButton {
  if (typeof raw === 'string') {
    if (raw === '') throw badRequest('BUTTON_TEXT_INVALID');
    return { text: raw };
  }
  if (!isObject(raw) || typeof raw.text !== 'string') throw badRequest('can\'t parse keyboard button: Field "text" must be of type String');
  if (raw.text === '') throw badRequest('BUTTON_TEXT_INVALID');
  return raw as unknown as KeyboardButton;
}

function rowsOf(raw: unknown, field: string, type: string): unknown[][] {
  if (!Array.isArray(raw) || !raw.every((row) => Array.isArray(row))) {
    throw badRequest(`Field "${field}" of the ${type} must be an Array of Arrays`);
  }
  return raw as unknown[][];
}

/** Validates a reply_markup parameter (already JSON-decoded) as the Bot API does. */
export function readReplyMarkup(raw: unknown): ReplyMarkup | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) throw badRequest("can't parse reply keyboard markup JSON object");
  if (raw.inline_keyboard !== undefined) {
    const rows = rowsOf(raw.inline_keyboard, 'inline_keyboard', 'InlineKeyboardMarkup');
    return { inline_keyboard: rows.map((row) => row.map(readInlineButton)) };
  }
  if (raw.keyboard !== undefined) {
    const rows = rowsOf(raw.keyboard, 'keyboard', 'ReplyKeyboardMarkup');
    const keyboard = rows.map((row) => row.map(readKeyboardButton));
    return { ...(raw as object), keyboard } as ReplyKeyboardMarkup;
  }
  if (raw.remove_keyboard !== undefined || raw.hide_keyboard !== undefined) {
    const markup: ReplyKeyboardRemove = { remove_keyboard: true };
    if (raw.selective === true) markup.selective = true;
    return markup;
  }
  if (raw.force_reply !== undefined) return { ...(raw as object), force_reply: true } as ForceReply;
  throw badRequest("can't parse reply keyboard markup JSON object");
}

export function isInlineKeyboard(markup: ReplyMarkup | undefined): markup is InlineKeyboardMarkup {
  return markup !== undefined && 'inline_keyboard' in markup;
}

/** Markups compared as Telegram compares them for "message is not modified". */
export function sameMarkup(a: ReplyMarkup | undefined, b: ReplyMarkup | undefined): boolean {
  const inlineA = isInlineKeyboard(a) && a.inline_keyboard.length > 0 ? a : undefined;
  const inlineB = isInlineKeyboard(b) && b.inline_keyboard.length > 0 ? b : undefined;
  return JSON.stringify(inlineA ?? null) === JSON.stringify(inlineB ?? null);
}
