import type { CallbackQuery, InlineKeyboardButton, MessageEntity, Update } from '@grammyjs/types';
import { userText } from './entities/format';
import { codePointLength } from './entities/text';
import { BotApiError, SandboxControlError } from './errors';
import type { StoredFile } from './files';
import { isInlineKeyboard } from './markup';
import { MAX_CAPTION_LENGTH, MAX_TEXT_LENGTH } from './methods/messages';
import type { BotRecord, ChatRecord, MessageContent, SandboxState, StoredMessage } from './state';
import type {
  CallbackAnswer, ChatEventsPage, CreatedBot, SandboxBotInfo, SandboxChatView, SandboxMessage, SandboxUserProfile, UserUpload,
} from './types';
import { botUserObject, chatView, messageObject, sandboxMessage, userObject } from './views';

export type BotRef = string | number;

export interface SendAsUserInput {
  /** The sending user's id. */
  from: number;
  text?: string;
  /** Caption of a photo or document. */
  caption?: string;
  replyToMessageId?: number;
  photo?: UserUpload;
  document?: UserUpload;
}

/** Longest wait a long-poll endpoint accepts. */
export const MAX_WAIT_MS = 60_000;

const clampWait = (ms: number | undefined) => Math.min(MAX_WAIT_MS, Math.max(0, Math.trunc(ms ?? 0)));

/**
 * The user side of the sandbox: what people do in Telegram (write, send files, press
 * buttons, create groups) and what they see (messages, edits, chat actions, answers).
 * The `/_sandbox/...` HTTP routes and the in-process client both call this facade; it
 * returns plain JSON data.
 */
export class SandboxControl {
  constructor(private readonly state: SandboxState) {}

  listBots(): SandboxBotInfo[] {
    return [...this.state.bots.values()].map((bot) => ({ id: bot.id, username: bot.username, firstName: bot.firstName }));
  }

  createBot(input: { username: string; firstName?: string; token?: string; canReadAllGroupMessages?: boolean }): CreatedBot {
    if (typeof input?.username !== 'string') throw new SandboxControlError(400, 'username is required');
    const bot = this.state.createBot(input);
    return { id: bot.id, username: bot.username, firstName: bot.firstName, token: bot.token };
  }

  registerUser(profile: SandboxUserProfile): SandboxUserProfile & { id: number } {
    const user = this.state.registerUser(profile);
    return { ...user };
  }

  createGroup(botRef: BotRef, input: { title: string; memberIds: number[]; type?: 'group' | 'supergroup' }): SandboxChatView {
    if (!Array.isArray(input?.memberIds) || !input.memberIds.every((id) => Number.isSafeInteger(id))) {
      throw new SandboxControlError(400, 'memberIds must be a list of user ids');
    }
    if (input.type !== undefined && input.type !== 'group' && input.type !== 'supergroup') {
      throw new SandboxControlError(400, 'type must be "group" or "supergroup"');
    }
    return chatView(this.state.createGroup(this.state.requireBot(botRef), input));
  }

  listChats(botRef: BotRef): SandboxChatView[] {
    return [...this.state.requireBot(botRef).chats.values()].map(chatView);
  }

  /** A user writes in a chat: the message is stored, shown, and becomes an update for the bot. */
  sendMessage(botRef: BotRef, chatId: number, input: SendAsUserInput): SandboxMessage {
    const { state } = this;
    const bot = state.requireBot(botRef);
    const user = state.requireUser(input.from);
    const chat = this.chatOfUser(bot, chatId, user.id);
    const content = this.userContent(bot, input);
    let replyTo: number | undefined;
    if (input.replyToMessageId !== undefined) {
      const target = chat.messages.get(input.replyToMessageId);
      if (target === undefined || target.deleted) throw new SandboxControlError(404, `message ${input.replyToMessageId} is not in chat ${chat.id}`);
      replyTo = target.messageId;
    }
    if (chat.type === 'private') {
      chat.opened = true;
      chat.blockedByUser = false;
    }
    const stored = state.addMessage(chat, {
      senderId: user.id,
      senderIsBot: false,
      date: state.unixNow(),
      content,
      replyMarkup: undefined,
      ...(replyTo !== undefined ? { replyToMessageId: replyTo } : {}),
      silent: false,
      protectContent: false,
    });
    const view = sandboxMessage(state, bot, chat, stored);
    state.emit(chat, { type: 'message', message: view });
    if (this.botSees(bot, chat, stored)) bot.updates.push({ message: messageObject(state, bot, chat, stored) as Update['message'] });
    return view;
  }

