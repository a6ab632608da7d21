import { randomInt } from 'node:crypto';
import type { BotRef } from '../control';
import type { CallbackAnswer, ChatEvent, SandboxChatView, SandboxFileView, SandboxMessage, SandboxUserProfile } from '../types';
import { HttpTransport, type SandboxTransport } from './transport';

/** A wait of the user-side client ran out; the message says what was seen meanwhile. */
export class SandboxTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxTimeoutError';
  }
}

export interface WaitOptions {
  /** Default 5000. */
  timeoutMs?: number;
}

export interface PressOptions extends WaitOptions {
  /** Wait for answerCallbackQuery and fail when it does not come (default true). */
  expectAnswer?: boolean;
}

const DEFAULT_TIMEOUT_MS = 5_000;
/** One long poll of the events endpoint waits at most this long (the server caps at 60 s). */
const POLL_SLICE_MS = 25_000;
/** Events a chat view keeps in memory for its waits. */
const MAX_BUFFERED_EVENTS = 10_000;

function describe(message: SandboxMessage): string {
  const body = message.text ?? message.caption ?? (message.photo ? '[photo]' : message.document ? `[document ${message.document.fileName ?? ''}]` : '');
  return `#${message.messageId} ${JSON.stringify(body.length > 80 ? `${body.slice(0, 77)}...` : body)}`;
}

/**
 * One person's view of one chat with the bot: sending as that person, pressing buttons,
 * reading what arrived. Waits (`waitForMessage`, `nextMessage`, `waitForEdit`,
 * `waitForEvent`) only see events that came after the view was created, and each event is
 * handed out once.
 */
export class SandboxChat {
  private readonly events: ChatEvent[] = [];
  private readonly consumed = new Set<number>();
  private cursor: number | undefined;
  private started: Promise<void> | undefined;

  constructor(
    protected readonly transport: SandboxTransport,
    readonly bot: BotRef,
    readonly chatId: number,
    /** The user this view acts as. */
    readonly actorId: number,
    private readonly prepare: () => Promise<void>,
  ) {}

  /** Registers the user (over HTTP, lazily) and fixes the point from which waits look. */
  protected ready(): Promise<void> {
    this.started ??= (async () => {
      await this.prepare();
      this.cursor = (await this.transport.messagesPage(this.bot, this.chatId)).cursor;
    })();
    return this.started;
  }

  async send(text: string, options: { replyTo?: SandboxMessage | number } = {}): Promise<SandboxMessage> {
    await this.ready();
    const replyTo = typeof options.replyTo === 'object' ? options.replyTo.messageId : options.replyTo;
    return await this.transport.sendMessage(this.bot, this.chatId, { from: this.actorId, text, ...(replyTo !== undefined ? { replyToMessageId: replyTo } : {}) });
  }

  async sendPhoto(data: Uint8Array, options: { fileName?: string; mimeType?: string; caption?: string } = {}): Promise<SandboxMessage> {
    await this.ready();
    const photo = { fileName: options.fileName ?? 'photo.jpg', data, ...(options.mimeType ? { mimeType: options.mimeType } : {}) };
    return await this.transport.sendMessage(this.bot, this.chatId, { from: this.actorId, photo, ...(options.caption !== undefined ? { caption: options.caption } : {}) });
  }

  async sendDocument(data: Uint8Array, options: { fileName: string; mimeType?: string; caption?: string }): Promise<SandboxMessage> {
    await this.ready();
    const document = { fileName: options.fileName, data, ...(options.mimeType ? { mimeType: options.mimeType } : {}) };
    return await this.transport.sendMessage(this.bot, this.chatId, { from: this.actorId, document, ...(options.caption !== undefined ? { caption: options.caption } : {}) });
  }

  /**
   * Presses an inline button (by callback_data or by its text) and returns the bot's
   * answerCallbackQuery, waiting for it.
   */
  async press(message: SandboxMessage | number, button: string, options: PressOptions = {}): Promise<CallbackAnswer> {
    await this.ready();
    const messageId = typeof message === 'number' ? message : message.messageId;
    const pressed = await this.transport.pressButton(this.bot, this.chatId, messageId, { from: this.actorId, button });
    if (options.expectAnswer === false) return pressed;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const answer = await this.transport.callbackAnswer(this.bot, pressed.callbackQueryId, timeoutMs);
    if (!answer.answered) {
      throw new SandboxTimeoutError(`the bot did not answer the callback query of button ${JSON.stringify(button)} on message #${messageId} within ${timeoutMs} ms`);
    }
    return answer;
  }

