import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../core';
import type { BridgeTokens } from '../../engine';
import type { Tenancy } from '../../tenancy';
import { requireOperator, type AdminAuth } from '../plugins/auth';

export interface BridgeTokenRoutesDeps {
  auth: AdminAuth;
  tenancy: Tenancy;
  tokens: BridgeTokens;
  /** Closes the sessions of a revoked token when the engine runs in this process. */
  onRevoked?(tokenId: string): void;
}

const errorReply = { type: 'object', properties: { error: { type: 'string' }, message: { type: 'string' } } } as const;
const security = [{ bearer: [] }];
const tokenView = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    createdBy: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    revokedAt: { type: 'string', format: 'date-time', nullable: true },
    lastUsedAt: { type: 'string', format: 'date-time', nullable: true },
  },
} as const;

/** MT5 bridge tokens: what a desk's Expert Advisor sends in `hello` (shown once, stored hashed). */
export async function bridgeTokenRoutes(app: FastifyInstance, deps: BridgeTokenRoutesDeps): Promise<void> {
  app.addHook('preHandler', requireOperator(deps.auth));
  const params = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' }, tokenId: { type: 'string', format: 'uuid' } } } as const;

  app.post<{ Params: { id: string }; Body: { name: string } }>(
    '/api/v1/tenants/:id/bridge-tokens',
    {
      schema: {
        summary: 'Issue an MT5 bridge token for a tenant (the token is returned once)',
        tags: ['mt5'],
        security,
        params,
        body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1, maxLength: 100 } } },
        response: { 201: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, token: { type: 'string' } } }, 400: errorReply, 401: errorReply, 404: errorReply },
      },
    },
    async (request, reply) => {
      const tenant = await deps.tenancy.getTenant(request.params.id);
      const issued = await deps.tokens.issue({ tenantId: tenant.id, name: request.body.name, actor: `operator:${request.principal?.via ?? 'unknown'}` });
      return reply.status(201).send({ id: issued.id, name: request.body.name.trim(), token: issued.token });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/tenants/:id/bridge-tokens',
    { schema: { summary: "List a tenant's MT5 bridge tokens (never the secret)", tags: ['mt5'], security, params, response: { 200: { type: 'object', properties: { tokens: { type: 'array', items: tokenView } } } } } },
    async (request) => {
      const tenant = await deps.tenancy.getTenant(request.params.id);
      const tokens = await deps.tokens.list(tenant.id);
      return {
        tokens: tokens.map((t) => ({ id: t.id, name: t.name, createdBy: t.createdBy, createdAt: t.createdAt.toISOString(), revokedAt: t.revokedAt?.toISOString() ?? null, lastUsedAt: t.lastUsedAt?.toISOString() ?? null })),
      };
    },
  );

  app.delete<{ Params: { id: string; tokenId: string } }>(
    '/api/v1/tenants/:id/bridge-tokens/:tokenId',
    { schema: { summary: 'Revoke an MT5 bridge token and disconnect its terminals', tags: ['mt5'], security, params, response: { 204: { type: 'null' }, 404: errorReply } } },
    async (request, reply) => {
      const tenant = await deps.tenancy.getTenant(request.params.id);
      const owned = (await deps.tokens.list(tenant.id)).some((t) => t.id === request.params.tokenId && t.revokedAt === null);
      if (!owned || !(await deps.tokens.revoke(request.params.tokenId))) throw new NotFoundError('bridge_token_unknown', 'no active bridge token with that id in this tenant');
      deps.onRevoked?.(request.params.tokenId);
      return reply.status(204).send();
    },
  );
}
