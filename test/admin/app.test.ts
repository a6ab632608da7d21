import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createLogger, createMetrics, type HealthReport } from '../../core';
import { buildAdmin } from '../../admin/app';
import { createTenancy } from '../../tenancy';
import { createBridgeTokens } from '../../engine';
import { postgresDriver, type FreshDatabase } from '../db/postgres/drivers';

const API_KEY = 'operator-test-key-0123456789';
const auth = { authorization: `Bearer ${API_KEY}` };

describe('admin HTTP API', () => {
  let database: FreshDatabase;
  let app: FastifyInstance;
  const revoked: string[] = [];
  let health: HealthReport = { status: 'ok', uptimeSeconds: 1, roles: { bot: { status: 'ok' } }, dependencies: { postgres: { status: 'ok' } } };

  beforeAll(async () => {
    database = await postgresDriver.openFresh();
    await database.handle.migrate();
    const logger = createLogger({ level: 'silent', pretty: false });
    app = await buildAdmin({
      logger,
      metrics: createMetrics({ defaultMetrics: false }),
      tenancy: createTenancy({ db: database.handle.db, logger }),
      health: async () => health,
      apiKey: API_KEY,
      masterKey: Buffer.alloc(32, 3),
      inviteLink: async (code) => `https://t.me/TradePilotBot?start=${code}`,
      bridgeTokens: createBridgeTokens(database.handle.db),
      onBridgeTokenRevoked: (id) => revoked.push(id),
    });
  });

  afterAll(async () => {
    await app?.close();
    await database?.cleanup();
  });

  it('creates a tenant for the operator and returns its first invite', async () => {
    const response = await app.inject({ method: 'POST', url: '/api/v1/tenants', headers: auth, payload: { name: 'Acme Desk', plan: 'pro' } });
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body).toMatchObject({ name: 'Acme Desk', plan: 'pro' });
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.inviteCode).toMatch(/^[A-Z0-9]{6,}$/);
    expect(body.inviteLink).toBe(`https://t.me/TradePilotBot?start=${body.inviteCode}`);
    expect(JSON.stringify(body)).not.toContain(API_KEY);

    const list = await app.inject({ method: 'GET', url: '/api/v1/tenants', headers: auth });
    expect(list.json().tenants.map((t: { name: string }) => t.name)).toContain('Acme Desk');
  });

  it('refuses callers without the operator key, and a wrong one, with 401', async () => {
    const none = await app.inject({ method: 'POST', url: '/api/v1/tenants', payload: { name: 'X', plan: 'free' } });
    expect(none.statusCode).toBe(401);
    expect(none.json().message).toMatch(/Authorization/);
    const wrong = await app.inject({ method: 'POST', url: '/api/v1/tenants', headers: { authorization: 'Bearer nope-nope-nope-nope' }, payload: { name: 'X', plan: 'free' } });
    expect(wrong.statusCode).toBe(401);
  });

  it('names the field that is wrong in a bad body, and refuses malformed JSON', async () => {
    const plan = await app.inject({ method: 'POST', url: '/api/v1/tenants', headers: auth, payload: { name: 'X', plan: 'gold' } });
    expect(plan.statusCode).toBe(400);
    expect(plan.json().message).toMatch(/plan must be one of free, pro, enterprise/);
    const missing = await app.inject({ method: 'POST', url: '/api/v1/tenants', headers: auth, payload: { plan: 'free' } });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().message).toMatch(/name/);
    const malformed = await app.inject({ method: 'POST', url: '/api/v1/tenants', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"name": "X", "plan": ' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toEqual({ error: 'invalid_json', message: 'request body is not valid JSON' });
    const blank = await app.inject({ method: 'POST', url: '/api/v1/tenants', headers: auth, payload: { name: '   ', plan: 'free' } });
    expect(blank.statusCode).toBe(400);
  });

  it('creates role invites for an existing tenant and 404s an unknown one', async () => {
    const created = (await app.inject({ method: 'POST', url: '/api/v1/tenants', headers: auth, payload: { name: 'Beta Desk', plan: 'free' } })).json();
    const invite = await app.inject({ method: 'POST', url: `/api/v1/tenants/${created.id}/invites`, headers: auth, payload: { role: 'analyst' } });
    expect(invite.statusCode).toBe(201);
    expect(invite.json()).toMatchObject({ role: 'analyst' });
    expect(invite.json().link).toContain(invite.json().code);
    const unknown = await app.inject({ method: 'POST', url: '/api/v1/tenants/00000000-0000-4000-8000-000000000000/invites', headers: auth, payload: { role: 'analyst' } });
    expect(unknown.statusCode).toBe(404);
    const badRole = await app.inject({ method: 'POST', url: `/api/v1/tenants/${created.id}/invites`, headers: auth, payload: { role: 'owner' } });
    expect(badRole.statusCode).toBe(400);
    expect(badRole.json().message).toMatch(/role must be one of/);
  });

  it('issues a short-lived JWT for the operator key that the API accepts', async () => {
    const issued = await app.inject({ method: 'POST', url: '/api/v1/auth/token', headers: auth });
    expect(issued.statusCode).toBe(200);
    const { token, expiresIn } = issued.json();
    expect(expiresIn).toBe(900);
    const list = await app.inject({ method: 'GET', url: '/api/v1/tenants', headers: { authorization: `Bearer ${token}` } });
    expect(list.statusCode).toBe(200);
    const tampered = await app.inject({ method: 'GET', url: '/api/v1/tenants', headers: { authorization: `Bearer ${token.slice(0, -2)}xx` } });
    expect(tampered.statusCode).toBe(401);
  });

  it('reports health as 200 when ok and 503 when degraded', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    health = { ...health, status: 'degraded', dependencies: { postgres: { status: 'down', detail: 'postgres is not answering' } } };
    const degraded = await app.inject({ method: 'GET', url: '/healthz' });
    expect(degraded.statusCode).toBe(503);
    expect(degraded.json().dependencies.postgres.status).toBe('down');
    health = { ...health, status: 'ok' };
  });

  it('serves Prometheus metrics and an OpenAPI document listing the tenant routes', async () => {
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers['content-type']).toMatch(/text\/plain/);
    expect(metrics.body).toMatch(/tradepilot_http_requests_total\{route="\/api\/v1\/tenants",method="POST",status="201"\} \d+/);
    const docs = (await app.inject({ method: 'GET', url: '/api/docs/json' })).json();
    expect(docs.openapi).toMatch(/^3\./);
    expect(Object.keys(docs.paths)).toEqual(expect.arrayContaining(['/api/v1/tenants', '/api/v1/tenants/{id}/invites', '/healthz']));
  });

  it('issues an MT5 bridge token once, lists it without the secret, and revokes it', async () => {
    const tenant = (await app.inject({ method: 'POST', url: '/api/v1/tenants', headers: auth, payload: { name: 'MT5 Desk', plan: 'pro' } })).json();
    const issued = await app.inject({ method: 'POST', url: `/api/v1/tenants/${tenant.id}/bridge-tokens`, headers: auth, payload: { name: 'London terminal' } });
    expect(issued.statusCode).toBe(201);
    const { id, token } = issued.json();
    expect(token).toMatch(/^tpb_[A-Za-z0-9_-]{43}$/);
    const tokens = createBridgeTokens(database.handle.db);
    expect(await tokens.verify(token)).toMatchObject({ tenantId: tenant.id, tokenId: id });

    const list = await app.inject({ method: 'GET', url: `/api/v1/tenants/${tenant.id}/bridge-tokens`, headers: auth });
    expect(list.json().tokens).toEqual([expect.objectContaining({ id, name: 'London terminal', revokedAt: null })]);
    expect(list.body).not.toContain(token);

    const other = (await app.inject({ method: 'POST', url: '/api/v1/tenants', headers: auth, payload: { name: 'Other Desk', plan: 'free' } })).json();
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/tenants/${other.id}/bridge-tokens/${id}`, headers: auth })).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/tenants/${tenant.id}/bridge-tokens/${id}`, headers: auth })).statusCode).toBe(204);
    expect(revoked).toEqual([id]);
    expect(await tokens.verify(token)).toBeNull();
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/tenants/${tenant.id}/bridge-tokens/${id}`, headers: auth })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: `/api/v1/tenants/${tenant.id}/bridge-tokens`, payload: { name: 'x' } })).statusCode).toBe(401);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const response = await app.inject({ method: 'GET', url: '/nope' });
    expect(response.statusCode).toBe(404);
    expect(response.json().error).toBe('not_found');
  });
});
