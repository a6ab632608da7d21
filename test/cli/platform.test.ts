import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, loadConfig, type HealthReport } from '../../core';
import { startPlatform, type Platform } from '../../cli/platform';
import { createTestDatabase, TEST_REDIS_URL } from '../support/services';
import { createTcpProxy, type TcpProxy } from '../support/tcp-proxy';

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Every role in one process on the real services (Postgres and Redis behind TCP proxies so
 * the test can take them away), the Telegram sandbox, and chDB.
 */
describe('platform on real Postgres and Redis', () => {
  let platform: Platform;
  let database: { url: string; drop: () => Promise<void> };
  let pgProxy: TcpProxy;
  let redisProxy: TcpProxy;

  beforeAll(async () => {
    database = await createTestDatabase();
    const pg = new URL(database.url);
    const redis = new URL(TEST_REDIS_URL);
    pgProxy = await createTcpProxy(pg.hostname, Number(pg.port || 5432));
    redisProxy = await createTcpProxy(redis.hostname, Number(redis.port || 6379));
    const config = loadConfig({
      DATABASE_URL: pgProxy.url(database.url),
      REDIS_URL: redisProxy.url(TEST_REDIS_URL),
      MASTER_KEY: 'ef'.repeat(32),
      ADMIN_API_KEY: 'platform-test-operator-key',
      ADMIN_PORT: '0',
      DATA_DIR: await mkdtemp(join(tmpdir(), 'tp-platform-')),
      LOG_LEVEL: 'silent',
    });
    platform = await startPlatform({
      config,
      roles: ['bot', 'engine', 'notifier', 'admin'],
      logger: createLogger({ level: 'silent', pretty: false }),
      secrets: new Set(),
      dependencyCheckMs: 300,
    });
  }, 60_000);

  afterAll(async () => {
    await platform?.stop();
    await pgProxy?.close();
    await redisProxy?.close();
    await database?.drop();
  });

  const api = async (path: string, body?: unknown) => {
    const response = await fetch(`${platform.adminUrl}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: 'Bearer platform-test-operator-key', 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, string> };
  };

  it('joins members by invite and tells the desk admin who joined', async () => {
    const tenant = await api('/api/v1/tenants', { name: 'Rates Desk', plan: 'enterprise' });
    expect(tenant.status).toBe(201);
    const alice = platform.sandbox!.user({ id: 7001, firstName: 'Alice', username: 'alice_fx' });
    await alice.send(`/start ${tenant.body.inviteCode}`);
    await alice.waitForMessage((m) => m.text === 'You joined Rates Desk as desk admin.'.replace('You', '✅ You'), { timeoutMs: 10_000 });

    const invite = await api(`/api/v1/tenants/${tenant.body.id}/invites`, { role: 'analyst' });
    expect(invite.status).toBe(201);
    const bob = platform.sandbox!.user({ id: 7002, firstName: 'Bob' });
    await bob.send(`/start ${invite.body.code}`);
    await bob.waitForMessage((m) => m.text === '✅ You joined Rates Desk as analyst.', { timeoutMs: 10_000 });
    const notice = await alice.waitForMessage((m) => m.text?.startsWith('🆕') === true, { timeoutMs: 15_000 });
    expect(notice.text).toBe('🆕 Bob joined Rates Desk as analyst.');

    // The same invite cannot be used twice.
    const carol = platform.sandbox!.user({ id: 7003, firstName: 'Carol' });
    await carol.send(`/start ${invite.body.code}`);
    const refusal = await carol.waitForMessage(undefined, { timeoutMs: 10_000 });
    expect(refusal.text).toMatch(/^⚠️ .*(used|no longer)/i);
  });

  it('shows degraded health while Postgres and Redis are gone, without crashing, and recovers', async () => {
    const health = async () => (await fetch(`${platform.adminUrl}/healthz`)).json() as Promise<HealthReport>;
    await until('healthy', async () => ((await health()).status === 'ok' ? true : undefined));

    await pgProxy.cut();
    await redisProxy.cut();
    const degraded = await until('degraded', async () => {
      const report = await health();
      return report.dependencies.postgres?.status === 'down' && report.dependencies.redis?.status === 'down' ? report : undefined;
    });
    expect(degraded.status).toBe('degraded');

    await pgProxy.restore();
    await redisProxy.restore();
    const recovered = await until('recovered', async () => {
      const report = await health();
      return report.status === 'ok' ? report : undefined;
    }, 30_000);
    expect(recovered.dependencies.postgres?.status).toBe('ok');
    expect(recovered.dependencies.redis?.status).toBe('ok');

    // The bot still answers after the outage.
    const dave = platform.sandbox!.user({ id: 7004, firstName: 'Dave' });
    await dave.send('/help');
    const help = await dave.waitForMessage(undefined, { timeoutMs: 15_000 });
    expect(help.text).toMatch(/TradePilot commands/);
  }, 90_000);
});
