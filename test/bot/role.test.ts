import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createMetrics, loadConfig } from '../../core';
import { createSharedState, openDatabase, type DatabaseHandle, type SharedState } from '../../db';
import { createTenancy } from '../../tenancy';
import { createTelegramSandbox, type TelegramSandbox } from '../../bot/sandbox';
import { startBotRole, type BotRole } from '../../bot/role';
import { createTestDatabase, redisNamespace, TEST_REDIS_URL } from '../support/services';

const logger = createLogger({ level: 'silent', pretty: false });

/** Two bot processes on one token: a Redis lease elects one poller, the other stands by. */
describe('bot role leader election over Redis', () => {
  let sandbox: TelegramSandbox;
  let database: { url: string; drop: () => Promise<void> };
  let handle: DatabaseHandle;
  const states: SharedState[] = [];
  const roles: BotRole[] = [];
  let token: string;

  beforeAll(async () => {
    sandbox = createTelegramSandbox({ port: 0 });
    await sandbox.start();
    token = sandbox.createBot({ username: 'ElectedBot' }).token;
    database = await createTestDatabase();
    handle = await openDatabase({ databaseUrl: database.url, dataDir: '/nonexistent', logger });
    await handle.migrate();
    const namespace = redisNamespace();
    for (const instanceId of ['worker-a', 'worker-b']) {
      const shared = await createSharedState({ redisUrl: TEST_REDIS_URL, namespace, logger });
      states.push(shared);
      roles.push(
        await startBotRole({
          config: loadConfig({}),
          logger,
          metrics: createMetrics({ defaultMetrics: false }),
          shared,
          tenancy: createTenancy({ db: handle.db, logger }),
          telegram: { token, apiRoot: sandbox.apiRoot, mode: 'polling', webhookUrl: undefined, webhookSecret: undefined },
          instanceId,
        }),
      );
    }
  }, 60_000);

  afterAll(async () => {
    for (const role of roles) await role.stop();
    for (const state of states) await state.close();
    await handle?.close();
    await database?.drop();
    await sandbox?.stop();
  });

  const modes = () => roles.map((r) => r.health().mode);

  it('elects exactly one poller and answers each message once', async () => {
    const deadline = Date.now() + 10_000;
    while (!modes().includes('polling') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(modes().sort()).toEqual(['polling', 'standby']);

    const user = sandbox.user({ id: 3301, firstName: 'Lee' }, { bot: 'ElectedBot' });
    await user.send('/help');
    await user.waitForMessage((m) => /TradePilot commands/.test(m.text ?? ''), { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 1000));
    expect((await user.messages({ fromBot: true })).length).toBe(1);
  });

  it('hands polling to the standby when the poller stops', async () => {
    const leader = roles.find((r) => r.health().mode === 'polling')!;
    const standby = roles.find((r) => r !== leader)!;
    await leader.stop();
    const deadline = Date.now() + 20_000;
    while (standby.health().mode !== 'polling' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(standby.health().mode).toBe('polling');

    const user = sandbox.user({ id: 3302, firstName: 'Max' }, { bot: 'ElectedBot' });
    await user.send('/start');
    const reply = await user.waitForMessage(undefined, { timeoutMs: 10_000 });
    expect(reply.text).toMatch(/Welcome to TradePilot, Max/);
  }, 30_000);
});
