import { Api } from 'grammy';
import { STREAMS, escapeHtml, type ComponentHealth, type EventOf, type Logger, type Metrics, type RunningRole, type TelegramTarget } from '../core';
import type { SharedState, Subscription } from '../db';
import { ROLE_LABELS, type Tenancy } from '../tenancy';
import { createSender } from './sender';

export interface NotifierRoleDeps {
  logger: Logger;
  metrics: Metrics;
  shared: SharedState;
  tenancy: Tenancy;
  telegram: TelegramTarget;
  instanceId: string;
}

/**
 * The notifier role (first slice): turns tenancy events into Telegram messages for the desk
 * admins, through the shared rate limits and at most once per (event, chat). Consumers form
 * one group, so several notifier processes share the stream.
 */
export async function startNotifierRole(deps: NotifierRoleDeps): Promise<RunningRole> {
  const logger = deps.logger.child({ role: 'notifier' });
  const api = new Api(deps.telegram.token, { apiRoot: deps.telegram.apiRoot });
  const botId = Number(deps.telegram.token.split(':')[0]);
  const send = createSender({ api, botId, rateLimiter: deps.shared.rateLimiter, cache: deps.shared.cache, logger, metrics: deps.metrics });
  let handled = 0;
  let failed = 0;

  async function onMemberJoined(event: EventOf<'member.joined'>, entryId: string) {
    const [tenant, members] = await Promise.all([deps.tenancy.getTenant(event.tenantId), deps.tenancy.membersOf(event.tenantId)]);
    const joiner = members.find((m) => m.userId === event.userId);
    if (!joiner) return;
    const admins = members.filter((m) => m.role === 'tenant_admin' && m.userId !== event.userId);
    const who = joiner.username ? `${escapeHtml(joiner.firstName)} (@${escapeHtml(joiner.username)})` : escapeHtml(joiner.firstName);
    const html = `🆕 ${who} joined <b>${escapeHtml(tenant.name)}</b> as ${ROLE_LABELS[event.role]}.`;
    for (const admin of admins) {
      const outcome = await send({ alertId: `member.joined:${entryId}`, chatId: admin.telegramId, html });
      logger.debug({ chat_id: admin.telegramId, outcome }, 'member-joined notice');
    }
  }

  const subscription: Subscription = deps.shared.bus.subscribe(
    STREAMS.tenants,
    { group: 'notifier', consumer: deps.instanceId, claimIdleMs: 30_000, maxDeliveries: 5 },
    async (message) => {
      try {
        if (message.event.type === 'member.joined') await onMemberJoined(message.event, message.id);
        handled++;
        deps.metrics.busEvents.inc({ stream: STREAMS.tenants, outcome: 'handled' });
      } catch (error) {
        failed++;
        deps.metrics.busEvents.inc({ stream: STREAMS.tenants, outcome: 'failed' });
        logger.warn({ err: error, entry: message.id, deliveries: message.deliveries }, 'notification failed; it will be retried');
        throw error;
      }
    },
  );
  await subscription.ready;

  return {
    name: 'notifier',
    health(): ComponentHealth {
      return { status: 'ok', handled, failed };
    },
    stop: () => subscription.stop(),
  };
}
