import type { Message, MessageEntity } from '@grammyjs/types';
import type { ReplyMarkup } from './markup';

/**
 * The JSON shapes of the user-side API (`/_sandbox/...`, `SandboxUserClient`): what a test or
 * the browser playground sees of a chat. They are plain data, identical over HTTP and in
 * process. Times: `date`/`editDate` are Unix seconds like Telegram's; `at` is milliseconds.
 */

export interface SandboxUserProfile {
  /** Telegram user id; chosen by the sandbox when absent. */
  id?: number;
  firstName: string;
  lastName?: string;
  username?: string;
  languageCode?: string;
}

export interface SandboxBotInfo {
  id: number;
  username: string;
  firstName: string;
}

export interface CreatedBot extends SandboxBotInfo {
  token: string;
}

/** A file as the user side sees it; `url` is a path on the sandbox server (GET it for the bytes). */
export interface SandboxFileView {
  fileId: string;
  fileUniqueId: string;
  fileSize: number;
  url: string;
  fileName?: string;
  mimeType?: string;
  width?: number;
  height?: number;
}

/** An earlier version of an edited message. */
export interface SandboxMessageVersion {
  /** Unix seconds when this version was replaced. */
  replacedAt: number;
  text?: string;
  caption?: string;
  entities: MessageEntity[];
  replyMarkup?: ReplyMarkup;
}

export interface SandboxMessage {
  messageId: number;
  chatId: number;
  /** Unix seconds. */
  date: number;
  from: { id: number; isBot: boolean; firstName: string; username?: string };
  fromBot: boolean;
  text?: string;
  caption?: string;
  /** Entities of the text or of the caption (UTF-16 offsets). */
  entities: MessageEntity[];
  /** Text or caption as safe HTML (escaped, entities as tags) for a browser. */
  html: string;
  /** Any keyboard the message carries: inline, reply keyboard, remove or force_reply. */
  replyMarkup?: ReplyMarkup;
  replyToMessageId?: number;
  /** The largest size of a photo. */
  photo?: SandboxFileView;
  document?: SandboxFileView;
  /** Sent with disable_notification. */
  silent: boolean;
  edited: boolean;
  editDate?: number;
  /** Earlier versions, oldest first. */
  history: SandboxMessageVersion[];
  deleted: boolean;
  /** The message as the Bot API describes it to the bot. */
  telegram: Message;
}

export type ChatEvent =
  | { seq: number; at: number; type: 'message'; message: SandboxMessage }
  | { seq: number; at: number; type: 'edited'; message: SandboxMessage }
  | { seq: number; at: number; type: 'deleted'; messageId: number; message: SandboxMessage }
  | { seq: number; at: number; type: 'chat_action'; action: string }
  | { seq: number; at: number; type: 'callback_answer'; answer: CallbackAnswer };

export type ChatEventType = ChatEvent['type'];

export interface ChatEventsPage {
  events: ChatEvent[];
  /** Pass it as `since` to get only later events. */
  cursor: number;
  /** True when events after `since` were already dropped (`limits.maxEventsPerChat`). */
  missed: boolean;
}

export interface CallbackAnswer {
  callbackQueryId: string;
  messageId: number;
  data?: string;
  answered: boolean;
  text?: string;
  showAlert: boolean;
  url?: string;
}

export interface SandboxChatView {
  id: number;
  type: 'private' | 'group' | 'supergroup';
  title?: string;
  memberIds: number[];
}

/** A file a user sends (photo or document). */
export interface UserUpload {
  fileName: string;
  mimeType?: string;
  data: Uint8Array;
}
