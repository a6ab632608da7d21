import { and, asc, desc, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import { z } from 'zod';
import { randomCode, sha256Hex } from '../core/crypto';
import { ConflictError, InvalidInputError, NotFoundError } from '../core/errors';
import { STREAMS, type EventOf } from '../core/events';
import type { Logger } from '../core/logger';
import type { Database } from '../db/postgres/client';
import { withDatabaseErrors } from '../db/postgres/errors';
import {
  TENANT_PLANS,
  TENANT_STATUSES,
  auditLog,
  invites,
  memberships,
  tenantConfigs,
  tenants,
  users,
  type AuditEntry,
  type Invite,
  type MemberRole,
  type Tenant,
  type TenantPlan,
  type TenantStatus,
  type User,
} from '../db/postgres/schema';
import { DEFAULT_TENANT_CONFIG, isConfigPatch, mergeConfig, parseTenantConfig, readStoredConfig, type TenantConfig, type TenantConfigPatch } from './config';
import { ROLES, ROLE_LABELS } from './permissions';

export type TenancyEvent = EventOf<'tenant.created'> | EventOf<'member.joined'>;

/** What onEvent receives: the bus event and the stream it belongs on. */
export interface TenancyNotification {
  stream: typeof STREAMS.tenants;
  event: TenancyEvent;
}

export interface TenancyDeps {
  db: Database;
  logger: Logger;
  /** The clock for expiry and timestamps (tests pass a fake one). */
  now?: () => Date;
  /** Called after a change is committed; a throwing listener is logged, never propagated. */
  onEvent?: (notification: TenancyNotification) => void;
}

/** An invite as issued: the only time the plain code exists. */
export interface IssuedInvite {
  id: string;
  code: string;
  role: MemberRole;
  expiresAt: Date;
  maxUses: number;
}

export interface TelegramUserInput {
  id: number;
  username?: string | undefined;
  firstName: string;
  lastName?: string | undefined;
  languageCode?: string | undefined;
}

export interface Redemption {
  tenant: Tenant;
  role: MemberRole;
  /** True when the user already belonged to the tenant with this role (no invite use consumed). */
  alreadyMember: boolean;
  /** Set when an existing member's role was changed by the invite. */
  previousRole?: MemberRole;
  user: User;
}

export interface MembershipView {
  tenant: Tenant;
  /** Shortcuts for formatting: the same as tenant.id / tenant.name. */
  tenantId: string;
  tenantName: string;
  role: MemberRole;
  joinedAt: Date;
}

export interface MemberView {
  userId: string;
  telegramId: number;
  firstName: string;
  username: string | null;
  role: MemberRole;
  joinedAt: Date;
}

export interface TenantConfigVersion {
  tenantId: string;
  version: number;
  config: TenantConfig;
  createdBy: string;
  createdAt: Date;
}

export interface Tenancy {
  createTenant(input: { name: string; plan: string; actor: string }): Promise<{ tenant: Tenant; invite: IssuedInvite }>;
  createInvite(input: { tenantId: string; role: string; actor: string; ttlHours?: number; maxUses?: number }): Promise<IssuedInvite>;
  revokeInvite(input: { tenantId: string; inviteId: string; actor: string }): Promise<void>;
  redeemInvite(input: { code: string; telegramUser: TelegramUserInput }): Promise<Redemption>;
  membershipsOf(telegramId: number): Promise<MembershipView[]>;
  /** The members of one tenant with their Telegram ids (for alerts), oldest first. */
  membersOf(tenantId: string): Promise<MemberView[]>;
  getTenant(id: string): Promise<Tenant>;
  listTenants(): Promise<Tenant[]>;
  setTenantStatus(input: { tenantId: string; status: string; actor: string }): Promise<Tenant>;
  getConfig(tenantId: string): Promise<TenantConfigVersion>;
  updateConfig(tenantId: string, patch: TenantConfigPatch | unknown, actor: string): Promise<TenantConfigVersion>;
  /** Newest first. */
  auditTrail(query?: { tenantId?: string; limit?: number }): Promise<AuditEntry[]>;
}

export const DEFAULT_INVITE_TTL_HOURS = 72;
const MAX_INVITE_TTL_HOURS = 24 * 30;
const MAX_INVITE_USES = 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Invite codes are randomCode() output; anything else cannot match and skips the lookup. */
const CODE_SHAPE = /^[A-Z0-9]{6,64}$/;

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

/** Parses one input field, or throws InvalidInputError naming it. */
function field<T>(name: string, schema: z.ZodType<T>, value: unknown, message: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new InvalidInputError(`${snake(name)}_invalid`, `${name} ${message}`, { field: name });
  return result.data;
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).replace(/\W+/g, '_');
}

