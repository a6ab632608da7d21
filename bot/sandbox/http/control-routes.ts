/**
 * The user side of the sandbox over HTTP (JSON), for tests in another process and for the
 * browser playground. Not part of Telegram's API. `:bot` is a bot id or username;
 * `:chatId` is a user id for the private chat with that user, or a (negative) group id.
 * Errors: HTTP status + `{"error":"<sentence>"}`. Long polls take `waitMs` (≤ 60000).
 *
 *   GET  /_sandbox/bots
 *        → {"bots":[{"id","username","firstName"}]}
 *   POST /_sandbox/bots                      {"username","firstName"?,"token"?,"canReadAllGroupMessages"?}
 *        → {"id","username","firstName","token"}
 *   GET  /_sandbox/bots/:bot                 → {"id","username","firstName","user":<Telegram User>}
 *   POST /_sandbox/users                     {"id"?,"firstName","lastName"?,"username"?,"languageCode"?}
 *        → {"user":{"id","firstName",…}}     (registers a user, or updates a known id)
 *   GET  /_sandbox/bots/:bot/chats           → {"chats":[SandboxChatView]}
 *   POST /_sandbox/bots/:bot/groups          {"title","memberIds":[userId…],"type"?:"group"|"supergroup"}
 *        → {"chat":SandboxChatView}
 *   GET  /_sandbox/bots/:bot/chats/:chatId/messages
 *        → {"messages":[SandboxMessage],"cursor"}  (all kept messages, oldest first; cursor for /events)
 *   POST /_sandbox/bots/:bot/chats/:chatId/messages
 *        JSON {"from":userId,"text","replyToMessageId"?}
 *          or {"from","photo"|"document":{"fileName","mimeType"?,"base64"},"caption"?}
 *        or multipart/form-data: fields from, text|caption, replyToMessageId; a file part named photo or document
 *        → {"message":SandboxMessage}
 *   POST /_sandbox/bots/:bot/chats/:chatId/messages/:messageId/press
 *        {"from":userId,"button":"<callback_data or button text>","waitMs"?}
 *        → {"answer":CallbackAnswer}          (with waitMs, after the bot answered or the wait ran out)
 *   GET  /_sandbox/bots/:bot/callback-queries/:id?waitMs=  → {"answer":CallbackAnswer}
 *   GET  /_sandbox/bots/:bot/chats/:chatId/events?since=<cursor>&waitMs=
 *        → {"events":[ChatEvent],"cursor","missed"}  (returns at once when events after `since`
 *          exist, else waits up to waitMs; events: message, edited, deleted, chat_action, callback_answer)
 *   POST /_sandbox/bots/:bot/users/:userId/block  {"blocked":true|false} → {"blocked"}
 *   GET  /_sandbox/files/:fileId             → the file's bytes (Content-Type, inline Content-Disposition)
 *
 * Shapes (SandboxMessage, ChatEvent, CallbackAnswer, SandboxChatView): bot/sandbox/types.ts.
 * A SandboxMessage has text|caption, entities, html (safe to insert), replyMarkup,
 * photo|document with a `url` to GET, edited/editDate/history, deleted, and `telegram`
 * (the Bot API Message).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { SandboxControl, SendAsUserInput } from '../control';
import { SandboxControlError } from '../errors';
import type { Params } from '../params';
import type { UserUpload } from '../types';
import { BodyError, readParams } from './body';

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, string | undefined> }>;

function fail(status: number, message: string): never {
  throw new SandboxControlError(status, message);
}

function intParam(value: string | number | undefined, name: string): number {
  const number = typeof value === 'number' ? value : Number(value);
  if (value === undefined || value === '' || !Number.isSafeInteger(number)) fail(400, `${name} must be an integer, got ${JSON.stringify(value ?? null)}`);
  return number;
}

function optionalInt(value: string | number | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? Math.trunc(number) : undefined;
}

function jsonUpload(raw: unknown, kind: string): UserUpload | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object') fail(400, `${kind} must be {"fileName","mimeType"?,"base64"}`);
  const { fileName, mimeType, base64 } = raw as { fileName?: unknown; mimeType?: unknown; base64?: unknown };
  if (typeof base64 !== 'string' || base64 === '') fail(400, `${kind}.base64 is required`);
  const upload: UserUpload = { fileName: typeof fileName === 'string' && fileName !== '' ? fileName : kind, data: Buffer.from(base64, 'base64') };
  if (typeof mimeType === 'string') upload.mimeType = mimeType;
  return upload;
}

/** A user's message from JSON or multipart parameters. */
function sendInput(params: Params): SendAsUserInput {
  const input: SendAsUserInput = { from: intParam(params.string('from'), 'from') };
  const text = params.string('text');
  const caption = params.string('caption');
  const replyTo = optionalInt(params.string('replyToMessageId'));
  if (text !== undefined) input.text = text;
  if (caption !== undefined) input.caption = caption;
  if (replyTo !== undefined) input.replyToMessageId = replyTo;
  for (const kind of ['photo', 'document'] as const) {
    const file = params.attachment(kind);
    const upload = file !== undefined ? { fileName: file.fileName, mimeType: file.mimeType, data: file.data } : jsonUpload(params.raw(kind), kind);
    if (upload !== undefined) input[kind] = upload;
  }
  return input;
}

