import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { SandboxControl } from '../control';
import type { SandboxState } from '../state';
import type { WebhookDeliverer } from '../webhook';
import { registerBodyParsers } from './body';
import { registerBotApiRoutes } from './bot-api-routes';
import { registerControlRoutes } from './control-routes';

export interface SandboxAppDeps {
  state: SandboxState;
  control: SandboxControl;
  webhooks: WebhookDeliverer;
  logger: Logger;
}

/** The sandbox's HTTP app, built apart from `listen` (tests may `inject()` into it). */
export async function buildSandboxApp(deps: SandboxAppDeps): Promise<FastifyInstance> {
  const { state, logger } = deps;
  const maxFileBytes = Math.max(state.limits.maxDocumentBytes, state.limits.maxPhotoBytes);
  const app = Fastify({
    logger: false,
    // Room for base64 uploads on the user side (4/3 of the file) plus the rest of the body.
    bodyLimit: Math.ceil(maxFileBytes * 1.4) + 1024 * 1024,
    // stop() ends every long poll first; idle keep-alive sockets (grammY keeps some) are closed.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });
  await registerBodyParsers(app, { maxFileBytes, maxBodyBytes: Math.ceil(maxFileBytes * 1.4) + 1024 * 1024 });

  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    // Bot API paths carry the token: never log them as they are.
    if (status >= 500) logger.error({ err: error, url: request.url.replace(/\/bot[^/]*/, '/bot<token>') }, 'sandbox request failed');
    const message = status === 413 ? 'Request Entity Too Large' : status >= 500 ? 'Internal Server Error' : error.message;
    if (request.url.startsWith('/_sandbox/')) return reply.code(status).type('application/json').send(JSON.stringify({ error: message }));
    const description = status === 400 ? `Bad Request: ${message}` : message;
    return reply.code(status).type('application/json').send(JSON.stringify({ ok: false, error_code: status, description }));
  });
  app.setNotFoundHandler((request, reply) => {
    if (request.url.startsWith('/_sandbox/')) return reply.code(404).type('application/json').send(JSON.stringify({ error: `no route ${request.method} ${request.url.split('?')[0]}` }));
    return reply.code(404).type('application/json').send(JSON.stringify({ ok: false, error_code: 404, description: 'Not Found' }));
  });

  registerBotApiRoutes(app, { state, webhooks: deps.webhooks, logger });
  registerControlRoutes(app, deps.control, logger);
  return app;
}
