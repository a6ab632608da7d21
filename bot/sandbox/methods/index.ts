import { notFound } from '../errors';
import { answerCallbackQuery, deleteMyCommands, getChatMenuButton, getFile, getMe, getMyCommands, setChatMenuButton, setMyCommands } from './bot';
import type { MethodContext, MethodHandler } from './context';
import {
  deleteMessage, editMessageCaption, editMessageMedia, editMessageReplyMarkup, editMessageText, sendChatAction, sendDocument,
  sendMessage, sendPhoto,
} from './messages';
import { deleteWebhook, getUpdates, getWebhookInfo, setWebhook } from './updates';

export { Described, type MethodContext } from './context';

/** The Bot API methods the sandbox implements, by lower-case name (Telegram matches names case-insensitively). */
const METHODS: ReadonlyMap<string, MethodHandler> = new Map(
  Object.entries({
    getMe, getUpdates, setWebhook, deleteWebhook, getWebhookInfo,
    sendMessage, sendPhoto, sendDocument, sendChatAction,
    editMessageText, editMessageCaption, editMessageReplyMarkup, editMessageMedia, deleteMessage,
    answerCallbackQuery, getFile,
    setMyCommands, getMyCommands, deleteMyCommands, setChatMenuButton, getChatMenuButton,
  } satisfies Record<string, MethodHandler>).map(([name, handler]) => [name.toLowerCase(), handler]),
);

/** Runs a Bot API method; throws BotApiError (404 "Not Found" for an unknown method). */
export async function callMethod(name: string, ctx: MethodContext): Promise<unknown> {
  const handler = METHODS.get(name.toLowerCase());
  if (handler === undefined) throw notFound();
  return await handler(ctx);
}
