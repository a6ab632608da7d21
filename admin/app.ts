import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import type { HealthReport, Logger, Metrics } from '../core';
import type { Tenancy } from '../tenancy';
import { registerErrorHandling } from './plugins/errors';
import { createAdminAuth } from './plugins/auth';
import { healthRoutes } from './routes/health';
import { tenantRoutes } from './routes/tenants';
import { webhookRoutes, type WebhookRoutesDeps } from './routes/webhook';
import { bridgeTokenRoutes } from './routes/bridge-tokens';
import type { BridgeTokens } from '../engine';
import { playgroundRoutes, type PlaygroundDeps } from './playground/routes';

export interface AdminDeps {
  logger: Logger;
  metrics: Metrics;
  tenancy: Tenancy;
  health(): Promise<HealthReport>;
  apiKey: string;
  masterKey: Buffer;
  inviteLink(code: string): Promise<string>;
  bridgeTokens: BridgeTokens;
  /** Disconnects a revoked bridge token's terminals (when the engine runs in this process). */
  onBridgeTokenRevoked?(tokenId: string): void;
  /** Present when the bot runs in webhook mode. */
  webhook?: WebhookRoutesDeps;
  /** Present when the local Telegram sandbox runs (no TELEGRAM_BOT_TOKEN). */
  playground?: PlaygroundDeps;
  version?: string;
}

/** The admin HTTP app, built apart from listen() so tests use inject(). */
export async function buildAdmin(deps: AdminDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger.child({ role: 'admin' }) as FastifyBaseLogger,
    // Per-request info lines would drown the log; failures are logged by the hooks below.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    // Telegram and operators retry; a slow client must not hold a socket forever.
    requestTimeout: 30_000,
  });
  registerErrorHandling(app);

  app.addHook('onResponse', async (request, reply) => {
    deps.metrics.httpRequests.inc({ route: request.routeOptions.url ?? 'unmatched', method: request.method, status: String(reply.statusCode) });
    if (reply.statusCode >= 500) request.log.warn({ url: request.url.split('?')[0], status: reply.statusCode }, 'request failed');
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'TradePilot admin API', version: deps.version ?? '0.1.0', description: 'Tenant onboarding and operations. Authenticate with `Authorization: Bearer <ADMIN_API_KEY or token>`.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });

  const auth = createAdminAuth({ apiKey: deps.apiKey, masterKey: deps.masterKey });
  await app.register(healthRoutes, { health: deps.health, metrics: deps.metrics });
  await app.register(tenantRoutes, { auth, tenancy: deps.tenancy, inviteLink: deps.inviteLink });
  await app.register(bridgeTokenRoutes, { auth, tenancy: deps.tenancy, tokens: deps.bridgeTokens, ...(deps.onBridgeTokenRevoked ? { onRevoked: deps.onBridgeTokenRevoked } : {}) });
  if (deps.webhook) await app.register(webhookRoutes, deps.webhook);
  if (deps.playground) await app.register(playgroundRoutes, deps.playground);

  app.get('/api/docs/json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
