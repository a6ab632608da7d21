import type { LinkPreviewOptions, Message, MessageEntity } from '@grammyjs/types';
import { formatText } from '../entities/format';
import { codePointLength } from '../entities/text';
import { badRequest } from '../errors';
import type { FileKind } from '../files';
import { isInlineKeyboard, type ReplyMarkup, readReplyMarkup, sameMarkup } from '../markup';
import { type InputFileRef, Params } from '../params';
import type { ChatRecord, MessageContent, StoredMessage } from '../state';
import { messageObject, sandboxMessage } from '../views';
import { type MethodContext, messageIdParam, rejectInlineMessageId, targetChat } from './context';

/** Telegram's limits after entity parsing, in Unicode code points. */
export const MAX_TEXT_LENGTH = 4096;
export const MAX_CAPTION_LENGTH = 1024;

const NOT_MODIFIED =
  'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message';

const CHAT_ACTIONS = new Set([
  'typing', 'upload_photo', 'record_video', 'upload_video', 'record_voice', 'upload_voice', 'upload_document',
  'choose_sticker', 'find_location', 'record_video_note', 'upload_video_note',
]);

function replyMarkupParam(params: Params): ReplyMarkup | undefined {
  return readReplyMarkup(params.json('reply_markup', "can't parse reply keyboard markup JSON object"));
}

function messageText(params: Params): { text: string; entities: MessageEntity[] } {
  const raw = params.string('text') ?? '';
  if (raw === '') throw badRequest('message text is empty');
  const formatted = formatText(raw, params.string('parse_mode'), params.json('entities', "can't parse entities JSON object"));
  if (formatted.text === '') throw badRequest('message text is empty');
  return formatted;
}

function caption(params: Params, name = 'caption', modeName = 'parse_mode', entitiesName = 'caption_entities'): { caption?: string; captionEntities: MessageEntity[] } {
  const raw = params.string(name) ?? '';
  if (raw === '') return { captionEntities: [] };
  const formatted = formatText(raw, params.string(modeName), params.json(entitiesName, "can't parse entities JSON object"));
  if (formatted.text === '') return { captionEntities: [] };
  return { caption: formatted.text, captionEntities: formatted.entities };
}

function checkTextLength(text: string): void {
  if (codePointLength(text) > MAX_TEXT_LENGTH) throw badRequest('message is too long');
}

function checkCaptionLength(text: string | undefined): void {
  if (text !== undefined && codePointLength(text) > MAX_CAPTION_LENGTH) throw badRequest('message caption is too long');
}

function linkPreviewOptions(params: Params): LinkPreviewOptions | undefined {
  const raw = params.json('link_preview_options', "can't parse link preview options JSON object");
  if (raw !== undefined) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw badRequest("can't parse link preview options JSON object");
    return raw as LinkPreviewOptions;
  }
  if (params.bool('disable_web_page_preview')) return { is_disabled: true };
  return undefined;
}

/** reply_parameters, or the older reply_to_message_id + allow_sending_without_reply. */
function replyTarget(ctx: MethodContext, chat: ChatRecord): number | undefined {
  const raw = ctx.params.json('reply_parameters', "can't parse reply parameters JSON object");
  let messageId: number | undefined;
  let allowWithout = ctx.params.bool('allow_sending_without_reply');
  if (raw !== undefined) {
    if (typeof raw !== 'object' || raw === null) throw badRequest("can't parse reply parameters JSON object");
    const parameters = raw as { message_id?: unknown; allow_sending_without_reply?: unknown; chat_id?: unknown };
    if (parameters.chat_id !== undefined && String(parameters.chat_id) !== String(chat.id)) throw badRequest('message to be replied not found');
    messageId = typeof parameters.message_id === 'number' ? parameters.message_id : Number(parameters.message_id);
    allowWithout = parameters.allow_sending_without_reply === true;
  } else {
    messageId = ctx.params.int('reply_to_message_id');
  }
  if (messageId === undefined || !Number.isFinite(messageId) || messageId <= 0) return undefined;
  const target = chat.messages.get(messageId);
  if (target === undefined || target.deleted) {
    if (allowWithout) return undefined;
    throw badRequest('message to be replied not found');
  }
  return messageId;
}

