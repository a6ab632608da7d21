import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../core/crypto';
import { AppError, ConflictError, InvalidInputError, NotFoundError } from '../../core/errors';
import { parseEvent } from '../../core/events';
import { invites, tenantConfigs, type Database } from '../../db/postgres';
import { DEFAULT_TENANT_CONFIG, createTenancy, type Tenancy, type TenancyNotification, type TelegramUserInput } from '../../tenancy';
import { silentLogger, type Driver, type FreshDatabase } from '../db/postgres/drivers';

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

let nextTelegramId = 900_000_000;
function telegramUser(firstName: string, extra: Partial<TelegramUserInput> = {}): TelegramUserInput {
  return { id: nextTelegramId++, firstName, username: firstName.toLowerCase(), languageCode: 'en', ...extra };
}

/** The tenancy facade's behaviour, run once per relational driver. */
export function tenancyContract(driver: Driver): void {
  describe(`tenancy on ${driver.kind}`, () => {
    let fresh: FreshDatabase;
    let db: Database;
    let tenancy: Tenancy;
    let clock = new Date('2025-03-01T12:00:00.000Z');
    const events: TenancyNotification[] = [];

    beforeAll(async () => {
      fresh = await driver.openFresh();
      await fresh.handle.migrate();
      db = fresh.handle.db;
      tenancy = createTenancy({ db, logger: silentLogger, now: () => clock, onEvent: (e) => events.push(e) });
    });
    afterAll(async () => {
      await fresh?.cleanup();
    });

    const advance = (ms: number) => {
      clock = new Date(clock.getTime() + ms);
    };

    it('creates a tenant with its first tenant-admin invite, default config, event and audit rows', async () => {
      const { tenant, invite } = await tenancy.createTenant({ name: '  Alpha Desk  ', plan: 'pro', actor: 'operator' });
      expect(tenant).toMatchObject({ name: 'Alpha Desk', plan: 'pro', status: 'active' });
      expect(invite.role).toBe('tenant_admin');
      expect(invite.code).toMatch(/^[A-Z2-9]{12}$/);
      expect(invite.maxUses).toBe(1);
      expect(invite.expiresAt.getTime() - clock.getTime()).toBe(72 * 3_600_000);

      expect(events.at(-1)).toEqual({ stream: 'tenants', event: { type: 'tenant.created', tenantId: tenant.id, name: 'Alpha Desk', plan: 'pro', atMs: clock.getTime() } });
      expect(parseEvent(events.at(-1)!.event).ok).toBe(true);
      expect(await tenancy.getTenant(tenant.id)).toEqual(tenant);
      expect((await tenancy.listTenants()).map((t) => t.id)).toContain(tenant.id);

      const config = await tenancy.getConfig(tenant.id);
      expect(config).toMatchObject({ version: 1, createdBy: 'operator', config: DEFAULT_TENANT_CONFIG });

      const trail = await tenancy.auditTrail({ tenantId: tenant.id });
      expect(trail.map((a) => a.action).reverse()).toEqual(['tenant.create', 'config.update', 'invite.create']);
      expect(trail.every((a) => a.actor === 'operator')).toBe(true);
      expect(trail.find((a) => a.action === 'invite.create')!.target).toBe(`invite:${invite.id}`);
    });

    it('rejects a bad name or plan, naming the field, and writes nothing', async () => {
      const before = (await tenancy.listTenants()).length;
      for (const name of ['', '   ', 'x'.repeat(101)]) {
        const error = await rejection(tenancy.createTenant({ name, plan: 'free', actor: 'operator' }));
        expect(error).toBeInstanceOf(InvalidInputError);
        expect(error.code).toBe('name_invalid');
        expect(error.message).toMatch(/^name /);
      }
      const error = await rejection(tenancy.createTenant({ name: 'Plan Desk', plan: 'gold', actor: 'operator' }));
      expect(error).toMatchObject({ code: 'plan_invalid', details: { field: 'plan' } });
      expect(error.message).toContain('free, pro, enterprise');
      expect(await tenancy.createTenant({ name: 'x'.repeat(100), plan: 'free', actor: 'operator' })).toBeTruthy();
      expect((await tenancy.listTenants()).length).toBe(before + 1);
    });

    it('stores invite codes only as their sha256 hash', async () => {
      const { tenant, invite } = await tenancy.createTenant({ name: 'Hash Desk', plan: 'free', actor: 'operator' });
      const second = await tenancy.createInvite({ tenantId: tenant.id, role: 'analyst', actor: 'telegram:1' });
      for (const issued of [invite, second]) {
        const [row] = await db.select().from(invites).where(eq(invites.id, issued.id));
        expect(row!.codeHash).toBe(sha256Hex(issued.code));
        const everything = await db.execute(sql`select (select json_agg(i) from invites i)::text as i, (select json_agg(a) from audit_log a)::text as a`);
        expect(JSON.stringify(everything.rows)).not.toContain(issued.code);
      }
    });

    it('lets a Telegram user join with the invite and lists the membership', async () => {
      const { tenant, invite } = await tenancy.createTenant({ name: 'Join Desk', plan: 'enterprise', actor: 'operator' });
      const user = telegramUser('Alice', { lastName: 'Liddell' });
      // People type codes in lower case, with spaces around them.
      const joined = await tenancy.redeemInvite({ code: ` ${invite.code.toLowerCase()} `, telegramUser: user });
      expect(joined).toMatchObject({ tenant: { id: tenant.id }, role: 'tenant_admin', alreadyMember: false });
      expect(joined.user).toMatchObject({ telegramId: user.id, username: 'alice', firstName: 'Alice', lastName: 'Liddell', languageCode: 'en' });
      expect(events.at(-1)).toEqual({ stream: 'tenants', event: { type: 'member.joined', tenantId: tenant.id, userId: joined.user.id, role: 'tenant_admin', atMs: clock.getTime() } });
      expect(parseEvent(events.at(-1)!.event).ok).toBe(true);

      const mine = await tenancy.membershipsOf(user.id);
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ tenant: { id: tenant.id, name: 'Join Desk' }, tenantId: tenant.id, tenantName: 'Join Desk', role: 'tenant_admin' });
      expect(await tenancy.membershipsOf(1)).toEqual([]);

      const [row] = await db.select().from(invites).where(eq(invites.id, invite.id));
      expect(row!.uses).toBe(1);
      const trail = await tenancy.auditTrail({ tenantId: tenant.id, limit: 1 });
      expect(trail[0]).toMatchObject({ action: 'invite.redeem', actor: `telegram:${user.id}`, target: `user:${joined.user.id}`, details: { inviteId: invite.id, role: 'tenant_admin' } });

      // The same person tapping the (now used) link again is told they are already in.
      const again = await tenancy.redeemInvite({ code: invite.code, telegramUser: { ...user, username: 'alice_renamed' } });
      expect(again).toMatchObject({ role: 'tenant_admin', alreadyMember: true });
      expect(again.user.username).toBe('alice_renamed');
      expect(events.filter((e) => e.event.type === 'member.joined' && e.event.tenantId === tenant.id)).toHaveLength(1);
      expect(await tenancy.membershipsOf(user.id)).toHaveLength(1);

      // Someone else cannot use it.
      const error = await rejection(tenancy.redeemInvite({ code: invite.code, telegramUser: telegramUser('Mallory') }));
      expect(error).toBeInstanceOf(ConflictError);
      expect(error.code).toBe('invite_used_up');
      expect(error.message).toMatch(/already been used/);
    });

    it('rejects unknown, expired and revoked codes with distinct codes', async () => {
      const unknown = await rejection(tenancy.redeemInvite({ code: 'ABCDEFGHJKLM', telegramUser: telegramUser('Bob') }));
      expect(unknown).toBeInstanceOf(NotFoundError);
      expect(unknown.code).toBe('invite_unknown');
      expect((await rejection(tenancy.redeemInvite({ code: "x'; drop table invites; --", telegramUser: telegramUser('Bob') }))).code).toBe('invite_unknown');

      const { tenant } = await tenancy.createTenant({ name: 'Expiry Desk', plan: 'free', actor: 'operator' });
      const shortLived = await tenancy.createInvite({ tenantId: tenant.id, role: 'analyst', actor: 'operator', ttlHours: 1 });
      advance(3_600_000 - 1);
      const inTime = await tenancy.redeemInvite({ code: shortLived.code, telegramUser: telegramUser('Carol') });
      expect(inTime.role).toBe('analyst');

      const expiring = await tenancy.createInvite({ tenantId: tenant.id, role: 'analyst', actor: 'operator', ttlHours: 1, maxUses: 5 });
      advance(3_600_000);
      const expired = await rejection(tenancy.redeemInvite({ code: expiring.code, telegramUser: telegramUser('Dave') }));
      expect(expired).toBeInstanceOf(ConflictError);
      expect(expired.code).toBe('invite_expired');
      expect(expired.message).toContain(expiring.expiresAt.toISOString().slice(0, 10));

      const revoked = await tenancy.createInvite({ tenantId: tenant.id, role: 'portfolio_manager', actor: 'operator' });
      await tenancy.revokeInvite({ tenantId: tenant.id, inviteId: revoked.id, actor: 'telegram:77' });
      await tenancy.revokeInvite({ tenantId: tenant.id, inviteId: revoked.id, actor: 'telegram:77' });
      const error = await rejection(tenancy.redeemInvite({ code: revoked.code, telegramUser: telegramUser('Erin') }));
      expect(error.code).toBe('invite_revoked');
      const revokes = (await tenancy.auditTrail({ tenantId: tenant.id })).filter((a) => a.action === 'invite.revoke');
      expect(revokes).toHaveLength(1);
      expect(revokes[0]).toMatchObject({ actor: 'telegram:77', target: `invite:${revoked.id}` });

      const otherTenant = await tenancy.createTenant({ name: 'Other Desk', plan: 'free', actor: 'operator' });
      expect((await rejection(tenancy.revokeInvite({ tenantId: otherTenant.tenant.id, inviteId: revoked.id, actor: 'operator' }))).code).toBe('invite_not_found');
    });

    it('validates invite requests', async () => {
      const { tenant } = await tenancy.createTenant({ name: 'Validate Desk', plan: 'free', actor: 'operator' });
      const cases: Array<[Parameters<Tenancy['createInvite']>[0], string]> = [
        [{ tenantId: tenant.id, role: 'owner', actor: 'operator' }, 'role_invalid'],
        [{ tenantId: tenant.id, role: 'analyst', actor: 'operator', maxUses: 0 }, 'max_uses_invalid'],
        [{ tenantId: tenant.id, role: 'analyst', actor: 'operator', maxUses: 1.5 }, 'max_uses_invalid'],
        [{ tenantId: tenant.id, role: 'analyst', actor: 'operator', ttlHours: 0 }, 'ttl_hours_invalid'],
        [{ tenantId: tenant.id, role: 'analyst', actor: '' }, 'actor_invalid'],
        [{ tenantId: '00000000-0000-4000-8000-000000000000', role: 'analyst', actor: 'operator' }, 'tenant_not_found'],
        [{ tenantId: 'not-a-uuid', role: 'analyst', actor: 'operator' }, 'tenant_not_found'],
      ];
      for (const [input, code] of cases) expect((await rejection(tenancy.createInvite(input))).code).toBe(code);
      const issued = await tenancy.createInvite({ tenantId: tenant.id, role: 'api_user', actor: 'operator', ttlHours: 24, maxUses: 3 });
      expect(issued).toMatchObject({ role: 'api_user', maxUses: 3 });
      expect(issued.expiresAt.getTime() - clock.getTime()).toBe(24 * 3_600_000);
    });

    it('lets exactly one of several concurrent redeemers use a one-use invite', async () => {
      const { tenant } = await tenancy.createTenant({ name: 'Race Desk', plan: 'pro', actor: 'operator' });
      const invite = await tenancy.createInvite({ tenantId: tenant.id, role: 'analyst', actor: 'operator' });
      const racers = Array.from({ length: 6 }, (_, i) => telegramUser(`Racer${i}`));
      const results = await Promise.allSettled(racers.map((user) => tenancy.redeemInvite({ code: invite.code, telegramUser: user })));
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost.map((r) => (r.reason as AppError).code)).toEqual(Array(5).fill('invite_used_up'));
      const [row] = await db.select().from(invites).where(eq(invites.id, invite.id));
      expect(row!.uses).toBe(1);
      const members = (await Promise.all(racers.map((u) => tenancy.membershipsOf(u.id)))).flat();
      expect(members).toHaveLength(1);
    });

    it('lets exactly maxUses people in through a multi-use invite under contention', async () => {
      const { tenant } = await tenancy.createTenant({ name: 'Crowd Desk', plan: 'pro', actor: 'operator' });
      const invite = await tenancy.createInvite({ tenantId: tenant.id, role: 'analyst', actor: 'operator', maxUses: 3 });
      const crowd = Array.from({ length: 8 }, (_, i) => telegramUser(`Crowd${i}`));
      const results = await Promise.allSettled(crowd.map((user) => tenancy.redeemInvite({ code: invite.code, telegramUser: user })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
      const [row] = await db.select().from(invites).where(eq(invites.id, invite.id));
      expect(row!.uses).toBe(3);
    });

    it("changes an existing member's role to the invite's role, but never removes the last tenant admin", async () => {
      const { tenant, invite: adminInvite } = await tenancy.createTenant({ name: 'Role Desk', plan: 'pro', actor: 'operator' });
      const admin = telegramUser('Admin');
      await tenancy.redeemInvite({ code: adminInvite.code, telegramUser: admin });

      const analystInvite = await tenancy.createInvite({ tenantId: tenant.id, role: 'analyst', actor: `telegram:${admin.id}`, maxUses: 5 });
      const member = telegramUser('Member');
      expect((await tenancy.redeemInvite({ code: analystInvite.code, telegramUser: member })).role).toBe('analyst');

      const pmInvite = await tenancy.createInvite({ tenantId: tenant.id, role: 'portfolio_manager', actor: `telegram:${admin.id}` });
      const promoted = await tenancy.redeemInvite({ code: pmInvite.code, telegramUser: member });
      expect(promoted).toMatchObject({ role: 'portfolio_manager', alreadyMember: true, previousRole: 'analyst' });
      expect((await tenancy.membershipsOf(member.id))[0]!.role).toBe('portfolio_manager');
      expect((await tenancy.auditTrail({ tenantId: tenant.id, limit: 1 }))[0]).toMatchObject({
        action: 'membership.role_change',
        details: { from: 'analyst', to: 'portfolio_manager' },
      });

      const demote = await rejection(tenancy.redeemInvite({ code: analystInvite.code, telegramUser: admin }));
      expect(demote).toBeInstanceOf(ConflictError);
      expect(demote.code).toBe('last_tenant_admin');
      expect((await tenancy.membershipsOf(admin.id))[0]!.role).toBe('tenant_admin');
      const [row] = await db.select().from(invites).where(eq(invites.id, analystInvite.id));
      expect(row!.uses).toBe(1); // the refused redemption did not consume a use
    });

    it('refuses invites and joins for a suspended tenant', async () => {
      const { tenant, invite } = await tenancy.createTenant({ name: 'Paused Desk', plan: 'free', actor: 'operator' });
      const suspended = await tenancy.setTenantStatus({ tenantId: tenant.id, status: 'suspended', actor: 'operator' });
      expect(suspended.status).toBe('suspended');
      expect((await rejection(tenancy.redeemInvite({ code: invite.code, telegramUser: telegramUser('Late') }))).code).toBe('tenant_suspended');
      expect((await rejection(tenancy.createInvite({ tenantId: tenant.id, role: 'analyst', actor: 'operator' }))).code).toBe('tenant_suspended');
      expect((await rejection(tenancy.setTenantStatus({ tenantId: tenant.id, status: 'deleted', actor: 'operator' }))).code).toBe('status_invalid');
      await tenancy.setTenantStatus({ tenantId: tenant.id, status: 'active', actor: 'operator' });
      expect((await tenancy.redeemInvite({ code: invite.code, telegramUser: telegramUser('Late') })).role).toBe('tenant_admin');
      const statusChanges = (await tenancy.auditTrail({ tenantId: tenant.id })).filter((a) => a.action === 'tenant.status');
      expect(statusChanges.map((a) => a.details)).toEqual([{ from: 'suspended', to: 'active' }, { from: 'active', to: 'suspended' }]);
    });

    it('versions config changes: each update is a new row with the merged settings', async () => {
      const { tenant } = await tenancy.createTenant({ name: 'Config Desk', plan: 'pro', actor: 'operator' });
      const v2 = await tenancy.updateConfig(tenant.id, { risk: { maxDailyLossPct: 3 }, symbols: ['EURUSD', 'XAUUSD'] }, 'telegram:5');
      expect(v2.version).toBe(2);
      expect(v2.config.risk).toEqual({ ...DEFAULT_TENANT_CONFIG.risk, maxDailyLossPct: 3 });
      expect(v2.config.symbols).toEqual(['EURUSD', 'XAUUSD']);
      expect(v2.config.alerts).toEqual(DEFAULT_TENANT_CONFIG.alerts);

      const v3 = await tenancy.updateConfig(tenant.id, { alerts: { quietHours: { start: '22:00', end: '06:00' } } }, 'telegram:5');
      expect(v3.config.alerts.quietHours).toEqual({ start: '22:00', end: '06:00' });
      expect(v3.config.risk.maxDailyLossPct).toBe(3);
      expect(await tenancy.getConfig(tenant.id)).toEqual(v3);

      const stored = await db.select().from(tenantConfigs).where(eq(tenantConfigs.tenantId, tenant.id)).orderBy(tenantConfigs.version);
      expect(stored.map((r) => r.version)).toEqual([1, 2, 3]);
      expect(stored[0]!.config).toEqual(DEFAULT_TENANT_CONFIG);
      expect(stored[1]!.createdBy).toBe('telegram:5');

      const trail = (await tenancy.auditTrail({ tenantId: tenant.id })).filter((a) => a.action === 'config.update');
      expect(trail[0]).toMatchObject({ actor: 'telegram:5', details: { version: 3, patch: { alerts: { quietHours: { start: '22:00', end: '06:00' } } } } });
    });

    it('rejects an invalid config change, naming the setting, and keeps the version', async () => {
      const { tenant } = await tenancy.createTenant({ name: 'Strict Desk', plan: 'pro', actor: 'operator' });
      const cases: Array<[unknown, string]> = [
        [{ risk: { maxDailyLossPct: 150 } }, 'risk.maxDailyLossPct'],
        [{ risk: { maxDrawdownPct: 1 } }, 'risk.maxDailyLossPct'], // daily loss 2 % may not exceed drawdown 1 %
        [{ symbols: [] }, 'symbols'],
        [{ symbols: ['EURUSD', 'EURUSD'] }, 'symbols'],
        [{ alerts: { minPriority: 'urgent' } }, 'alerts.minPriority'],
        [{ alerts: { quietHours: { start: '25:00', end: '06:00' } } }, 'alerts.quietHours.start'],
        [{ modelWeights: { xgboost: 0, lstm: 0, random_forest: 0 } }, 'modelWeights'],
        [{ leverage: 100 }, 'config'],
        ['not an object', 'config'],
      ];
      for (const [patch, field] of cases) {
        const error = await rejection(tenancy.updateConfig(tenant.id, patch, 'operator'));
        expect(error, JSON.stringify(patch)).toBeInstanceOf(InvalidInputError);
        expect(error.code).toBe('config_invalid');
        expect(error.details?.field, JSON.stringify(patch)).toBe(field);
        expect(error.message.startsWith(`${field}:`)).toBe(true);
      }
      expect((await tenancy.getConfig(tenant.id)).version).toBe(1);
      expect((await rejection(tenancy.getConfig('00000000-0000-4000-8000-000000000000'))).code).toBe('tenant_not_found');
    });

    it('serialises concurrent config changes so none is lost', async () => {
      const { tenant } = await tenancy.createTenant({ name: 'Busy Desk', plan: 'pro', actor: 'operator' });
      const names = ['m1', 'm2', 'm3', 'm4', 'm5'];
      const saved = await Promise.all(names.map((name) => tenancy.updateConfig(tenant.id, { modelWeights: { [name]: 0.5 } }, 'operator')));
      expect(saved.map((s) => s.version).sort()).toEqual([2, 3, 4, 5, 6]);
      const latest = await tenancy.getConfig(tenant.id);
      expect(latest.version).toBe(6);
      for (const name of names) expect(latest.config.modelWeights[name]).toBe(0.5);
      expect(latest.config.modelWeights.xgboost).toBe(DEFAULT_TENANT_CONFIG.modelWeights.xgboost);
    });

    it('reports unknown tenants as not found', async () => {
      expect(await rejection(tenancy.getTenant('00000000-0000-4000-8000-000000000000'))).toBeInstanceOf(NotFoundError);
      expect((await rejection(tenancy.getTenant('../etc/passwd'))).code).toBe('tenant_not_found');
    });
  });
}
