import type { FastifyInstance } from 'fastify';
import type { Tenancy } from '../../tenancy';
import { requireOperator, type AdminAuth } from '../plugins/auth';

export interface TenantRoutesDeps {
  auth: AdminAuth;
  tenancy: Tenancy;
  /** Turns an invite code into the link a person taps (t.me deep link, or the playground). */
  inviteLink(code: string): Promise<string>;
}

const plan = { type: 'string', enum: ['free', 'pro', 'enterprise'] } as const;
const role = { type: 'string', enum: ['tenant_admin', 'portfolio_manager', 'analyst', 'api_user'] } as const;
const errorReply = { type: 'object', properties: { error: { type: 'string' }, message: { type: 'string' } } } as const;
const security = [{ bearer: [] }];

/** Tenant onboarding for operators: the API calls the same tenancy facade as the bot. */
export async function tenantRoutes(app: FastifyInstance, deps: TenantRoutesDeps): Promise<void> {
  app.addHook('preHandler', requireOperator(deps.auth));

  app.post<{ Body: { name: string; plan: 'free' | 'pro' | 'enterprise' } }>(
    '/api/v1/tenants',
    {
      schema: {
        summary: 'Create a tenant (trading desk) and its first admin invite',
        tags: ['tenants'],
        security,
        body: {
          type: 'object',
          required: ['name', 'plan'],
          additionalProperties: false,
          properties: { name: { type: 'string', minLength: 1, maxLength: 100 }, plan },
        },
        response: {
          201: {
            type: 'object',
            properties: {
              id: { type: 'string', format: 'uuid' },
              name: { type: 'string' },
              plan,
              inviteCode: { type: 'string', description: 'Single-use code making the redeemer the tenant_admin' },
              inviteLink: { type: 'string' },
              inviteExpiresAt: { type: 'string', format: 'date-time' },
            },
          },
          400: errorReply,
          401: errorReply,
        },
      },
    },
    async (request, reply) => {
      const { tenant, invite } = await deps.tenancy.createTenant({ name: request.body.name, plan: request.body.plan, actor: `operator:${request.principal?.via ?? 'unknown'}` });
      return reply.status(201).send({
        id: tenant.id,
        name: tenant.name,
        plan: tenant.plan,
        inviteCode: invite.code,
        inviteLink: await deps.inviteLink(invite.code),
        inviteExpiresAt: invite.expiresAt.toISOString(),
      });
    },
  );

  app.get(
    '/api/v1/tenants',
    {
      schema: {
        summary: 'List tenants',
        tags: ['tenants'],
        security,
        response: {
          200: {
            type: 'object',
            properties: {
              tenants: {
                type: 'array',
                items: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, plan, status: { type: 'string' }, createdAt: { type: 'string', format: 'date-time' } } },
              },
            },
          },
        },
      },
    },
    async () => {
      const tenants = await deps.tenancy.listTenants();
      return { tenants: tenants.map((t) => ({ id: t.id, name: t.name, plan: t.plan, status: t.status, createdAt: t.createdAt.toISOString() })) };
    },
  );

  app.post<{ Params: { id: string }; Body: { role: 'tenant_admin' | 'portfolio_manager' | 'analyst' | 'api_user'; ttlHours?: number; maxUses?: number } }>(
    '/api/v1/tenants/:id/invites',
    {
      schema: {
        summary: 'Create an invite into a tenant with a role',
        tags: ['tenants'],
        security,
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } },
        body: {
          type: 'object',
          required: ['role'],
          additionalProperties: false,
          properties: { role, ttlHours: { type: 'integer', minimum: 1, maximum: 720 }, maxUses: { type: 'integer', minimum: 1, maximum: 1000 } },
        },
        response: {
          201: { type: 'object', properties: { code: { type: 'string' }, link: { type: 'string' }, role, expiresAt: { type: 'string', format: 'date-time' } } },
          400: errorReply,
          401: errorReply,
          404: errorReply,
        },
      },
    },
    async (request, reply) => {
      const invite = await deps.tenancy.createInvite({
        tenantId: request.params.id,
        role: request.body.role,
        actor: `operator:${request.principal?.via ?? 'unknown'}`,
        ...(request.body.ttlHours !== undefined ? { ttlHours: request.body.ttlHours } : {}),
        ...(request.body.maxUses !== undefined ? { maxUses: request.body.maxUses } : {}),
      });
      return reply.status(201).send({ code: invite.code, link: await deps.inviteLink(invite.code), role: invite.role, expiresAt: invite.expiresAt.toISOString() });
    },
  );

  app.post('/api/v1/auth/token', { schema: { summary: 'Exchange the operator API key for a 15-minute JWT', tags: ['auth'], security } }, async () => deps.auth.issueOperatorToken());
}
