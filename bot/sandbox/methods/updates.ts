import type { Update, WebhookInfo } from '@grammyjs/types';
import { badRequest, tooManyRequests } from '../errors';
import type { WebhookConfig } from '../state';
import { CONFLICT_SET_WEBHOOK, CONFLICT_WEBHOOK_ACTIVE, MAX_LONG_POLL_TIMEOUT_SECONDS } from '../updates';
import { Described, type MethodContext } from './context';

const UPDATE_TYPES = new Set([
  'message', 'edited_message', 'channel_post', 'edited_channel_post', 'business_connection', 'business_message',
  'edited_business_message', 'deleted_business_messages', 'message_reaction', 'message_reaction_count', 'inline_query',
  'chosen_inline_result', 'callback_query', 'shipping_query', 'pre_checkout_query', 'purchased_paid_media', 'poll',
  'poll_answer', 'my_chat_member', 'chat_member', 'chat_join_request', 'chat_boost', 'removed_chat_boost',
]);

/** allowed_updates: a JSON list of update types; unknown names are ignored as Telegram does. */
function allowedUpdates(ctx: MethodContext): string[] | undefined {
  const raw = ctx.params.json('allowed_updates', "can't parse allowed_updates JSON object");
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) throw badRequest("can't parse allowed_updates JSON object");
  return raw.filter((type): type is string => typeof type === 'string' && UPDATE_TYPES.has(type));
}

export function getUpdates(ctx: MethodContext): Promise<Update[]> {
  const { bot, params } = ctx;
  if (bot.webhook !== undefined) {
    return new Promise((_, reject) => bot.updates.conflict(CONFLICT_WEBHOOK_ACTIVE, reject));
  }
  const offset = params.int('offset') ?? 0;
  const limit = params.intIn('limit', 100, 1, 100);
  const timeout = params.intIn('timeout', 0, 0, MAX_LONG_POLL_TIMEOUT_SECONDS);
  bot.updates.setAllowedUpdates(allowedUpdates(ctx));
  return bot.updates.getUpdates(offset, limit, timeout, ctx.signal);
}

const SECRET_TOKEN = /^[A-Za-z0-9_-]*$/;

export function setWebhook(ctx: MethodContext): Described {
  const { bot, params, state } = ctx;
  const url = params.string('url')?.trim() ?? '';
  if (url === '') return deleteWebhook(ctx);

  // tdlib lets a bot change its webhook once per second.
  const now = state.now();
  if (now < bot.nextSetWebhookAt) throw tooManyRequests(1);
  bot.nextSetWebhookAt = now + 1_000;

  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badRequest('invalid webhook URL specified');
  }
  // Telegram insists on HTTPS; the sandbox accepts plain HTTP for receivers on this machine.
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw badRequest('invalid webhook URL specified');
  const secretToken = params.string('secret_token');
  if (secretToken !== undefined && secretToken.length > 256) throw badRequest('secret token is too long');
  if (secretToken !== undefined && !SECRET_TOKEN.test(secretToken)) throw badRequest('secret token contains unallowed characters');
  const maxConnections = params.intIn('max_connections', 40, 1, 100);
  const dropPending = params.bool('drop_pending_updates');
  const allowed = allowedUpdates(ctx);
  const ipAddress = params.string('ip_address');

  const current = bot.webhook;
  bot.updates.setAllowedUpdates(allowed);
  if (current !== undefined && current.url === url && current.secretToken === (secretToken || undefined) && current.maxConnections === maxConnections && !dropPending) {
    return new Described(true, 'Webhook is already set');
  }
  bot.updates.abortLongPoll(CONFLICT_SET_WEBHOOK);
  if (dropPending) bot.updates.dropPending();
  const config: WebhookConfig = { url, maxConnections };
  if (secretToken) config.secretToken = secretToken;
  if (ipAddress) config.ipAddress = ipAddress;
  bot.webhook = config;
  ctx.webhooks.configure(bot);
  return new Described(true, 'Webhook was set');
}

export function deleteWebhook(ctx: MethodContext): Described {
  const { bot, params } = ctx;
  if (params.bool('drop_pending_updates')) bot.updates.dropPending();
  if (bot.webhook === undefined) return new Described(true, 'Webhook is already deleted');
  bot.webhook = undefined;
  ctx.webhooks.configure(bot);
  return new Described(true, 'Webhook was deleted');
}

export function getWebhookInfo(ctx: MethodContext): WebhookInfo {
  const { bot } = ctx;
  const webhook = bot.webhook;
  const info: WebhookInfo = { url: webhook?.url ?? '', has_custom_certificate: false, pending_update_count: bot.updates.pendingCount() };
  if (webhook === undefined) return info;
  info.max_connections = webhook.maxConnections;
  if (webhook.ipAddress !== undefined) info.ip_address = webhook.ipAddress;
  if (webhook.lastErrorDate !== undefined) info.last_error_date = webhook.lastErrorDate;
  if (webhook.lastErrorMessage !== undefined) info.last_error_message = webhook.lastErrorMessage;
  const allowed = bot.updates.allowedUpdates();
  if (allowed !== undefined) info.allowed_updates = allowed as WebhookInfo['allowed_updates'];
  return info;
}
