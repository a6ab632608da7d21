import { createHash, randomBytes, randomInt } from 'node:crypto';
import type { BotCommand, Document, LinkPreviewOptions, MenuButton, MessageEntity, PhotoSize } from '@grammyjs/types';
import type { Logger } from 'pino';
import { SandboxControlError } from './errors';
import { FileStore } from './files';
import { type Limits, RateLimiter } from './limits';
import type { ReplyMarkup } from './markup';
import type { CallbackAnswer, ChatEvent, SandboxUserProfile } from './types';
import { UpdateQueue } from './updates';

/**
 * Everything a sandbox knows, in memory and owned by one sandbox object: bots, users, chats
 * with their messages and user-side events, files, pending callback queries. The Bot API
 * methods and the user-side control API both work on it; neither knows about HTTP.
 */

export type MessageContent =
  | { kind: 'text'; text: string; entities: MessageEntity[]; linkPreviewOptions?: LinkPreviewOptions }
  | { kind: 'photo'; photo: PhotoSize[]; caption?: string; captionEntities: MessageEntity[] }
  | { kind: 'document'; document: Document; caption?: string; captionEntities: MessageEntity[] };

export interface MessageVersion {
  replacedAt: number;
  content: MessageContent;
  replyMarkup: ReplyMarkup | undefined;
}

export interface StoredMessage {
  messageId: number;
  chatId: number;
  senderId: number;
  senderIsBot: boolean;
  /** Unix seconds. */
  date: number;
  editDate?: number;
  content: MessageContent;
  replyMarkup: ReplyMarkup | undefined;
  replyToMessageId?: number;
  silent: boolean;
  protectContent: boolean;
  history: MessageVersion[];
  deleted: boolean;
}

export interface UserRecord {
  id: number;
  firstName: string;
  lastName?: string;
  username?: string;
  languageCode?: string;
}

export interface ChatRecord {
  id: number;
  type: 'private' | 'group' | 'supergroup';
  title?: string;
  botId: number;
  memberIds: Set<number>;
  /** Private chats: the user has written to the bot, so the bot may write back. */
  opened: boolean;
  blockedByUser: boolean;
  messages: Map<number, StoredMessage>;
  nextMessageId: number;
  events: ChatEvent[];
  nextSeq: number;
  waiters: Set<() => void>;
  chatInstance: string;
}

export interface CallbackQueryRecord {
  id: string;
  chatId: number;
  messageId: number;
  fromId: number;
  data?: string;
  createdAt: number;
  answer?: { text?: string; showAlert: boolean; url?: string };
  waiters: Set<() => void>;
}

export interface WebhookConfig {
  url: string;
  secretToken?: string;
  maxConnections: number;
  ipAddress?: string;
  lastErrorDate?: number;
  lastErrorMessage?: string;
}

export interface BotRecord {
  id: number;
  token: string;
  username: string;
  firstName: string;
  canReadAllGroupMessages: boolean;
  updates: UpdateQueue;
  webhook: WebhookConfig | undefined;
  /** Key: scope JSON + "|" + language code. */
  commands: Map<string, BotCommand[]>;
  /** Key: chat id, or "default". */
  menuButtons: Map<string, MenuButton>;
  callbackQueries: Map<string, CallbackQueryRecord>;
  chats: Map<number, ChatRecord>;
  nextSetWebhookAt: number;
}

const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';

/** A token of Telegram's shape: `<bot id>:<35 characters>`, the secret part starting with "AA". */
function newToken(botId: number): string {
  const bytes = randomBytes(33);
  let secret = 'AA';
  for (const byte of bytes) secret += TOKEN_ALPHABET[byte % 64];
  return `${botId}:${secret}`;
}

const MAX_CALLBACK_QUERIES = 10_000;

export interface SandboxStateOptions {
  limits: Limits;
  logger: Logger;
  now?: () => number;
}

export class SandboxState {
  readonly bots = new Map<number, BotRecord>();
  readonly users = new Map<number, UserRecord>();
  readonly files: FileStore;
  readonly limiter: RateLimiter;
  readonly limits: Limits;
  readonly logger: Logger;
  readonly now: () => number;
  private readonly byToken = new Map<string, BotRecord>();
  private nextUserId = 1_000_001;
  private nextGroupNumber = 1;
  private closed = false;

  constructor(options: SandboxStateOptions) {
    this.limits = options.limits;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.files = new FileStore(this.limits, this.logger);
    this.limiter = new RateLimiter(this.limits);
  }

  unixNow(): number {
    return Math.floor(this.now() / 1000);
  }

