import type { FastifyInstance, FastifyReply } from 'fastify';
import { SandboxControlError, type TelegramSandbox } from '../../bot/sandbox';
import type { ChatEvent, SandboxMessage } from '../../bot/sandbox';
import { playgroundPage } from './page';

export interface PlaygroundDeps {
  sandbox: TelegramSandbox;
  botUsername: string;
}

/**
 * The browser playground: a person chats with the bot through the local Telegram sandbox.
 * Only the user-side operations the page needs are exposed (never the sandbox's bot
 * creation, which would hand out tokens), always as the private chat of the caller's user.
 */
export async function playgroundRoutes(app: FastifyInstance, deps: PlaygroundDeps): Promise<void> {
  const control = deps.sandbox.control;
  const bot = deps.botUsername;

  const fileUrl = (fileId: string) => `/playground/api/files/${encodeURIComponent(fileId)}`;
  const forBrowser = (message: SandboxMessage) => ({
    messageId: message.messageId,
    fromBot: message.fromBot,
    date: message.date,
    html: message.html,
    edited: message.edited,
    deleted: message.deleted,
    replyMarkup: message.replyMarkup,
    photo: message.photo ? { url: fileUrl(message.photo.fileId), width: message.photo.width, height: message.photo.height } : undefined,
    document: message.document ? { url: fileUrl(message.document.fileId), fileName: message.document.fileName ?? 'document', size: message.document.fileSize } : undefined,
  });
  const eventForBrowser = (event: ChatEvent) => {
    switch (event.type) {
      case 'message':
      case 'edited':
      case 'deleted':
        return { seq: event.seq, type: event.type, message: forBrowser(event.message) };
      case 'chat_action':
        return { seq: event.seq, type: event.type, action: event.action };
      case 'callback_answer':
        return { seq: event.seq, type: event.type, text: event.answer.text, showAlert: event.answer.showAlert };
    }
  };
  const sandboxError = (reply: FastifyReply, error: unknown) => {
    if (error instanceof SandboxControlError) return reply.status(error.status).send({ error: 'sandbox', message: error.message });
    throw error;
  };
  const userId = { type: 'integer', minimum: 1, maximum: 2 ** 52 } as const;

  app.get('/playground', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(playgroundPage(bot)));

  app.post<{ Body: { id: number; firstName: string; username?: string } }>(
    '/playground/api/session',
    {
      schema: {
        hide: true,
        body: { type: 'object', required: ['id', 'firstName'], additionalProperties: false, properties: { id: userId, firstName: { type: 'string', minLength: 1, maxLength: 64 }, username: { type: 'string', pattern: '^[A-Za-z0-9_]{0,32}$' } } },
      },
    },
    async (request, reply) => {
      try {
        const user = control.registerUser({ id: request.body.id, firstName: request.body.firstName, ...(request.body.username ? { username: request.body.username } : {}) });
        const page = control.messagesPage(bot, user.id);
        return { user: { id: user.id, firstName: user.firstName }, bot, messages: page.messages.map(forBrowser), cursor: page.cursor };
      } catch (error) {
        return sandboxError(reply, error);
      }
    },
  );

  app.post<{ Params: { chatId: number }; Body: { text: string } }>(
    '/playground/api/chats/:chatId/messages',
    { schema: { hide: true, params: { type: 'object', properties: { chatId: userId } }, body: { type: 'object', required: ['text'], properties: { text: { type: 'string', minLength: 1, maxLength: 4096 } } } } },
    async (request, reply) => {
      try {
        const message = control.sendMessage(bot, request.params.chatId, { from: request.params.chatId, text: request.body.text });
        return { message: forBrowser(message) };
      } catch (error) {
        return sandboxError(reply, error);
      }
    },
  );

  app.post<{ Params: { chatId: number; messageId: number }; Body: { button: string } }>(
    '/playground/api/chats/:chatId/messages/:messageId/press',
    {
      schema: {
        hide: true,
        params: { type: 'object', properties: { chatId: userId, messageId: { type: 'integer', minimum: 1 } } },
        body: { type: 'object', required: ['button'], properties: { button: { type: 'string', minLength: 1, maxLength: 64 } } },
      },
    },
    async (request, reply) => {
      try {
        const answer = control.pressButton(bot, request.params.chatId, request.params.messageId, { from: request.params.chatId, button: request.body.button });
        return { pressed: true, callbackQueryId: answer.callbackQueryId };
      } catch (error) {
        return sandboxError(reply, error);
      }
    },
  );

  app.get<{ Params: { chatId: number }; Querystring: { since?: number; waitMs?: number } }>(
    '/playground/api/chats/:chatId/events',
    {
      schema: {
        hide: true,
        params: { type: 'object', properties: { chatId: userId } },
        querystring: { type: 'object', properties: { since: { type: 'integer', minimum: 0 }, waitMs: { type: 'integer', minimum: 0, maximum: 25_000 } } },
      },
    },
    async (request, reply) => {
      const abort = new AbortController();
      request.raw.once('close', () => abort.abort());
      try {
        const page = await control.events(bot, request.params.chatId, request.query.since ?? 0, request.query.waitMs ?? 20_000, abort.signal);
        return { events: page.events.map(eventForBrowser), cursor: page.cursor, missed: page.missed };
      } catch (error) {
        return sandboxError(reply, error);
      }
    },
  );

  app.get<{ Params: { fileId: string } }>('/playground/api/files/:fileId', { schema: { hide: true } }, async (request, reply) => {
    try {
      const file = control.file(request.params.fileId);
      const disposition = file.fileName ? `inline; filename="${file.fileName.replace(/[^\w.-]/g, '_')}"` : 'inline';
      return reply.type(file.mimeType).header('content-disposition', disposition).send(file.data);
    } catch (error) {
      return sandboxError(reply, error);
    }
  });
}