function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `inline; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export function registerControlRoutes(app: FastifyInstance, control: SandboxControl, logger: Logger): void {
  /** Wraps a handler: JSON out, SandboxControlError → its status, anything else → 500 + log. */
  const route =
    (handler: (request: Req, signal: AbortSignal) => unknown) =>
    async (request: Req, reply: FastifyReply): Promise<FastifyReply> => {
      const gone = new AbortController();
      reply.raw.on('close', () => {
        if (!reply.raw.writableFinished) gone.abort();
      });
      try {
        const result = await handler(request, gone.signal);
        return reply.code(200).type('application/json').send(JSON.stringify(result));
      } catch (error) {
        if (error instanceof SandboxControlError || error instanceof BodyError) {
          const status = error instanceof SandboxControlError ? error.status : error.statusCode;
          return reply.code(status).type('application/json').send(JSON.stringify({ error: error.message }));
        }
        logger.error({ err: error, url: request.url }, 'sandbox control route failed');
        return reply.code(500).type('application/json').send(JSON.stringify({ error: 'the sandbox failed; see its log' }));
      }
    };

  const body = (request: Req): Record<string, unknown> => {
    const value = request.body;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  };
  const optionalString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

  app.get('/_sandbox/bots', route(() => ({ bots: control.listBots() })));
  app.post(
    '/_sandbox/bots',
    route((request) => {
      const input = body(request);
      return control.createBot({
        username: String(input.username ?? ''),
        ...(optionalString(input.firstName) !== undefined ? { firstName: optionalString(input.firstName)! } : {}),
        ...(optionalString(input.token) !== undefined ? { token: optionalString(input.token)! } : {}),
        ...(input.canReadAllGroupMessages === true ? { canReadAllGroupMessages: true } : {}),
      });
    }),
  );
  app.get('/_sandbox/bots/:bot', route((request) => control.botInfo(request.params.bot!)));
  app.post(
    '/_sandbox/users',
    route((request) => {
      const input = body(request);
      const profile = {
        firstName: String(input.firstName ?? ''),
        ...(input.id !== undefined ? { id: intParam(input.id as number, 'id') } : {}),
        ...(optionalString(input.lastName) ? { lastName: optionalString(input.lastName)! } : {}),
        ...(optionalString(input.username) ? { username: optionalString(input.username)! } : {}),
        ...(optionalString(input.languageCode) ? { languageCode: optionalString(input.languageCode)! } : {}),
      };
      return { user: control.registerUser(profile) };
    }),
  );
  app.get('/_sandbox/bots/:bot/chats', route((request) => ({ chats: control.listChats(request.params.bot!) })));
  app.post(
    '/_sandbox/bots/:bot/groups',
    route((request) => {
      const input = body(request);
      const type = input.type === 'supergroup' ? 'supergroup' : input.type === undefined || input.type === 'group' ? 'group' : fail(400, 'type must be "group" or "supergroup"');
      return { chat: control.createGroup(request.params.bot!, { title: String(input.title ?? ''), memberIds: input.memberIds as number[], type }) };
    }),
  );
  app.get(
    '/_sandbox/bots/:bot/chats/:chatId/messages',
    route((request) => control.messagesPage(request.params.bot!, intParam(request.params.chatId, 'chatId'))),
  );
  app.post(
    '/_sandbox/bots/:bot/chats/:chatId/messages',
    route(async (request) => {
      const params = await readParams(request);
      return { message: control.sendMessage(request.params.bot!, intParam(request.params.chatId, 'chatId'), sendInput(params)) };
    }),
  );
  app.post(
    '/_sandbox/bots/:bot/chats/:chatId/messages/:messageId/press',
    route(async (request, signal) => {
      const input = body(request);
      const bot = request.params.bot!;
      const button = input.button;
      if (typeof button !== 'string' || button === '') fail(400, 'button (callback_data or button text) is required');
      const pressed = control.pressButton(bot, intParam(request.params.chatId, 'chatId'), intParam(request.params.messageId, 'messageId'), {
        from: intParam(input.from as number, 'from'),
        button,
      });
      const waitMs = optionalInt(input.waitMs as number | undefined) ?? 0;
      return { answer: waitMs > 0 ? await control.callbackAnswer(bot, pressed.callbackQueryId, waitMs, signal) : pressed };
    }),
  );
  app.get(
    '/_sandbox/bots/:bot/callback-queries/:id',
    route(async (request, signal) => ({
      answer: await control.callbackAnswer(request.params.bot!, request.params.id!, optionalInt(request.query.waitMs) ?? 0, signal),
    })),
  );
  app.get(
    '/_sandbox/bots/:bot/chats/:chatId/events',
    route((request, signal) =>
      control.events(request.params.bot!, intParam(request.params.chatId, 'chatId'), optionalInt(request.query.since) ?? 0, optionalInt(request.query.waitMs) ?? 0, signal),
    ),
  );
  app.post(
    '/_sandbox/bots/:bot/users/:userId/block',
    route((request) => {
      const blocked = body(request).blocked !== false;
      control.setBlocked(request.params.bot!, intParam(request.params.userId, 'userId'), blocked);
      return { blocked };
    }),
  );
  app.get('/_sandbox/files/:fileId', async (request: Req, reply: FastifyReply) => {
    try {
      const file = control.file(request.params.fileId!);
      const name = file.fileName ?? file.filePath.split('/').at(-1) ?? 'file';
      return reply.code(200).type(file.mimeType).header('content-disposition', contentDisposition(name)).header('content-length', file.data.length).send(file.data);
    } catch (error) {
      if (error instanceof SandboxControlError) return reply.code(error.status).type('application/json').send(JSON.stringify({ error: error.message }));
      throw error;
    }
  });
}