  createBot(input: { username: string; firstName?: string; token?: string; canReadAllGroupMessages?: boolean }): BotRecord {
    const username = input.username.replace(/^@/, '');
    if (!/^[A-Za-z][A-Za-z0-9_]{3,31}$/.test(username)) {
      throw new SandboxControlError(400, `bot username "${username}" is invalid: 4-32 characters, letters, digits and underscores, starting with a letter`);
    }
    if (this.botByUsername(username) !== undefined) throw new SandboxControlError(409, `a bot named @${username} already exists in this sandbox`);
    let id: number;
    let token: string;
    if (input.token !== undefined) {
      const match = /^(\d{3,}):[A-Za-z0-9_-]{30,}$/.exec(input.token);
      if (match === null) throw new SandboxControlError(400, 'token must have Telegram\'s shape "<digits>:<at least 30 characters>"');
      id = Number(match[1]);
      token = input.token;
      if (this.bots.has(id)) throw new SandboxControlError(409, `a bot with id ${id} already exists in this sandbox`);
    } else {
      do id = randomInt(6_000_000_000, 8_000_000_000);
      while (this.bots.has(id));
      token = newToken(id);
    }
    const bot: BotRecord = {
      id,
      token,
      username,
      firstName: input.firstName ?? username,
      canReadAllGroupMessages: input.canReadAllGroupMessages ?? false,
      updates: new UpdateQueue({
        botId: id,
        maxPending: this.limits.maxPendingUpdates,
        ttlMs: this.limits.updateTtlMs,
        now: this.now,
        logger: this.logger,
      }),
      webhook: undefined,
      commands: new Map(),
      menuButtons: new Map(),
      callbackQueries: new Map(),
      chats: new Map(),
      nextSetWebhookAt: 0,
    };
    this.bots.set(id, bot);
    this.byToken.set(token, bot);
    return bot;
  }

  botByToken(token: string): BotRecord | undefined {
    return this.byToken.get(token);
  }

  botByUsername(username: string): BotRecord | undefined {
    const wanted = username.replace(/^@/, '').toLowerCase();
    for (const bot of this.bots.values()) if (bot.username.toLowerCase() === wanted) return bot;
    return undefined;
  }

  /** A bot named by id, username (with or without @) or token. */
  botByRef(ref: string | number): BotRecord | undefined {
    if (typeof ref === 'number') return this.bots.get(ref);
    const text = ref.trim();
    if (/^\d+$/.test(text)) return this.bots.get(Number(text));
    const tokenId = /^(\d+):/.exec(text)?.[1];
    if (tokenId !== undefined) return this.bots.get(Number(tokenId));
    return this.botByUsername(text);
  }

  requireBot(ref: string | number): BotRecord {
    const bot = this.botByRef(ref);
    if (bot === undefined) throw new SandboxControlError(404, `no bot ${JSON.stringify(String(ref))} in this sandbox`);
    return bot;
  }

  /** A free user id for a user created without one. */
  allocateUserId(): number {
    while (this.users.has(this.nextUserId)) this.nextUserId++;
    return this.nextUserId++;
  }

  /** Registers a user, or updates the profile of a known id. */
  registerUser(profile: SandboxUserProfile): UserRecord {
    if (typeof profile.firstName !== 'string' || profile.firstName.trim() === '') {
      throw new SandboxControlError(400, 'firstName is required and must be a non-empty string');
    }
    if (profile.id !== undefined && (!Number.isSafeInteger(profile.id) || profile.id <= 0)) {
      throw new SandboxControlError(400, `user id must be a positive integer, got ${String(profile.id)}`);
    }
    if (profile.username !== undefined && !/^[A-Za-z][A-Za-z0-9_]{3,31}$/.test(profile.username)) {
      throw new SandboxControlError(400, `username "${profile.username}" is invalid: 4-32 letters, digits or underscores, starting with a letter`);
    }
    const id = profile.id ?? this.allocateUserId();
    if (this.bots.has(id)) throw new SandboxControlError(409, `id ${id} belongs to a bot`);
    const user: UserRecord = { id, firstName: profile.firstName };
    if (profile.lastName) user.lastName = profile.lastName;
    if (profile.username) user.username = profile.username;
    if (profile.languageCode) user.languageCode = profile.languageCode;
    this.users.set(id, user);
    return user;
  }

  requireUser(id: number): UserRecord {
    const user = this.users.get(id);
    if (user === undefined) throw new SandboxControlError(404, `no user ${id}: register the user first`);
    return user;
  }

  private newChat(bot: BotRecord, id: number, type: ChatRecord['type'], memberIds: number[], title?: string): ChatRecord {
    const chat: ChatRecord = {
      id,
      type,
      botId: bot.id,
      memberIds: new Set(memberIds),
      opened: type !== 'private',
      blockedByUser: false,
      messages: new Map(),
      nextMessageId: 1,
      events: [],
      nextSeq: 1,
      waiters: new Set(),
      // A stable signed 64-bit number per chat, like Telegram's chat_instance.
      chatInstance: BigInt.asIntN(64, BigInt(`0x${createHash('sha256').update(`${bot.id}:${id}`).digest('hex').slice(0, 16)}`)).toString(),
    };
    if (title !== undefined) chat.title = title;
    bot.chats.set(id, chat);
    return chat;
  }

  privateChat(bot: BotRecord, userId: number): ChatRecord {
    this.requireUser(userId);
    return bot.chats.get(userId) ?? this.newChat(bot, userId, 'private', [userId]);
  }

