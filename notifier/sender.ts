import { GrammyError, type Api } from 'grammy';
import { AppError, type Logger, type Metrics } from '../core';
import type { Cache, RateLimiter } from '../db';
import { BOT_LIMIT, chatLimit } from './telegram-limits';

export interface SenderDeps {
  api: Api;
  botId: number;
  rateLimiter: RateLimiter;
  cache: Cache;
  logger: Logger;
  metrics: Metrics;
  sleep?: (ms: number) => Promise<void>;
}

export interface OutboundMessage {
  /** Idempotency: one alert reaches one chat at most once, whichever worker sends it. */
  alertId: string;
  chatId: number;
  html: string;
}

const DELIVERED_TTL_MS = 7 * 24 * 3600_000;
const CLAIM_TTL_MS = 60_000;
const MAX_ATTEMPTS = 5;

export type SendOutcome = 'sent' | 'duplicate' | 'blocked';

/**
 * Sends one message within Telegram's limits (shared buckets, so N workers together stay
 * under them), honouring 429 retry_after, at most once per (alert, chat).
 */
export function createSender(deps: SenderDeps) {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  async function waitForToken(key: string, limit: Parameters<RateLimiter['take']>[1]) {
    for (let attempt = 0; attempt < 100; attempt++) {
      const decision = await deps.rateLimiter.take(key, limit);
      if (decision.allowed) return;
      await sleep(Math.max(decision.retryAfterMs, 10));
    }
    throw new AppError('unavailable', 'rate_limit_wait', `rate limit ${key} did not free up`);
  }

  return async function send(message: OutboundMessage): Promise<SendOutcome> {
    const doneKey = `delivered:${message.alertId}:${message.chatId}`;
    const claimKey = `delivering:${message.alertId}:${message.chatId}`;
    if (await deps.cache.get(doneKey)) return 'duplicate';
    if (!(await deps.cache.setIfAbsent(claimKey, '1', CLAIM_TTL_MS))) return 'duplicate';
    try {
      for (let attempt = 1; ; attempt++) {
        await waitForToken(`tg:bot:${deps.botId}`, BOT_LIMIT);
        await waitForToken(`tg:chat:${deps.botId}:${message.chatId}`, chatLimit(message.chatId));
        try {
          await deps.api.sendMessage(message.chatId, message.html, { parse_mode: 'HTML', link_preview_options: { is_disabled: true } });
          await deps.cache.set(doneKey, '1', DELIVERED_TTL_MS);
          return 'sent';
        } catch (error) {
          if (error instanceof GrammyError) {
            deps.metrics.telegramApiErrors.inc({ method: 'sendMessage', code: String(error.error_code) });
            if (error.error_code === 429 && attempt < MAX_ATTEMPTS) {
              const retryAfter = Number(error.parameters.retry_after ?? 1);
              deps.logger.warn({ chat_id: message.chatId, retry_after: retryAfter }, 'Telegram asked us to slow down');
              await sleep(retryAfter * 1000);
              continue;
            }
            if (error.error_code === 403 || (error.error_code === 400 && /chat not found/i.test(error.description))) {
              // The user blocked the bot or never opened a chat: retrying cannot help.
              deps.logger.info({ chat_id: message.chatId, code: error.error_code }, 'recipient unreachable; alert not delivered');
              await deps.cache.set(doneKey, 'blocked', DELIVERED_TTL_MS);
              return 'blocked';
            }
          }
          throw error;
        }
      }
    } finally {
      await deps.cache.delete(claimKey);
    }
  };
}
