import type { FastifyInstance } from 'fastify';
import { safeEqual } from '../../core';

export interface WebhookRoutesDeps {
  secret: string;
  /** Accepts one update; resolves once it is safely queued or handled. */
  accept(update: { update_id: number } & Record<string, unknown>): Promise<void>;
}

/**
 * Telegram webhook intake. Telegram sends the secret given to setWebhook in
 * X-Telegram-Bot-Api-Secret-Token; anything without it is refused before the body is used.
 * A non-2xx answer makes Telegram retry, so a failure to accept is reported as 503.
 */
export async function webhookRoutes(app: FastifyInstance, deps: WebhookRoutesDeps): Promise<void> {
  app.post<{ Body: { update_id: number } & Record<string, unknown> }>(
    '/telegram/webhook',
    {
      schema: {
        hide: true,
        body: { type: 'object', required: ['update_id'], properties: { update_id: { type: 'integer', minimum: 0 } } },
      },
      preValidation: async (request, reply) => {
        const given = request.headers['x-telegram-bot-api-secret-token'];
        if (typeof given !== 'string' || !safeEqual(given, deps.secret)) {
          return reply.status(401).send({ error: 'unauthorized', message: 'missing or wrong X-Telegram-Bot-Api-Secret-Token' });
        }
      },
    },
    async (request, reply) => {
      await deps.accept(request.body);
      return reply.status(200).send({ ok: true });
    },
  );
}
