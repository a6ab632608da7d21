import { badRequest, forbidden } from '../errors';
import type { Params } from '../params';
import type { BotRecord, ChatRecord, SandboxState } from '../state';
import type { WebhookDeliverer } from '../webhook';

/** What a Bot API method handler works with. */
export interface MethodContext {
  state: SandboxState;
  bot: BotRecord;
  params: Params;
  /** Aborted when the HTTP client goes away (ends a long poll early). */
  signal: AbortSignal;
  webhooks: WebhookDeliverer;
}

export type MethodHandler = (ctx: MethodContext) => unknown;

/** A result the Bot API sends with a `description` beside it ("Webhook was set"). */
export class Described {
  constructor(
    readonly result: unknown,
    readonly description: string,
  ) {}
}

/** Parses chat_id as the Bot API does; only numeric ids name chats in the sandbox. */
export function chatIdParam(ctx: MethodContext): number {
  const raw = ctx.params.string('chat_id')?.trim() ?? '';
  if (raw === '') throw badRequest('chat_id is empty');
  if (!/^-?\d+$/.test(raw)) throw badRequest('chat not found');
  return Number(raw);
}

/**
 * The chat a method acts on. A bot may only write to a private chat the user opened (wrote
 * in); a user it knows from a group but who never wrote to it gets 403 like on Telegram,
 * anyone else "chat not found".
 */
export function targetChat(ctx: MethodContext, purpose: 'write' | 'read' = 'write'): ChatRecord {
  const chatId = chatIdParam(ctx);
  const chat = ctx.bot.chats.get(chatId);
  if (chat !== undefined && (chat.opened || purpose === 'read')) {
    if (purpose === 'write' && chat.type === 'private' && chat.blockedByUser) throw forbidden('bot was blocked by the user');
    return chat;
  }
  if (chatId > 0) {
    const knownFromGroup = [...ctx.bot.chats.values()].some((other) => other.type !== 'private' && other.memberIds.has(chatId));
    if (knownFromGroup) throw forbidden("bot can't initiate conversation with a user");
  }
  throw badRequest('chat not found');
}

export function messageIdParam(ctx: MethodContext): number {
  const id = ctx.params.int('message_id');
  if (id === undefined || id <= 0) throw badRequest('message identifier is not specified');
  return id;
}

/** Editing by inline_message_id needs inline mode, which the sandbox does not have. */
export function rejectInlineMessageId(ctx: MethodContext): void {
  if (ctx.params.has('inline_message_id')) throw badRequest('MESSAGE_ID_INVALID');
}