  createGroup(bot: BotRecord, input: { title: string; memberIds: number[]; type?: 'group' | 'supergroup' }): ChatRecord {
    if (typeof input.title !== 'string' || input.title.trim() === '') throw new SandboxControlError(400, 'group title is required');
    for (const id of input.memberIds) this.requireUser(id);
    const type = input.type ?? 'group';
    const n = this.nextGroupNumber++;
    // Basic groups have small negative ids, supergroups -100… ids, as in the Bot API.
    const id = type === 'supergroup' ? -(1_000_000_000_000 + n) : -(4_000_000_000 + n);
    return this.newChat(bot, id, type, input.memberIds, input.title);
  }

  requireChat(bot: BotRecord, chatId: number): ChatRecord {
    const chat = bot.chats.get(chatId);
    if (chat === undefined) throw new SandboxControlError(404, `bot @${bot.username} has no chat ${chatId}`);
    return chat;
  }

  /** Stores a new message, forgetting the oldest beyond `limits.maxMessagesPerChat`. */
  addMessage(chat: ChatRecord, message: Omit<StoredMessage, 'messageId' | 'chatId' | 'history' | 'deleted'>): StoredMessage {
    const stored: StoredMessage = { ...message, messageId: chat.nextMessageId++, chatId: chat.id, history: [], deleted: false };
    chat.messages.set(stored.messageId, stored);
    if (chat.messages.size > this.limits.maxMessagesPerChat) {
      const oldest = chat.messages.keys().next().value;
      if (oldest !== undefined) chat.messages.delete(oldest);
    }
    return stored;
  }

  /** Appends a user-side event and wakes whoever waits for the chat's events. */
  emit(chat: ChatRecord, event: DistributiveOmit<ChatEvent, 'seq' | 'at'>): void {
    chat.events.push({ ...event, seq: chat.nextSeq++, at: this.now() } as ChatEvent);
    if (chat.events.length > this.limits.maxEventsPerChat) chat.events.splice(0, chat.events.length - this.limits.maxEventsPerChat);
    const waiters = [...chat.waiters];
    chat.waiters.clear();
    for (const wake of waiters) wake();
  }

  /** Events after `since`; waits up to `timeoutMs` for the first one when there are none yet. */
  async eventsSince(chat: ChatRecord, since: number, timeoutMs: number, signal?: AbortSignal): Promise<{ events: ChatEvent[]; cursor: number; missed: boolean }> {
    const collect = () => {
      const events = chat.events.filter((event) => event.seq > since);
      const oldest = chat.events[0]?.seq;
      return { events, cursor: Math.max(since, chat.nextSeq - 1), missed: oldest !== undefined && oldest > since + 1 };
    };
    const first = collect();
    if (first.events.length > 0 || timeoutMs <= 0 || this.closed) return first;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        chat.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      chat.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
    return collect();
  }

  addCallbackQuery(bot: BotRecord, record: Omit<CallbackQueryRecord, 'id' | 'createdAt' | 'waiters'>): CallbackQueryRecord {
    // Telegram's callback query ids are stringified unsigned 64-bit numbers.
    let id: string;
    do id = BigInt.asUintN(63, BigInt(`0x${randomBytes(8).toString('hex')}`)).toString();
    while (bot.callbackQueries.has(id));
    const query: CallbackQueryRecord = { ...record, id, createdAt: this.now(), waiters: new Set() };
    bot.callbackQueries.set(id, query);
    if (bot.callbackQueries.size > MAX_CALLBACK_QUERIES) {
      const horizon = this.now() - this.limits.callbackAnswerTimeoutMs;
      for (const [key, old] of bot.callbackQueries) {
        if (bot.callbackQueries.size <= MAX_CALLBACK_QUERIES) break;
        if (old.answer !== undefined || old.createdAt < horizon) bot.callbackQueries.delete(key);
      }
    }
    return query;
  }

  callbackAnswerView(query: CallbackQueryRecord): CallbackAnswer {
    const view: CallbackAnswer = { callbackQueryId: query.id, messageId: query.messageId, answered: query.answer !== undefined, showAlert: query.answer?.showAlert ?? false };
    if (query.data !== undefined) view.data = query.data;
    if (query.answer?.text !== undefined) view.text = query.answer.text;
    if (query.answer?.url !== undefined) view.url = query.answer.url;
    return view;
  }

  /** Waits until the bot answers a callback query, or the time runs out. */
  async waitForCallbackAnswer(query: CallbackQueryRecord, timeoutMs: number, signal?: AbortSignal): Promise<CallbackAnswer> {
    if (query.answer === undefined && timeoutMs > 0 && !this.closed) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          query.waiters.delete(done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        query.waiters.add(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
    return this.callbackAnswerView(query);
  }

  isClosed(): boolean {
    return this.closed;
  }

  /** Ends every wait (long polls, event waits) so that the server can stop. */
  close(): void {
    this.closed = true;
    for (const bot of this.bots.values()) {
      bot.updates.close();
      for (const chat of bot.chats.values()) {
        const waiters = [...chat.waiters];
        chat.waiters.clear();
        for (const wake of waiters) wake();
      }
      for (const query of bot.callbackQueries.values()) {
        const waiters = [...query.waiters];
        query.waiters.clear();
        for (const wake of waiters) wake();
      }
    }
  }
}

/** Omit over each member of a union. */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