  private chatOfUser(bot: BotRecord, chatId: number, userId: number): ChatRecord {
    if (chatId > 0) {
      if (chatId !== userId) throw new SandboxControlError(403, `user ${userId} cannot write in the private chat of user ${chatId}`);
      return this.state.privateChat(bot, userId);
    }
    const chat = this.state.requireChat(bot, chatId);
    if (!chat.memberIds.has(userId)) throw new SandboxControlError(403, `user ${userId} is not a member of chat ${chatId}`);
    return chat;
  }

  private userContent(bot: BotRecord, input: SendAsUserInput): MessageContent {
    const upload = input.photo ?? input.document;
    if (input.photo !== undefined && input.document !== undefined) throw new SandboxControlError(400, 'send either a photo or a document, not both');
    if (upload === undefined) {
      const formatted = userText(typeof input.text === 'string' ? input.text : '');
      if (formatted.text === '') throw new SandboxControlError(400, 'message text is empty');
      if (codePointLength(formatted.text) > MAX_TEXT_LENGTH) throw new SandboxControlError(400, 'message is too long');
      return { kind: 'text', text: formatted.text, entities: formatted.entities };
    }
    const captionText = input.caption ?? input.text;
    const caption = captionText === undefined ? undefined : userText(captionText);
    if (caption !== undefined && codePointLength(caption.text) > MAX_CAPTION_LENGTH) throw new SandboxControlError(400, 'message caption is too long');
    const captionPart: { caption?: string; captionEntities: MessageEntity[] } =
      caption === undefined || caption.text === '' ? { captionEntities: [] } : { caption: caption.text, captionEntities: caption.entities };
    const file = { fileName: upload.fileName, mimeType: upload.mimeType ?? 'application/octet-stream', data: Buffer.from(upload.data) };
    try {
      if (input.photo !== undefined) return { kind: 'photo', photo: this.state.files.addPhoto(bot.id, file), ...captionPart };
      return { kind: 'document', document: this.state.files.addDocument(bot.id, file), ...captionPart };
    } catch (error) {
      if (error instanceof BotApiError) throw new SandboxControlError(400, error.description.replace(/^Bad Request: /, ''));
      throw error;
    }
  }

  /**
   * Privacy mode (on unless the bot was created with canReadAllGroupMessages): in groups a
   * bot only gets commands (for it or for no bot in particular), replies to its messages
   * and messages that mention it.
   */
  private botSees(bot: BotRecord, chat: ChatRecord, message: StoredMessage): boolean {
    if (chat.type === 'private' || bot.canReadAllGroupMessages) return true;
    if (message.replyToMessageId !== undefined && chat.messages.get(message.replyToMessageId)?.senderIsBot) return true;
    const content = message.content;
    const text = content.kind === 'text' ? content.text : (content.caption ?? '');
    const entities = content.kind === 'text' ? content.entities : content.captionEntities;
    const mine = `@${bot.username.toLowerCase()}`;
    return entities.some((entity) => {
      const value = text.slice(entity.offset, entity.offset + entity.length).toLowerCase();
      if (entity.type === 'mention') return value === mine;
      if (entity.type === 'bot_command') return entity.offset === 0 && (!value.includes('@') || value.endsWith(mine));
      return false;
    });
  }

