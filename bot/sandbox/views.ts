import type { Chat, Message, MessageEntity, PhotoSize, User } from '@grammyjs/types';
import { renderHtml } from './entities/render';
import { isInlineKeyboard } from './markup';
import type { BotRecord, ChatRecord, MessageContent, SandboxState, StoredMessage, UserRecord } from './state';
import type { SandboxChatView, SandboxFileView, SandboxMessage } from './types';

/** Telegram object shapes (as @grammyjs/types describes them) and the user-side views, built from the state. */

export function userObject(user: UserRecord): User {
  const result: User = { id: user.id, is_bot: false, first_name: user.firstName };
  if (user.lastName !== undefined) result.last_name = user.lastName;
  if (user.username !== undefined) result.username = user.username;
  if (user.languageCode !== undefined) result.language_code = user.languageCode;
  return result;
}

export function botUserObject(bot: BotRecord): User {
  return { id: bot.id, is_bot: true, first_name: bot.firstName, username: bot.username };
}

export function chatObject(state: SandboxState, chat: ChatRecord): Chat {
  if (chat.type === 'private') {
    const user = state.users.get(chat.id);
    const result: Chat.PrivateChat = { id: chat.id, type: 'private', first_name: user?.firstName ?? '' };
    if (user?.lastName !== undefined) result.last_name = user.lastName;
    if (user?.username !== undefined) result.username = user.username;
    return result;
  }
  if (chat.type === 'supergroup') return { id: chat.id, type: 'supergroup', title: chat.title ?? '' };
  return { id: chat.id, type: 'group', title: chat.title ?? '' };
}

function senderObject(state: SandboxState, bot: BotRecord, message: StoredMessage): User {
  if (message.senderIsBot) return botUserObject(bot);
  const user = state.users.get(message.senderId);
  return user === undefined ? { id: message.senderId, is_bot: false, first_name: '' } : userObject(user);
}

/** The Message object of the Bot API. Only an inline keyboard is part of it, as in Telegram. */
export function messageObject(state: SandboxState, bot: BotRecord, chat: ChatRecord, message: StoredMessage, withReply = true): Message {
  const result: Message = {
    message_id: message.messageId,
    from: senderObject(state, bot, message),
    chat: chatObject(state, chat),
    date: message.date,
  } as Message;
  if (message.editDate !== undefined) result.edit_date = message.editDate;
  if (message.protectContent) result.has_protected_content = true;
  const content = message.content;
  if (content.kind === 'text') {
    result.text = content.text;
    if (content.entities.length > 0) result.entities = content.entities;
    if (content.linkPreviewOptions !== undefined) result.link_preview_options = content.linkPreviewOptions;
  } else {
    if (content.kind === 'photo') result.photo = content.photo;
    else result.document = content.document;
    if (content.caption !== undefined) {
      result.caption = content.caption;
      if (content.captionEntities.length > 0) result.caption_entities = content.captionEntities;
    }
  }
  if (isInlineKeyboard(message.replyMarkup) && message.replyMarkup.inline_keyboard.length > 0) result.reply_markup = message.replyMarkup;
  if (withReply && message.replyToMessageId !== undefined) {
    const replied = chat.messages.get(message.replyToMessageId);
    if (replied !== undefined && !replied.deleted) {
      (result as { reply_to_message?: Message }).reply_to_message = messageObject(state, bot, chat, replied, false);
    }
  }
  return result;
}

function fileUrl(fileId: string): string {
  return `/_sandbox/files/${encodeURIComponent(fileId)}`;
}

function photoView(sizes: PhotoSize[]): SandboxFileView | undefined {
  const largest = sizes.at(-1);
  if (largest === undefined) return undefined;
  return {
    fileId: largest.file_id,
    fileUniqueId: largest.file_unique_id,
    fileSize: largest.file_size ?? 0,
    width: largest.width,
    height: largest.height,
    url: fileUrl(largest.file_id),
  };
}

function textOf(content: MessageContent): { text?: string; caption?: string; entities: MessageEntity[] } {
  if (content.kind === 'text') return { text: content.text, entities: content.entities };
  return content.caption === undefined ? { entities: [] } : { caption: content.caption, entities: content.captionEntities };
}

export function sandboxMessage(state: SandboxState, bot: BotRecord, chat: ChatRecord, message: StoredMessage): SandboxMessage {
  const sender = senderObject(state, bot, message);
  const { text, caption, entities } = textOf(message.content);
  const view: SandboxMessage = {
    messageId: message.messageId,
    chatId: chat.id,
    date: message.date,
    from: { id: sender.id, isBot: sender.is_bot, firstName: sender.first_name, ...(sender.username ? { username: sender.username } : {}) },
    fromBot: message.senderIsBot,
    entities,
    html: renderHtml(text ?? caption ?? '', entities),
    silent: message.silent,
    edited: message.editDate !== undefined,
    history: message.history.map((version) => {
      const old = textOf(version.content);
      return {
        replacedAt: version.replacedAt,
        entities: old.entities,
        ...(old.text !== undefined ? { text: old.text } : {}),
        ...(old.caption !== undefined ? { caption: old.caption } : {}),
        ...(version.replyMarkup !== undefined ? { replyMarkup: version.replyMarkup } : {}),
      };
    }),
    deleted: message.deleted,
    telegram: messageObject(state, bot, chat, message),
  };
  if (text !== undefined) view.text = text;
  if (caption !== undefined) view.caption = caption;
  if (message.replyMarkup !== undefined) view.replyMarkup = message.replyMarkup;
  if (message.replyToMessageId !== undefined) view.replyToMessageId = message.replyToMessageId;
  if (message.editDate !== undefined) view.editDate = message.editDate;
  if (message.content.kind === 'photo') {
    const photo = photoView(message.content.photo);
    if (photo !== undefined) view.photo = photo;
  }
  if (message.content.kind === 'document') {
    const doc = message.content.document;
    view.document = {
      fileId: doc.file_id,
      fileUniqueId: doc.file_unique_id,
      fileSize: doc.file_size ?? 0,
      url: fileUrl(doc.file_id),
      ...(doc.file_name !== undefined ? { fileName: doc.file_name } : {}),
      ...(doc.mime_type !== undefined ? { mimeType: doc.mime_type } : {}),
    };
  }
  return view;
}

export function chatView(chat: ChatRecord): SandboxChatView {
  const view: SandboxChatView = { id: chat.id, type: chat.type, memberIds: [...chat.memberIds] };
  if (chat.title !== undefined) view.title = chat.title;
  return view;
}