export function sendMessage(ctx: MethodContext): Message {
  const { text, entities } = messageText(ctx.params);
  const replyMarkup = replyMarkupParam(ctx.params);
  const chat = targetChat(ctx);
  checkTextLength(text);
  const preview = linkPreviewOptions(ctx.params);
  const replyTo = replyTarget(ctx, chat);
  ctx.state.limiter.check(ctx.bot.id, chat.id, chat.type !== 'private', 'send', ctx.state.now());
  return store(ctx, chat, { kind: 'text', text, entities, ...(preview ? { linkPreviewOptions: preview } : {}) }, replyMarkup, replyTo);
}

/** Turns a photo/document parameter into stored content: a new upload, or an earlier file_id. */
function mediaContent(ctx: MethodContext, kind: FileKind, ref: InputFileRef, captionPart: { caption?: string; captionEntities: MessageEntity[] }): MessageContent {
  // The sandbox has no internet: a URL can never be fetched.
  if (ref.kind === 'url') throw badRequest('wrong file identifier/HTTP URL specified');
  const { files } = ctx.state;
  if (kind === 'photo') {
    const photo = ref.kind === 'upload' ? files.addPhoto(ctx.bot.id, ref.file) : files.reusePhoto(ctx.bot.id, ref.fileId);
    return { kind: 'photo', photo, ...captionPart };
  }
  const document = ref.kind === 'upload' ? files.addDocument(ctx.bot.id, ref.file) : files.reuseDocument(ctx.bot.id, ref.fileId);
  return { kind: 'document', document, ...captionPart };
}

function sendMedia(ctx: MethodContext, kind: FileKind): Message {
  const captionPart = caption(ctx.params);
  const replyMarkup = replyMarkupParam(ctx.params);
  const chat = targetChat(ctx);
  checkCaptionLength(captionPart.caption);
  const replyTo = replyTarget(ctx, chat);
  const ref = ctx.params.inputFile(kind);
  if (ref === undefined) throw badRequest(`there is no ${kind} in the request`);
  // Refuse a flood before storing the file; charge the send only once the file is accepted.
  const charge = ctx.state.limiter.reserve(ctx.bot.id, chat.id, chat.type !== 'private', 'send', ctx.state.now());
  const content = mediaContent(ctx, kind, ref, captionPart);
  charge();
  return store(ctx, chat, content, replyMarkup, replyTo);
}

/** Stores a message the bot sends (its rate limit already passed) and shows it to the user side. */
function store(ctx: MethodContext, chat: ChatRecord, content: MessageContent, replyMarkup: ReplyMarkup | undefined, replyTo: number | undefined): Message {
  const { state, bot, params } = ctx;
  const stored = state.addMessage(chat, {
    senderId: bot.id,
    senderIsBot: true,
    date: state.unixNow(),
    content,
    replyMarkup,
    ...(replyTo !== undefined ? { replyToMessageId: replyTo } : {}),
    silent: params.bool('disable_notification'),
    protectContent: params.bool('protect_content'),
  });
  state.emit(chat, { type: 'message', message: sandboxMessage(state, bot, chat, stored) });
  return messageObject(state, bot, chat, stored);
}

export const sendPhoto = (ctx: MethodContext): Message => sendMedia(ctx, 'photo');
export const sendDocument = (ctx: MethodContext): Message => sendMedia(ctx, 'document');

/** The bot's own message to edit, or Telegram's error. */
function messageToEdit(ctx: MethodContext): { chat: ChatRecord; message: StoredMessage } {
  rejectInlineMessageId(ctx);
  const chat = targetChat(ctx, 'read');
  const messageId = messageIdParam(ctx);
  const message = chat.messages.get(messageId);
  if (message === undefined || message.deleted) throw badRequest('message to edit not found');
  if (!message.senderIsBot) throw badRequest("message can't be edited");
  return { chat, message };
}