  /**
   * A user presses an inline button (by its callback_data, or by its text): the bot gets a
   * callback_query update. The answer starts unanswered; wait for it with `callbackAnswer`.
   */
  pressButton(botRef: BotRef, chatId: number, messageId: number, input: { from: number; button: string }): CallbackAnswer {
    const { state } = this;
    const bot = state.requireBot(botRef);
    const user = state.requireUser(input.from);
    const chat = this.chatOfUser(bot, chatId, user.id);
    const message = chat.messages.get(messageId);
    if (message === undefined || message.deleted) throw new SandboxControlError(404, `message ${messageId} is not in chat ${chat.id}`);
    if (!isInlineKeyboard(message.replyMarkup)) throw new SandboxControlError(400, `message ${messageId} has no inline keyboard`);
    const buttons: InlineKeyboardButton[] = message.replyMarkup.inline_keyboard.flat();
    const wanted = input.button;
    const button =
      buttons.find((b) => 'callback_data' in b && b.callback_data === wanted) ?? buttons.find((b) => b.text === wanted);
    if (button === undefined) {
      const labels = buttons.map((b) => JSON.stringify(b.text)).join(', ');
      throw new SandboxControlError(404, `message ${messageId} has no button ${JSON.stringify(wanted)}; its buttons: ${labels}`);
    }
    if (!('callback_data' in button)) {
      throw new SandboxControlError(400, `button ${JSON.stringify(button.text)} has no callback_data (it opens a URL or another action, not a callback)`);
    }
    const query = state.addCallbackQuery(bot, { chatId: chat.id, messageId, fromId: user.id, data: button.callback_data });
    bot.updates.push({
      callback_query: {
        id: query.id,
        from: userObject(user),
        message: messageObject(state, bot, chat, message) as CallbackQuery['message'],
        chat_instance: chat.chatInstance,
        data: button.callback_data,
      },
    });
    return state.callbackAnswerView(query);
  }

  async callbackAnswer(botRef: BotRef, callbackQueryId: string, waitMs?: number, signal?: AbortSignal): Promise<CallbackAnswer> {
    const bot = this.state.requireBot(botRef);
    const query = bot.callbackQueries.get(callbackQueryId);
    if (query === undefined) throw new SandboxControlError(404, `no callback query ${callbackQueryId}`);
    return await this.state.waitForCallbackAnswer(query, clampWait(waitMs), signal);
  }

  /** Every message kept in the chat, oldest first, deleted ones flagged. */
  messages(botRef: BotRef, chatId: number): SandboxMessage[] {
    return this.messagesPage(botRef, chatId).messages;
  }

  /** The messages and the event cursor they correspond to (pass it to `events` as `since`). */
  messagesPage(botRef: BotRef, chatId: number): { messages: SandboxMessage[]; cursor: number } {
    const bot = this.state.requireBot(botRef);
    const chat = this.viewableChat(bot, chatId);
    return { messages: [...chat.messages.values()].map((message) => sandboxMessage(this.state, bot, chat, message)), cursor: chat.nextSeq - 1 };
  }

  /** Chat events after `since`; waits up to `waitMs` when there are none yet. */
  async events(botRef: BotRef, chatId: number, since: number, waitMs?: number, signal?: AbortSignal): Promise<ChatEventsPage> {
    const bot = this.state.requireBot(botRef);
    const chat = this.viewableChat(bot, chatId);
    return await this.state.eventsSince(chat, Math.max(0, Math.trunc(since) || 0), clampWait(waitMs), signal);
  }

  /** The chat a user-side reader looks at; a private chat exists as soon as its user does. */
  private viewableChat(bot: BotRecord, chatId: number): ChatRecord {
    if (chatId > 0 && this.state.users.has(chatId)) return this.state.privateChat(bot, chatId);
    return this.state.requireChat(bot, chatId);
  }

  /** The user blocks (or unblocks) the bot: the bot's sends get 403 "bot was blocked by the user". */
  setBlocked(botRef: BotRef, userId: number, blocked: boolean): void {
    const bot = this.state.requireBot(botRef);
    this.state.privateChat(bot, userId).blockedByUser = blocked;
  }

  botInfo(botRef: BotRef): SandboxBotInfo & { user: ReturnType<typeof botUserObject> } {
    const bot = this.state.requireBot(botRef);
    return { id: bot.id, username: bot.username, firstName: bot.firstName, user: botUserObject(bot) };
  }

  file(fileId: string): StoredFile {
    const file = this.state.files.byFileId(fileId);
    if (file === undefined) throw new SandboxControlError(404, 'no such file (unknown file_id, or evicted from memory)');
    return file;
  }
}