  /** Every message kept in the chat, oldest first (both directions; filter with `fromBot`). */
  async messages(filter: { fromBot?: boolean } = {}): Promise<SandboxMessage[]> {
    const { messages } = await this.transport.messagesPage(this.bot, this.chatId);
    return filter.fromBot === undefined ? messages : messages.filter((m) => m.fromBot === filter.fromBot);
  }

  /** The current state of one message. */
  async message(messageId: number): Promise<SandboxMessage> {
    const found = (await this.messages()).find((m) => m.messageId === messageId);
    if (found === undefined) throw new Error(`message #${messageId} is not (or no longer) kept in chat ${this.chatId}`);
    return found;
  }

  /** The next event matching `predicate` that no earlier wait took. */
  async waitForEvent(predicate: (event: ChatEvent) => boolean, options: WaitOptions = {}, what = 'event'): Promise<ChatEvent> {
    await this.ready();
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find((event) => !this.consumed.has(event.seq) && predicate(event));
      if (found !== undefined) {
        this.consumed.add(found.seq);
        return found;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        const seen = this.events.filter((e) => e.type === 'message' && e.message.fromBot).map((e) => describe((e as { message: SandboxMessage }).message));
        throw new SandboxTimeoutError(`no ${what} within ${timeoutMs} ms in chat ${this.chatId}; bot messages seen meanwhile: ${seen.length === 0 ? 'none' : seen.join(', ')}`);
      }
      await this.fetch(Math.min(remaining, POLL_SLICE_MS));
    }
  }

  /** The next message the bot sends (matching `predicate` when given). */
  async waitForMessage(predicate?: (message: SandboxMessage) => boolean, options: WaitOptions = {}): Promise<SandboxMessage> {
    const event = await this.waitForEvent(
      (e) => e.type === 'message' && e.message.fromBot && (predicate === undefined || predicate(e.message)),
      options,
      predicate === undefined ? 'message from the bot' : 'bot message matching the predicate',
    );
    return (event as { message: SandboxMessage }).message;
  }

  nextMessage(options: WaitOptions = {}): Promise<SandboxMessage> {
    return this.waitForMessage(undefined, options);
  }

  /** The next edit of a bot message (of `message` when given); resolves with the edited message. */
  async waitForEdit(message?: SandboxMessage | number, options: WaitOptions = {}): Promise<SandboxMessage> {
    const id = typeof message === 'object' ? message.messageId : message;
    const event = await this.waitForEvent((e) => e.type === 'edited' && (id === undefined || e.message.messageId === id), options, id === undefined ? 'edit' : `edit of message #${id}`);
    return (event as { message: SandboxMessage }).message;
  }

  /** Chat actions (typing, upload_photo, …) the bot sent since this view was created. */
  async chatActions(): Promise<Array<{ action: string; at: number }>> {
    await this.ready();
    await this.fetch(0);
    return this.events.flatMap((e) => (e.type === 'chat_action' ? [{ action: e.action, at: e.at }] : []));
  }

  /** Callback answers the bot gave since this view was created. */
  async callbackAnswers(): Promise<CallbackAnswer[]> {
    await this.ready();
    await this.fetch(0);
    return this.events.flatMap((e) => (e.type === 'callback_answer' ? [e.answer] : []));
  }

  /** The bytes of a photo or document (its `url`). */
  async download(file: SandboxFileView | string): Promise<Buffer> {
    return await this.transport.download(typeof file === 'string' ? file : file.url);
  }

  private async fetch(waitMs: number): Promise<void> {
    const page = await this.transport.events(this.bot, this.chatId, this.cursor ?? 0, waitMs);
    this.events.push(...page.events);
    this.cursor = page.cursor;
    if (this.events.length > MAX_BUFFERED_EVENTS) {
      const drop = this.events.length - MAX_BUFFERED_EVENTS;
      for (const event of this.events.splice(0, drop)) this.consumed.delete(event.seq);
    }
  }
}

