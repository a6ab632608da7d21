import type { BotRef, SandboxControl, SendAsUserInput } from '../control';
import { SandboxControlError } from '../errors';
import type { CallbackAnswer, ChatEventsPage, SandboxChatView, SandboxMessage, SandboxUserProfile, UserUpload } from '../types';

/**
 * How a `SandboxUserClient` reaches a sandbox: over HTTP (`/_sandbox/...`, works from another
 * process) or directly in process. Both give the same data and throw `SandboxControlError`.
 */
export interface SandboxTransport {
  registerUser(profile: SandboxUserProfile): Promise<SandboxUserProfile & { id: number }>;
  createGroup(bot: BotRef, input: { title: string; memberIds: number[]; type?: 'group' | 'supergroup' }): Promise<SandboxChatView>;
  sendMessage(bot: BotRef, chatId: number, input: SendAsUserInput): Promise<SandboxMessage>;
  pressButton(bot: BotRef, chatId: number, messageId: number, input: { from: number; button: string }): Promise<CallbackAnswer>;
  callbackAnswer(bot: BotRef, callbackQueryId: string, waitMs: number): Promise<CallbackAnswer>;
  messagesPage(bot: BotRef, chatId: number): Promise<{ messages: SandboxMessage[]; cursor: number }>;
  events(bot: BotRef, chatId: number, since: number, waitMs: number): Promise<ChatEventsPage>;
  setBlocked(bot: BotRef, userId: number, blocked: boolean): Promise<void>;
  /** Bytes of a file by its user-side URL (`/_sandbox/files/<file_id>`). */
  download(url: string): Promise<Buffer>;
}

/** Calls the sandbox's facade directly; results are copied so callers cannot alter its state. */
export class InProcessTransport implements SandboxTransport {
  constructor(private readonly control: SandboxControl) {}

  async registerUser(profile: SandboxUserProfile) {
    return structuredClone(this.control.registerUser(profile));
  }

  async createGroup(bot: BotRef, input: { title: string; memberIds: number[]; type?: 'group' | 'supergroup' }) {
    return structuredClone(this.control.createGroup(bot, input));
  }

  async sendMessage(bot: BotRef, chatId: number, input: SendAsUserInput) {
    return structuredClone(this.control.sendMessage(bot, chatId, input));
  }

  async pressButton(bot: BotRef, chatId: number, messageId: number, input: { from: number; button: string }) {
    return structuredClone(this.control.pressButton(bot, chatId, messageId, input));
  }

  async callbackAnswer(bot: BotRef, callbackQueryId: string, waitMs: number) {
    return structuredClone(await this.control.callbackAnswer(bot, callbackQueryId, waitMs));
  }

  async messagesPage(bot: BotRef, chatId: number) {
    return structuredClone(this.control.messagesPage(bot, chatId));
  }

  async events(bot: BotRef, chatId: number, since: number, waitMs: number) {
    return structuredClone(await this.control.events(bot, chatId, since, waitMs));
  }

  async setBlocked(bot: BotRef, userId: number, blocked: boolean) {
    this.control.setBlocked(bot, userId, blocked);
  }

  async download(url: string) {
    const fileId = decodeURIComponent(url.replace(/^.*\/_sandbox\/files\//, ''));
    return Buffer.from(this.control.file(fileId).data);
  }
}

function toBase64(upload: UserUpload | undefined) {
  if (upload === undefined) return undefined;
  return { fileName: upload.fileName, base64: Buffer.from(upload.data).toString('base64'), ...(upload.mimeType ? { mimeType: upload.mimeType } : {}) };
}

/** Talks to `/_sandbox/...` of a sandbox at `baseUrl` (its apiRoot). */
export class HttpTransport implements SandboxTransport {
  private readonly baseUrl: string;

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  private async request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.headers = { 'content-type': 'application/json' };
      init.body = JSON.stringify(body);
    }
    const response = await fetch(`${this.baseUrl}${path}`, init);
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? {} : JSON.parse(text);
    } catch {
      throw new SandboxControlError(response.status, `the sandbox answered ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
    if (!response.ok) {
      const message = (parsed as { error?: unknown }).error;
      throw new SandboxControlError(response.status, typeof message === 'string' ? message : `the sandbox answered ${response.status}`);
    }
    return parsed as T;
  }

  private chatPath(bot: BotRef, chatId: number): string {
    return `/_sandbox/bots/${encodeURIComponent(String(bot))}/chats/${chatId}`;
  }

  async registerUser(profile: SandboxUserProfile) {
    return (await this.request<{ user: SandboxUserProfile & { id: number } }>('POST', '/_sandbox/users', profile)).user;
  }

  async createGroup(bot: BotRef, input: { title: string; memberIds: number[]; type?: 'group' | 'supergroup' }) {
    return (await this.request<{ chat: SandboxChatView }>('POST', `/_sandbox/bots/${encodeURIComponent(String(bot))}/groups`, input)).chat;
  }

  async sendMessage(bot: BotRef, chatId: number, input: SendAsUserInput) {
    const body = { ...input, photo: toBase64(input.photo), document: toBase64(input.document) };
    return (await this.request<{ message: SandboxMessage }>('POST', `${this.chatPath(bot, chatId)}/messages`, body)).message;
  }

  async pressButton(bot: BotRef, chatId: number, messageId: number, input: { from: number; button: string }) {
    return (await this.request<{ answer: CallbackAnswer }>('POST', `${this.chatPath(bot, chatId)}/messages/${messageId}/press`, input)).answer;
  }

  async callbackAnswer(bot: BotRef, callbackQueryId: string, waitMs: number) {
    const path = `/_sandbox/bots/${encodeURIComponent(String(bot))}/callback-queries/${encodeURIComponent(callbackQueryId)}?waitMs=${waitMs}`;
    return (await this.request<{ answer: CallbackAnswer }>('GET', path)).answer;
  }

  async messagesPage(bot: BotRef, chatId: number) {
    return await this.request<{ messages: SandboxMessage[]; cursor: number }>('GET', `${this.chatPath(bot, chatId)}/messages`);
  }

  async events(bot: BotRef, chatId: number, since: number, waitMs: number) {
    return await this.request<ChatEventsPage>('GET', `${this.chatPath(bot, chatId)}/events?since=${since}&waitMs=${waitMs}`);
  }

  async setBlocked(bot: BotRef, userId: number, blocked: boolean) {
    await this.request('POST', `/_sandbox/bots/${encodeURIComponent(String(bot))}/users/${userId}/block`, { blocked });
  }

  async download(url: string) {
    const response = await fetch(/^https?:\/\//.test(url) ? url : `${this.baseUrl}${url}`);
    if (!response.ok) throw new SandboxControlError(response.status, `download of ${url} failed with ${response.status}`);
    return Buffer.from(await response.arrayBuffer());
  }
}