function sameEntities(a: MessageEntity[], b: MessageEntity[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function sameContent(a: MessageContent, b: MessageContent): boolean {
  if (a.kind === 'text' && b.kind === 'text') return a.text === b.text && sameEntities(a.entities, b.entities);
  if (a.kind === 'photo' && b.kind === 'photo') {
    return a.photo.at(-1)?.file_unique_id === b.photo.at(-1)?.file_unique_id && a.caption === b.caption && sameEntities(a.captionEntities, b.captionEntities);
  }
  if (a.kind === 'document' && b.kind === 'document') {
    return a.document.file_unique_id === b.document.file_unique_id && a.caption === b.caption && sameEntities(a.captionEntities, b.captionEntities);
  }
  return false;
}

/** Applies an edit: "not modified" when nothing changes, else history + edit_date + user-side event. */
function applyEdit(ctx: MethodContext, chat: ChatRecord, message: StoredMessage, content: MessageContent, replyMarkup: ReplyMarkup | undefined): Message {
  if (replyMarkup !== undefined && !isInlineKeyboard(replyMarkup)) throw badRequest('inline keyboard expected');
  if (sameContent(message.content, content) && sameMarkup(message.replyMarkup, replyMarkup)) throw badRequest(NOT_MODIFIED);
  const { state, bot } = ctx;
  state.limiter.check(bot.id, chat.id, chat.type !== 'private', 'edit', state.now());
  message.history.push({ replacedAt: state.unixNow(), content: message.content, replyMarkup: message.replyMarkup });
  message.content = content;
  message.replyMarkup = replyMarkup;
  message.editDate = state.unixNow();
  state.emit(chat, { type: 'edited', message: sandboxMessage(state, bot, chat, message) });
  return messageObject(state, bot, chat, message);
}

export function editMessageText(ctx: MethodContext): Message {
  const { text, entities } = messageText(ctx.params);
  const replyMarkup = replyMarkupParam(ctx.params);
  const { chat, message } = messageToEdit(ctx);
  if (message.content.kind !== 'text') throw badRequest('there is no text in the message to edit');
  checkTextLength(text);
  const preview = linkPreviewOptions(ctx.params) ?? message.content.linkPreviewOptions;
  return applyEdit(ctx, chat, message, { kind: 'text', text, entities, ...(preview ? { linkPreviewOptions: preview } : {}) }, replyMarkup);
}

export function editMessageCaption(ctx: MethodContext): Message {
  const captionPart = caption(ctx.params);
  const replyMarkup = replyMarkupParam(ctx.params);
  const { chat, message } = messageToEdit(ctx);
  if (message.content.kind === 'text') throw badRequest('there is no caption in the message to edit');
  checkCaptionLength(captionPart.caption);
  const content: MessageContent = { ...message.content, captionEntities: captionPart.captionEntities };
  if (captionPart.caption === undefined) delete content.caption;
  else content.caption = captionPart.caption;
  return applyEdit(ctx, chat, message, content, replyMarkup);
}

export function editMessageReplyMarkup(ctx: MethodContext): Message {
  const replyMarkup = replyMarkupParam(ctx.params);
  const { chat, message } = messageToEdit(ctx);
  return applyEdit(ctx, chat, message, message.content, replyMarkup);
}

export function editMessageMedia(ctx: MethodContext): Message {
  const raw = ctx.params.json('media', "can't parse InputMedia JSON object");
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw badRequest("can't parse InputMedia JSON object");
  const media = raw as Record<string, unknown>;
  const replyMarkup = replyMarkupParam(ctx.params);
  const { chat, message } = messageToEdit(ctx);
  if (message.content.kind === 'text') throw badRequest('there is no media in the message to edit');
  const type = media.type;
  if (type !== 'photo' && type !== 'document') throw badRequest(`media of type ${String(type)} is not supported by the sandbox; use photo or document`);
  const captionParams = new Params({
    caption: media.caption,
    parse_mode: media.parse_mode,
    caption_entities: media.caption_entities,
  });
  const captionPart = caption(captionParams);
  checkCaptionLength(captionPart.caption);
  if (typeof media.media !== 'string' || media.media === '') throw badRequest(`there is no ${type} in the request`);
  const ref = ctx.params.resolveFileString(media.media);
  const content = mediaContent(ctx, type, ref, captionPart);
  return applyEdit(ctx, chat, message, content, replyMarkup);
}

export function deleteMessage(ctx: MethodContext): true {
  const chat = targetChat(ctx, 'read');
  const messageId = messageIdParam(ctx);
  const message = chat.messages.get(messageId);
  if (message === undefined || message.deleted) throw badRequest('message to delete not found');
  // In private chats a bot may delete any message; in groups only its own (the sandbox's bots are not admins).
  if (chat.type !== 'private' && !message.senderIsBot) throw badRequest("message can't be deleted");
  message.deleted = true;
  const { state, bot } = ctx;
  state.emit(chat, { type: 'deleted', messageId, message: sandboxMessage(state, bot, chat, message) });
  return true;
}

export function sendChatAction(ctx: MethodContext): true {
  const chat = targetChat(ctx);
  const action = ctx.params.string('action')?.trim().toLowerCase() ?? '';
  if (!CHAT_ACTIONS.has(action)) throw badRequest('wrong parameter action in request');
  ctx.state.emit(chat, { type: 'chat_action', action });
  return true;
}
