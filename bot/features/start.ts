import { Composer, InlineKeyboard } from 'grammy';
import { isAppError } from '../../core';
import type { Tenancy } from '../../tenancy';
import { helpData } from '../callback-data';
import type { BotContext } from '../context';
import { escapeHtml, roleLabel } from '../format';

/** Invite codes travel as the deep-link payload: Telegram allows A-Z a-z 0-9 _ - up to 64. */
const PAYLOAD = /^[A-Za-z0-9_-]{1,64}$/;

function startKeyboard(): InlineKeyboard {
  return new InlineKeyboard().text('📖 Commands', helpData.pack({ topic: 'all' }));
}

/**
 * /start: greets the user; `/start <inviteCode>` (what a t.me/<bot>?start=<code> link
 * sends) joins the invite's tenant with its role.
 */
export function startFeature(deps: { tenancy: Tenancy }): Composer<BotContext> {
  const feature = new Composer<BotContext>();

  feature.chatType(['group', 'supergroup']).command('start', (ctx) =>
    ctx.reply('Hi! Desks are joined in a private chat: open a private chat with me and send /start with your invite code.'),
  );

  feature.chatType('private').command('start', async (ctx) => {
    const payload = ctx.match.trim();
    const from = ctx.from;
    if (payload === '') {
      const memberships = await deps.tenancy.membershipsOf(from.id);
      if (memberships.length === 0) {
        return ctx.reply(
          [
            `👋 <b>Welcome to TradePilot</b>, ${escapeHtml(from.first_name)}.`,
            '',
            'I bring your trading desk\'s market data, AI signals, positions and alerts to this chat.',
            'To join a desk, open the invite link your desk admin sent you, or send <code>/start CODE</code> with the invite code.',
          ].join('\n'),
          { parse_mode: 'HTML', reply_markup: startKeyboard() },
        );
      }
      const lines = memberships.map((m) => `• <b>${escapeHtml(m.tenantName)}</b> — ${roleLabel(m.role)}`);
      return ctx.reply([`👋 Welcome back, ${escapeHtml(from.first_name)}.`, '', 'Your desks:', ...lines].join('\n'), {
        parse_mode: 'HTML',
        reply_markup: startKeyboard(),
      });
    }

    if (!PAYLOAD.test(payload)) {
      return ctx.reply('That invite code is not valid: codes are letters and digits only. Check the link your desk admin sent you.');
    }
    try {
      const result = await deps.tenancy.redeemInvite({
        code: payload,
        telegramUser: {
          id: from.id,
          firstName: from.first_name,
          ...(from.last_name ? { lastName: from.last_name } : {}),
          ...(from.username ? { username: from.username } : {}),
          ...(from.language_code ? { languageCode: from.language_code } : {}),
        },
      });
      ctx.log.info({ tenant_id: result.tenant.id, role: result.role, already_member: result.alreadyMember }, 'invite redeemed');
      const text = result.alreadyMember
        ? `You are already a member of <b>${escapeHtml(result.tenant.name)}</b> as ${roleLabel(result.role)}.`
        : `✅ You joined <b>${escapeHtml(result.tenant.name)}</b> as ${roleLabel(result.role)}.`;
      return ctx.reply(text, { parse_mode: 'HTML', reply_markup: startKeyboard() });
    } catch (error) {
      if (isAppError(error) && (error.kind === 'invalid_input' || error.kind === 'not_found' || error.kind === 'conflict')) {
        return ctx.reply(`⚠️ ${escapeHtml(error.message)}`, { parse_mode: 'HTML' });
      }
      throw error;
    }
  });

  return feature;
}
