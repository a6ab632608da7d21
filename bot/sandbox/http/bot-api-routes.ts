import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { BotApiError, notFound, unauthorized } from '../errors';
import { callMethod, Described } from '../methods';
import { Params } from '../params';
import type { BotRecord, SandboxState } from '../state';
import type { WebhookDeliverer } from '../webhook';
import { BodyError, readParams } from './body';

/**
 * The Bot API over HTTP, as api.telegram.org serves it:
 *   GET|POST /bot<token>/<method>        → {"ok":true,"result":…} | {"ok":false,"error_code":…,"description":…}
 *   GET      /file/bot<token>/<file_path> → the file's bytes
 * Method names are case-insensitive; an unknown token is 401 "Unauthorized", an unknown
 * method or path 404 "Not Found".
 */
export interface BotApiDeps {
  state: SandboxState;
  webhooks: WebhookDeliverer;
  logger: Logger;
}

function sendError(reply: FastifyReply, error: BotApiError): FastifyReply {
  return reply.code(error.errorCode).type('application/json').send(JSON.stringify(error.toJSON()));
}

function sendResult(reply: FastifyReply, value: unknown): FastifyReply {
  const body = value instanceof Described ? { ok: true, result: value.result, description: value.description } : { ok: true, result: value };
  return reply.code(200).type('application/json').send(JSON.stringify(body));
}

/** Runs a method as `bot`; shared by HTTP calls and webhook replies. */
export async function runMethod(deps: BotApiDeps, bot: BotRecord, method: string, params: Params, signal: AbortSignal): Promise<unknown> {
  return await callMethod(method, { state: deps.state, bot, params, signal, webhooks: deps.webhooks });
}

export function registerBotApiRoutes(app: FastifyInstance, deps: BotApiDeps): void {
  const { state, logger } = deps;

  const handle = async (request: FastifyRequest<{ Params: { botPath: string; method: string } }>, reply: FastifyReply) => {
    const { botPath, method } = request.params;
    if (!botPath.startsWith('bot')) return sendError(reply, notFound());
    const bot = state.botByToken(botPath.slice(3));
    if (bot === undefined) return sendError(reply, unauthorized());
    const started = performance.now();
    // A client that goes away (grammY aborting a long poll in bot.stop()) ends the wait.
    const gone = new AbortController();
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) gone.abort();
    });
    try {
      const params = await readParams(request);
      const result = await runMethod(deps, bot, method, params, gone.signal);
      logger.debug({ botId: bot.id, method, ms: Math.round(performance.now() - started) }, 'bot api call');
      return sendResult(reply, result);
    } catch (error) {
      if (error instanceof BodyError) {
        return sendError(reply, new BotApiError(error.statusCode, error.statusCode === 413 ? error.message : `Bad Request: ${error.message}`));
      }
      if (error instanceof BotApiError) {
        logger.debug({ botId: bot.id, method, errorCode: error.errorCode, description: error.description }, 'bot api call refused');
        return sendError(reply, error);
      }
      logger.error({ err: error, botId: bot.id, method }, 'sandbox bot api method failed');
      return sendError(reply, new BotApiError(500, 'Internal Server Error: the sandbox failed; see its log'));
    }
  };
  app.route({ method: ['GET', 'POST'], url: '/:botPath/:method', handler: handle });

  app.get('/file/:botPath/*', async (request: FastifyRequest<{ Params: { botPath: string; '*': string } }>, reply) => {
    const { botPath } = request.params;
    const bot = botPath.startsWith('bot') ? state.botByToken(botPath.slice(3)) : undefined;
    if (bot === undefined) return sendError(reply, unauthorized());
    const file = state.files.byPathFor(bot.id, request.params['*']);
    if (file === undefined) return sendError(reply, notFound());
    return reply.code(200).type(file.mimeType).header('content-length', file.data.length).send(file.data);
  });
}

/** Parameters of a webhook reply: the body minus its `method` field. */
export function webhookReplyParams(body: Record<string, unknown>): { method: string; params: Params } {
  const { method, ...rest } = body;
  return { method: String(method), params: new Params(rest) };
}
