import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  check,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

/**
 * The relational schema (Postgres and PGlite alike). Migrations under ./migrations are
 * generated from this file with `npx drizzle-kit generate`; never edit them by hand.
 */

export const TENANT_PLANS = ['free', 'pro', 'enterprise'] as const;
export const TENANT_STATUSES = ['active', 'suspended'] as const;
export const MEMBER_ROLES = ['tenant_admin', 'portfolio_manager', 'analyst', 'api_user'] as const;

export type TenantPlan = (typeof TENANT_PLANS)[number];
export type TenantStatus = (typeof TENANT_STATUSES)[number];
export type MemberRole = (typeof MEMBER_ROLES)[number];

export const tenantPlan = pgEnum('tenant_plan', TENANT_PLANS);
export const tenantStatus = pgEnum('tenant_status', TENANT_STATUSES);
export const memberRole = pgEnum('member_role', MEMBER_ROLES);

const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();

export const tenants = pgTable('tenants', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  plan: tenantPlan('plan').notNull().default('free'),
  status: tenantStatus('status').notNull().default('active'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const users = pgTable('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  // Telegram user ids use up to 52 bits: a JS number holds them exactly.
  telegramId: bigint('telegram_id', { mode: 'number' }).notNull().unique('users_telegram_id_unique'),
  username: text('username'),
  firstName: text('first_name').notNull(),
  lastName: text('last_name'),
  languageCode: text('language_code'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const memberships = pgTable(
  'memberships',
  {
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    role: memberRole('role').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ name: 'memberships_pk', columns: [t.tenantId, t.userId] }),
    // "Which desks is this Telegram user in?" runs on every update the bot handles.
    index('memberships_user_idx').on(t.userId),
  ],
);

export const invites = pgTable(
  'invites',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    /** sha256 hex of the code; the code itself is shown once and never stored. */
    codeHash: text('code_hash').notNull(),
    role: memberRole('role').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    maxUses: integer('max_uses').notNull().default(1),
    uses: integer('uses').notNull().default(0),
    createdBy: text('created_by').notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('invites_code_hash_unique').on(t.codeHash),
    index('invites_tenant_idx').on(t.tenantId),
    check('invites_uses_within_max', sql`${t.uses} >= 0 AND ${t.uses} <= ${t.maxUses}`),
    check('invites_max_uses_positive', sql`${t.maxUses} >= 1`),
  ],
);

/** Versioned: every change is a new row, so a desk can see (and roll back to) what it ran with. */
export const tenantConfigs = pgTable(
  'tenant_configs',
  {
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    config: jsonb('config').$type<Record<string, unknown>>().notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ name: 'tenant_configs_pk', columns: [t.tenantId, t.version] }), check('tenant_configs_version_positive', sql`${t.version} >= 1`)],
);

export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    // Audit rows outlive the tenant they describe: deleting a tenant keeps its history.
    tenantId: uuid('tenant_id').references(() => tenants.id, { onDelete: 'set null' }),
    /** "operator", "telegram:<user id>", "api_key:<key id>", "system". */
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    target: text('target'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('audit_log_tenant_at_idx').on(t.tenantId, t.at), index('audit_log_at_idx').on(t.at)],
);

export type Tenant = typeof tenants.$inferSelect;
export type User = typeof users.$inferSelect;
export type Membership = typeof memberships.$inferSelect;
export type Invite = typeof invites.$inferSelect;
export type TenantConfigRow = typeof tenantConfigs.$inferSelect;
export type AuditEntry = typeof auditLog.$inferSelect;

/**
 * Credentials an MT5 terminal's bridge EA sends in its `hello` frame. The token is shown
 * once when issued and only its sha256 is kept; `last_used_at` is refreshed at most once a
 * minute so that reconnect storms do not turn into a write per connection.
 */
export const bridgeTokens = pgTable(
  'bridge_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** sha256 hex of the token. */
    tokenHash: text('token_hash').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [uniqueIndex('bridge_tokens_token_hash_unique').on(t.tokenHash), index('bridge_tokens_tenant_idx').on(t.tenantId)],
);

export type BridgeTokenRow = typeof bridgeTokens.$inferSelect;