/** A person talking to the bot in their private chat (`chatId` = their user id). */
export class SandboxUser extends SandboxChat {
  readonly id: number;
  readonly profile: SandboxUserProfile & { id: number };

  constructor(transport: SandboxTransport, bot: BotRef, profile: SandboxUserProfile & { id: number }, register: () => Promise<void>) {
    super(transport, bot, profile.id, profile.id, register);
    this.id = profile.id;
    this.profile = profile;
  }

  /** The user blocks the bot: its sends to this chat get 403 "bot was blocked by the user". */
  async block(): Promise<void> {
    await this.ready();
    await this.transport.setBlocked(this.bot, this.id, true);
  }

  async unblock(): Promise<void> {
    await this.ready();
    await this.transport.setBlocked(this.bot, this.id, false);
  }
}

/** A group chat with the bot; act in it as one of its members with `as(user)`. */
export class SandboxGroup {
  readonly id: number;
  readonly title: string;
  private readonly views = new Map<number, SandboxChat>();

  constructor(
    private readonly transport: SandboxTransport,
    readonly bot: BotRef,
    readonly chat: SandboxChatView,
  ) {
    this.id = chat.id;
    this.title = chat.title ?? '';
  }

  /** This group as seen by `user` (a member), for sending, pressing and waiting. */
  as(user: SandboxUser | number): SandboxChat {
    const id = typeof user === 'number' ? user : user.id;
    if (!this.chat.memberIds.includes(id)) throw new Error(`user ${id} is not a member of group ${this.id}`);
    let view = this.views.get(id);
    if (view === undefined) {
      view = new SandboxChat(this.transport, this.bot, this.id, id, async () => undefined);
      this.views.set(id, view);
    }
    return view;
  }

  async messages(filter: { fromBot?: boolean } = {}): Promise<SandboxMessage[]> {
    const { messages } = await this.transport.messagesPage(this.bot, this.id);
    return filter.fromBot === undefined ? messages : messages.filter((m) => m.fromBot === filter.fromBot);
  }
}

/** A bot named by token: only its id (before the colon) is sent anywhere. */
function botRefOf(bot: string | number): BotRef {
  if (typeof bot === 'number') return bot;
  const id = /^(\d+):/.exec(bot)?.[1];
  return id ?? bot.replace(/^@/, '');
}

/**
 * Plays users of a sandbox bot, over HTTP (`new SandboxUserClient(sandboxUrl, tokenOrUsername)`,
 * usable from another process) or in process (`sandbox.client()`, `sandbox.user()`).
 */
export class SandboxUserClient {
  readonly transport: SandboxTransport;
  readonly bot: BotRef;

  constructor(target: string | SandboxTransport, bot: string | number) {
    this.transport = typeof target === 'string' ? new HttpTransport(target) : target;
    this.bot = botRefOf(bot);
  }

  /**
   * A user of the bot. Without an id one is picked at random (registration happens with the
   * first action, so this works over HTTP without awaiting).
   */
  user(profile: SandboxUserProfile): SandboxUser {
    const withId = { ...profile, id: profile.id ?? randomInt(2_000_000_000, 2 ** 40) };
    let registered: Promise<void> | undefined;
    const register = () => (registered ??= this.transport.registerUser(withId).then(() => undefined));
    return new SandboxUser(this.transport, this.bot, withId, register);
  }

  /** A group with the bot and these members (users are registered first). */
  async group(input: { title: string; members: Array<SandboxUser | number>; type?: 'group' | 'supergroup' }): Promise<SandboxGroup> {
    for (const member of input.members) if (typeof member !== 'number') await this.transport.registerUser(member.profile);
    const memberIds = input.members.map((m) => (typeof m === 'number' ? m : m.id));
    const chat = await this.transport.createGroup(this.bot, { title: input.title, memberIds, ...(input.type ? { type: input.type } : {}) });
    return new SandboxGroup(this.transport, this.bot, chat);
  }
}