const nameSchema = z.string().trim().min(1).max(100);
const planSchema = z.enum(TENANT_PLANS);
const statusSchema = z.enum(TENANT_STATUSES);
const roleSchema = z.enum(ROLES);
const actorSchema = z.string().trim().min(1).max(200);
const ttlSchema = z.number().positive().max(MAX_INVITE_TTL_HOURS);
const maxUsesSchema = z.number().int().min(1).max(MAX_INVITE_USES);
const telegramUserSchema = z.object({
  id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  username: z.string().max(64).optional(),
  firstName: z.string().min(1).max(256),
  lastName: z.string().max(256).optional(),
  languageCode: z.string().max(35).optional(),
});

const actorOf = (value: unknown) => field('actor', actorSchema, value, 'must be 1-200 characters (e.g. "operator", "telegram:123")');

function tenantIdOf(value: unknown): string {
  if (typeof value !== 'string' || !UUID.test(value)) throw new NotFoundError('tenant_not_found', `no tenant with id ${JSON.stringify(String(value)).slice(0, 80)}`);
  return value.toLowerCase();
}

function formatUtc(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function createTenancy(deps: TenancyDeps): Tenancy {
  const { db } = deps;
  const log = deps.logger.child({ component: 'tenancy' });
  const now = deps.now ?? (() => new Date());

  function emit(event: TenancyEvent): void {
    if (!deps.onEvent) return;
    try {
      deps.onEvent({ stream: STREAMS.tenants, event });
    } catch (error) {
      log.error({ err: error, event: event.type }, 'tenancy event listener failed');
    }
  }

  async function audit(tx: Tx | Database, entry: { tenantId: string | null; actor: string; action: string; target: string | null; details?: Record<string, unknown>; at: Date }) {
    await tx.insert(auditLog).values({ ...entry, details: entry.details ?? {} });
  }

  async function findTenant(tx: Tx | Database, id: string, lock = false): Promise<Tenant> {
    const query = tx.select().from(tenants).where(eq(tenants.id, id)).limit(1);
    const [tenant] = lock ? await query.for('update') : await query;
    if (!tenant) throw new NotFoundError('tenant_not_found', `no tenant with id ${id}`);
    return tenant;
  }

  async function issueInvite(tx: Tx, input: { tenantId: string; role: MemberRole; actor: string; ttlHours: number; maxUses: number; at: Date }): Promise<IssuedInvite> {
    const code = randomCode(12);
    const expiresAt = new Date(input.at.getTime() + Math.round(input.ttlHours * 3_600_000));
    const [row] = await tx
      .insert(invites)
      .values({ tenantId: input.tenantId, codeHash: sha256Hex(code), role: input.role, expiresAt, maxUses: input.maxUses, createdBy: input.actor, createdAt: input.at })
      .returning({ id: invites.id });
    const id = row!.id;
    await audit(tx, {
      tenantId: input.tenantId,
      actor: input.actor,
      action: 'invite.create',
      target: `invite:${id}`,
      details: { role: input.role, expiresAt: expiresAt.toISOString(), maxUses: input.maxUses },
      at: input.at,
    });
    return { id, code, role: input.role, expiresAt, maxUses: input.maxUses };
  }

  /** Why a stored invite cannot be redeemed at `at`, or null when it can. */
  function inviteProblem(invite: Invite, at: Date): ConflictError | null {
    if (invite.revokedAt) return new ConflictError('invite_revoked', 'This invite was withdrawn by the desk admin. Ask them for a new one.');
    if (invite.expiresAt.getTime() <= at.getTime()) {
      return new ConflictError('invite_expired', `This invite expired on ${formatUtc(invite.expiresAt)}. Ask the desk admin for a new one.`);
    }
    if (invite.uses >= invite.maxUses) return new ConflictError('invite_used_up', 'This invite has already been used. Ask the desk admin for a new one.');
    return null;
  }

  return {
    async createTenant(input) {
      const name = field('name', nameSchema, input.name, 'must be 1-100 characters');
      const plan: TenantPlan = field('plan', planSchema, input.plan, `must be one of ${TENANT_PLANS.join(', ')}`);
      const actor = actorOf(input.actor);
      return withDatabaseErrors(async () => {
        const at = now();
        const result = await db.transaction(async (tx) => {
          const [tenant] = await tx.insert(tenants).values({ name, plan, createdAt: at, updatedAt: at }).returning();
          await audit(tx, { tenantId: tenant!.id, actor, action: 'tenant.create', target: `tenant:${tenant!.id}`, details: { name, plan }, at });
          await tx.insert(tenantConfigs).values({ tenantId: tenant!.id, version: 1, config: { ...DEFAULT_TENANT_CONFIG }, createdBy: actor, createdAt: at });
          await audit(tx, { tenantId: tenant!.id, actor, action: 'config.update', target: `tenant:${tenant!.id}`, details: { version: 1, initial: true }, at });
          const invite = await issueInvite(tx, { tenantId: tenant!.id, role: 'tenant_admin', actor, ttlHours: DEFAULT_INVITE_TTL_HOURS, maxUses: 1, at });
          return { tenant: tenant!, invite };
        });
        log.info({ tenantId: result.tenant.id, plan }, 'tenant created');
        emit({ type: 'tenant.created', tenantId: result.tenant.id, name: result.tenant.name, plan: result.tenant.plan, atMs: at.getTime() });
        return result;
      });
    },

    async createInvite(input) {
      const tenantId = tenantIdOf(input.tenantId);
      const role = field('role', roleSchema, input.role, `must be one of ${ROLES.join(', ')}`);
      const actor = actorOf(input.actor);
      const ttlHours = field('ttlHours', ttlSchema, input.ttlHours ?? DEFAULT_INVITE_TTL_HOURS, `must be more than 0 and at most ${MAX_INVITE_TTL_HOURS} hours`);
      const maxUses = field('maxUses', maxUsesSchema, input.maxUses ?? 1, `must be a whole number from 1 to ${MAX_INVITE_USES}`);
      return withDatabaseErrors(async () => {
        const at = now();
        const invite = await db.transaction(async (tx) => {
          const tenant = await findTenant(tx, tenantId);
          if (tenant.status !== 'active') throw new ConflictError('tenant_suspended', `The desk "${tenant.name}" is suspended; it cannot invite members.`);
          return issueInvite(tx, { tenantId, role, actor, ttlHours, maxUses, at });
        });
        log.info({ tenantId, inviteId: invite.id, role }, 'invite created');
        return invite;
      });
    },

    async revokeInvite(input) {
      const tenantId = tenantIdOf(input.tenantId);
      const actor = actorOf(input.actor);
      if (typeof input.inviteId !== 'string' || !UUID.test(input.inviteId)) throw new NotFoundError('invite_not_found', 'no such invite');
      return withDatabaseErrors(async () => {
        const at = now();
        await db.transaction(async (tx) => {
          const [row] = await tx
            .update(invites)
            .set({ revokedAt: at })
            .where(and(eq(invites.id, input.inviteId), eq(invites.tenantId, tenantId), isNull(invites.revokedAt)))
            .returning({ id: invites.id });
          if (!row) {
            const [existing] = await tx.select({ id: invites.id }).from(invites).where(and(eq(invites.id, input.inviteId), eq(invites.tenantId, tenantId)));
            if (!existing) throw new NotFoundError('invite_not_found', 'no such invite in this tenant');
            return; // already revoked: revoking twice changes nothing
          }
          await audit(tx, { tenantId, actor, action: 'invite.revoke', target: `invite:${row.id}`, at });
        });
      });
    },

    async redeemInvite(input) {
      const telegramUser = field('telegramUser', telegramUserSchema, input.telegramUser, 'is not a valid Telegram user');
      const code = typeof input.code === 'string' ? input.code.trim().toUpperCase() : '';
      const unknown = () => new NotFoundError('invite_unknown', 'This invite code is not valid. Check it for typos, or ask your desk admin for a new invite.');
      if (!CODE_SHAPE.test(code)) throw unknown();
      const actor = `telegram:${telegramUser.id}`;

      return withDatabaseErrors(async () => {
        const at = now();
        const result = await db.transaction(async (tx): Promise<Redemption & { joined: boolean }> => {
          const [invite] = await tx.select().from(invites).where(eq(invites.codeHash, sha256Hex(code))).limit(1);
          if (!invite) throw unknown();
          const tenant = await findTenant(tx, invite.tenantId);
          if (tenant.status !== 'active') throw new ConflictError('tenant_suspended', `The desk "${tenant.name}" is suspended; ask its admin or the operator.`);

          const profile = {
            username: telegramUser.username ?? null,
            firstName: telegramUser.firstName,
            lastName: telegramUser.lastName ?? null,
            languageCode: telegramUser.languageCode ?? null,
          };
          const [user] = await tx
            .insert(users)
            .values({ telegramId: telegramUser.id, ...profile, createdAt: at, updatedAt: at })
            .onConflictDoUpdate({ target: users.telegramId, set: { ...profile, updatedAt: at } })
            .returning();

          const [existing] = await tx
            .select()
            .from(memberships)
            .where(and(eq(memberships.tenantId, tenant.id), eq(memberships.userId, user!.id)))
            .for('update');

          // Tapping a link you already used (or one that has since expired) while already in
          // the desk with that role changes nothing: say so instead of reporting the invite.
          if (existing && existing.role === invite.role) {
            return { tenant, role: existing.role, alreadyMember: true, user: user!, joined: false };
          }

          const problem = inviteProblem(invite, at);
          if (problem) throw problem;

          // The use is taken by a conditional update, so of two people redeeming the last use
          // at once exactly one gets a row back; the other re-reads the invite to say why not.
          const [taken] = await tx
            .update(invites)
            .set({ uses: sql`${invites.uses} + 1` })
            .where(and(eq(invites.id, invite.id), isNull(invites.revokedAt), gt(invites.expiresAt, at), lt(invites.uses, invites.maxUses)))
            .returning({ uses: invites.uses });
          if (!taken) {
            const [fresh] = await tx.select().from(invites).where(eq(invites.id, invite.id));
            throw (fresh && inviteProblem(fresh, at)) ?? new ConflictError('invite_used_up', 'This invite has already been used. Ask the desk admin for a new one.');
          }

          if (existing) {
            // Role change by invite: the invite is an admin's explicit grant, so its role
            // replaces the member's current one (promotion or demotion alike) — except that a
            // desk never loses its last tenant admin this way.
            if (existing.role === 'tenant_admin') {
              const [admins] = await tx
                .select({ n: sql<number>`count(*)::int` })
                .from(memberships)
                .where(and(eq(memberships.tenantId, tenant.id), eq(memberships.role, 'tenant_admin')));
              if ((admins?.n ?? 0) <= 1) {
                throw new ConflictError(
                  'last_tenant_admin',
                  `You are the only desk admin of "${tenant.name}"; this invite would make you ${ROLE_LABELS[invite.role]}. Make someone else desk admin first.`,
                );
              }
            }
            await tx.update(memberships).set({ role: invite.role }).where(and(eq(memberships.tenantId, tenant.id), eq(memberships.userId, user!.id)));
            await audit(tx, {
              tenantId: tenant.id,
              actor,
              action: 'membership.role_change',
              target: `user:${user!.id}`,
              details: { inviteId: invite.id, from: existing.role, to: invite.role },
              at,
            });
            return { tenant, role: invite.role, alreadyMember: true, previousRole: existing.role, user: user!, joined: false };
          }

          const [created] = await tx
            .insert(memberships)
            .values({ tenantId: tenant.id, userId: user!.id, role: invite.role, createdAt: at })
            .onConflictDoNothing()
            .returning();
          // The same person redeeming twice at once: the other transaction added them first.
          if (!created) throw new ConflictError('membership_race', 'You joined this desk a moment ago; try again.');
          await audit(tx, {
            tenantId: tenant.id,
            actor,
            action: 'invite.redeem',
            target: `user:${user!.id}`,
            details: { inviteId: invite.id, role: invite.role, uses: taken.uses },
            at,
          });
          return { tenant, role: invite.role, alreadyMember: false, user: user!, joined: true };
        });

        const { joined, ...redemption } = result;
        if (joined) {
          log.info({ tenantId: redemption.tenant.id, userId: redemption.user.id, role: redemption.role }, 'member joined');
          emit({ type: 'member.joined', tenantId: redemption.tenant.id, userId: redemption.user.id, role: redemption.role, atMs: at.getTime() });
        }
        return redemption;
      });
    },

    async membershipsOf(telegramId) {
      if (!Number.isSafeInteger(telegramId) || telegramId <= 0) return [];
      return withDatabaseErrors(async () => {
        const rows = await db
          .select({ tenant: tenants, role: memberships.role, joinedAt: memberships.createdAt })
          .from(memberships)
          .innerJoin(users, eq(users.id, memberships.userId))
          .innerJoin(tenants, eq(tenants.id, memberships.tenantId))
          .where(eq(users.telegramId, telegramId))
          .orderBy(asc(memberships.createdAt), asc(tenants.name));
        return rows.map((row) => ({ ...row, tenantId: row.tenant.id, tenantName: row.tenant.name }));
      });
    },

    async membersOf(id) {
      const tenantId = tenantIdOf(id);
      return withDatabaseErrors(async () => {
        const rows = await db
          .select({ userId: users.id, telegramId: users.telegramId, firstName: users.firstName, username: users.username, role: memberships.role, joinedAt: memberships.createdAt })
          .from(memberships)
          .innerJoin(users, eq(users.id, memberships.userId))
          .where(eq(memberships.tenantId, tenantId))
          .orderBy(asc(memberships.createdAt));
        return rows.map((row) => ({ ...row, telegramId: Number(row.telegramId) }));
      });
    },

    async getTenant(id) {
      const tenantId = tenantIdOf(id);
      return withDatabaseErrors(() => findTenant(db, tenantId));
    },

    async listTenants() {
      return withDatabaseErrors(() => db.select().from(tenants).orderBy(asc(tenants.createdAt), asc(tenants.name)));
    },

    async setTenantStatus(input) {
      const tenantId = tenantIdOf(input.tenantId);
      const status: TenantStatus = field('status', statusSchema, input.status, `must be one of ${TENANT_STATUSES.join(', ')}`);
      const actor = actorOf(input.actor);
      return withDatabaseErrors(async () => {
        const at = now();
        return db.transaction(async (tx) => {
          const before = await findTenant(tx, tenantId, true);
          if (before.status === status) return before;
          const [after] = await tx.update(tenants).set({ status, updatedAt: at }).where(eq(tenants.id, tenantId)).returning();
          await audit(tx, { tenantId, actor, action: 'tenant.status', target: `tenant:${tenantId}`, details: { from: before.status, to: status }, at });
          return after!;
        });
      });
    },

    async getConfig(tenantId) {
      const id = tenantIdOf(tenantId);
      return withDatabaseErrors(async () => {
        const [row] = await db.select().from(tenantConfigs).where(eq(tenantConfigs.tenantId, id)).orderBy(desc(tenantConfigs.version)).limit(1);
        if (!row) {
          const tenant = await findTenant(db, id);
          return { tenantId: tenant.id, version: 0, config: parseTenantConfig(DEFAULT_TENANT_CONFIG), createdBy: 'system', createdAt: tenant.createdAt };
        }
        return { tenantId: row.tenantId, version: row.version, config: readStoredConfig(row.config), createdBy: row.createdBy, createdAt: row.createdAt };
      });
    },

    async updateConfig(tenantId, patch, actorInput) {
      const id = tenantIdOf(tenantId);
      const actor = actorOf(actorInput);
      if (!isConfigPatch(patch)) throw new InvalidInputError('config_invalid', 'config: the change must be an object of settings', { field: 'config' });
      return withDatabaseErrors(async () => {
        const at = now();
        const saved = await db.transaction(async (tx) => {
          // The tenant row lock serialises concurrent changes, so each one merges into the
          // version the previous one wrote instead of both claiming the same next version.
          await findTenant(tx, id, true);
          const [latest] = await tx.select().from(tenantConfigs).where(eq(tenantConfigs.tenantId, id)).orderBy(desc(tenantConfigs.version)).limit(1);
          const current = latest ? readStoredConfig(latest.config) : DEFAULT_TENANT_CONFIG;
          const config = parseTenantConfig(mergeConfig(current, patch));
          const version = (latest?.version ?? 0) + 1;
          await tx.insert(tenantConfigs).values({ tenantId: id, version, config, createdBy: actor, createdAt: at });
          await audit(tx, { tenantId: id, actor, action: 'config.update', target: `tenant:${id}`, details: { version, patch }, at });
          return { tenantId: id, version, config, createdBy: actor, createdAt: at };
        });
        log.info({ tenantId: id, version: saved.version }, 'tenant config updated');
        return saved;
      });
    },

    async auditTrail(query = {}) {
      const limit = field('limit', z.number().int().min(1).max(1000), query.limit ?? 100, 'must be a whole number from 1 to 1000');
      const tenantId = query.tenantId === undefined ? undefined : tenantIdOf(query.tenantId);
      return withDatabaseErrors(() =>
        db
          .select()
          .from(auditLog)
          .where(tenantId === undefined ? undefined : eq(auditLog.tenantId, tenantId))
          .orderBy(desc(auditLog.id))
          .limit(limit),
      );
    },
  };
}
