import { GrammyError, HttpError, type Bot } from 'grammy';
import { run, type RunnerHandle } from '@grammyjs/runner';
import { UnavailableError, ConfigError, type ComponentHealth, type Config, type Logger, type Metrics, type RunningRole, type TelegramTarget } from '../core';

export type { TelegramTarget } from '../core';
import { holdLease, type SharedState } from '../db';
import type { Tenancy } from '../tenancy';
import type { BotContext } from './context';
import { createBot, publishCommands } from './create';

export interface BotRoleDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  shared: SharedState;
  tenancy: Tenancy;
  telegram: TelegramTarget;
  instanceId: string;
}

export interface BotRole extends RunningRole {
  bot: Bot<BotContext>;
  username: string;
  /** Webhook mode: hands one update from the admin intake to the bot. */
  acceptUpdate(update: { update_id: number } & Record<string, unknown>): Promise<void>;
}

/** How long the polling lease lives without renewal: a dead poller is replaced within this. */
const POLL_LEASE_MS = 15_000;

/**
 * The bot role. Polling: only one process may call getUpdates per token, so with Redis the
 * pollers elect a leader through a lease and the others stand by; in-process there is one.
 * Webhook: updates arrive at the admin intake (any instance) and are handled here.
 */
export async function startBotRole(deps: BotRoleDeps): Promise<BotRole> {
  const logger = deps.logger.child({ role: 'bot' });
  const bot = createBot({ token: deps.telegram.token, apiRoot: deps.telegram.apiRoot, logger, metrics: deps.metrics, tenancy: deps.tenancy });

  let lastApiError: string | undefined;
  bot.api.config.use(async (prev, method, payload, signal) => {
    try {
      const result = await prev(method, payload, signal);
      if (method === 'getUpdates' || method === 'getMe') lastApiError = undefined;
      return result;
    } catch (error) {
      if (error instanceof HttpError) lastApiError = `Bot API unreachable (${method})`;
      throw error;
    }
  });

  try {
    await bot.init();
  } catch (error) {
    if (error instanceof GrammyError && error.error_code === 401) {
      throw new ConfigError('TELEGRAM_BOT_TOKEN was rejected by the Bot API (401 Unauthorized): check the token from @BotFather');
    }
    throw new UnavailableError('telegram_unreachable', `the Bot API at ${deps.telegram.apiRoot} did not answer getMe: ${(error as Error).message.replace(deps.telegram.token, '[redacted]')}`, error);
  }
  logger.info({ username: bot.botInfo.username, mode: deps.telegram.mode }, 'bot identity confirmed');
  await publishCommands(bot, logger);

  let runner: RunnerHandle | undefined;
  let lease: { stop(): Promise<void> } | undefined;
  let polling = false;

  const startRunner = () => {
    if (runner?.isRunning()) return;
    runner = run(bot, {
      runner: { fetch: { allowed_updates: ['message', 'edited_message', 'callback_query', 'my_chat_member'] }, retryInterval: 'exponential', maxRetryTime: Number.POSITIVE_INFINITY },
    });
    polling = true;
    logger.info('polling for updates');
  };
  const stopRunner = async () => {
    polling = false;
    if (runner?.isRunning()) await runner.stop();
  };

  if (deps.telegram.mode === 'webhook') {
    try {
      await bot.api.setWebhook(deps.telegram.webhookUrl!, { secret_token: deps.telegram.webhookSecret!, allowed_updates: ['message', 'edited_message', 'callback_query', 'my_chat_member'] });
      logger.info('webhook registered');
    } catch (error) {
      logger.warn({ err: error }, 'setWebhook failed; updates will arrive once the webhook is registered');
    }
  } else if (deps.shared.kind === 'redis') {
    lease = holdLease(deps.shared.locks, `telegram:poller:${bot.botInfo.id}`, deps.instanceId, {
      logger,
      ttlMs: POLL_LEASE_MS,
      renewEveryMs: POLL_LEASE_MS / 3,
      onAcquired: () => {
        logger.info('elected as the Telegram poller');
        startRunner();
      },
      onLost: () => {
        logger.warn('lost the Telegram poller lease; standing by');
        void stopRunner();
      },
    });
  } else {
    await bot.api.deleteWebhook().catch((error: unknown) => logger.warn({ err: error }, 'deleteWebhook failed'));
    startRunner();
  }

  return {
    name: 'bot',
    bot,
    username: bot.botInfo.username,
    async acceptUpdate(update) {
      await bot.handleUpdate(update as unknown as Parameters<typeof bot.handleUpdate>[0]);
    },
    health(): ComponentHealth {
      const mode = deps.telegram.mode === 'webhook' ? 'webhook' : polling ? 'polling' : 'standby';
      if (lastApiError) return { status: 'degraded', detail: lastApiError, mode, username: bot.botInfo.username };
      return { status: 'ok', mode, username: bot.botInfo.username };
    },
    async stop() {
      await lease?.stop();
      await stopRunner();
    },
  };
}
