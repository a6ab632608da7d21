import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api } from 'grammy';
import { createLogger, createMetrics } from '../../core';
import { createSharedState, type SharedState } from '../../db';
import { createTelegramSandbox, type TelegramSandbox } from '../../bot/sandbox';
import { createSender } from '../../notifier/sender';
import { TEST_REDIS_URL, redisNamespace } from '../support/services';

const logger = createLogger({ level: 'silent', pretty: false });

async function metricValue(metrics: ReturnType<typeof createMetrics>, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = (metric?.values ?? []).find((v) => Object.entries(labels).every(([k, l]) => String((v.labels as Record<string, unknown>)[k]) === l));
  return Number(value?.value ?? 0);
}

describe.each(['memory', 'redis'] as const)('notifier sender on %s shared state', (kind) => {
  let sandbox: TelegramSandbox;
  let shared: SharedState;
  let botId: number;
  let api: Api;

  beforeAll(async () => {
    // chatBurst 1: stricter than our own bucket (burst 2), so Telegram's 429 path is exercised too.
    sandbox = createTelegramSandbox({ port: 0, limits: { chatBurst: 1 } });
    await sandbox.start();
    const bot = sandbox.createBot({ username: `Notify${kind}Bot` });
    botId = bot.id;
    api = new Api(bot.token, { apiRoot: sandbox.apiRoot });
    shared = await createSharedState(kind === 'redis' ? { redisUrl: TEST_REDIS_URL, namespace: redisNamespace(), logger } : { logger });
  });
  afterAll(async () => {
    await shared?.close();
    await sandbox?.stop();
  });

  it('delivers a burst to one chat in order, honouring 429 retry_after, and never twice per alert', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const send = createSender({ api, botId, rateLimiter: shared.rateLimiter, cache: shared.cache, logger, metrics });
    const user = sandbox.user({ id: 9100, firstName: 'Pat' }, { bot: botId });
    await user.send('/start'); // a bot can only message users who talked to it

    const outcomes = [];
    for (const n of [1, 2, 3]) outcomes.push(await send({ alertId: `a${n}`, chatId: 9100, html: `alert <b>${n}</b>` }));
    expect(outcomes).toEqual(['sent', 'sent', 'sent']);
    expect(await send({ alertId: 'a2', chatId: 9100, html: 'alert <b>2</b>' })).toBe('duplicate');

    const texts = (await user.messages({ fromBot: true })).map((m) => m.text);
    expect(texts).toEqual(['alert 1', 'alert 2', 'alert 3']);
    expect(await metricValue(metrics, 'tradepilot_telegram_api_errors_total', { method: 'sendMessage', code: '429' })).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it('gives up on a user who blocked the bot without retrying forever', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const send = createSender({ api, botId, rateLimiter: shared.rateLimiter, cache: shared.cache, logger, metrics });
    const user = sandbox.user({ id: 9200, firstName: 'Quinn' }, { bot: botId });
    await user.send('/start');
    await user.block();
    expect(await send({ alertId: 'b1', chatId: 9200, html: 'hello' })).toBe('blocked');
    expect(await send({ alertId: 'b1', chatId: 9200, html: 'hello' })).toBe('duplicate');
  });
});
