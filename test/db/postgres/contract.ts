import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../core/crypto';
import { auditLog, invites, isUniqueViolation, memberships, tenantConfigs, tenants, users, type Database, type DatabaseHandle } from '../../../db/postgres';
import type { Driver, FreshDatabase } from './drivers';

const TABLES = ['audit_log', 'bridge_tokens', 'invites', 'memberships', 'tenant_configs', 'tenants', 'users'];

async function tableNames(db: Database): Promise<string[]> {
  const result = await db.execute<{ table_name: string }>(
    sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`,
  );
  return result.rows.map((row) => row.table_name);
}

async function appliedMigrations(db: Database): Promise<number> {
  const result = await db.execute<{ n: number }>(sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
  return Number(result.rows[0]?.n);
}

/** Failing statement → the driver error underneath drizzle's wrapper. */
async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the statement to fail');
}

function sqlState(error: unknown): string | undefined {
  let current: unknown = error;
  while (current) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The relational storage contract, run once per driver. */
export function databaseContract(driver: Driver): void {
  describe(`relational schema on ${driver.kind}`, () => {
    let fresh: FreshDatabase;
    let handle: DatabaseHandle;
    let db: Database;

    beforeAll(async () => {
      fresh = await driver.openFresh();
      handle = fresh.handle;
      db = handle.db;
    });
    afterAll(async () => {
      await fresh?.cleanup();
    });

    it(`reports its kind as ${driver.kind} and answers ping`, async () => {
      expect(handle.kind).toBe(driver.kind);
      expect(await handle.ping()).toBe(true);
    });

    it('applies the migrations to an empty database', async () => {
      expect(await tableNames(db)).toEqual([]);
      await handle.migrate();
      expect(await tableNames(db)).toEqual(TABLES);
      expect(await appliedMigrations(db)).toBeGreaterThanOrEqual(1);
    });

    it('applying the migrations again changes nothing', async () => {
      const before = await appliedMigrations(db);
      await db.insert(tenants).values({ name: 'Kept Desk', plan: 'pro' });
      await handle.migrate();
      await handle.migrate();
      expect(await appliedMigrations(db)).toBe(before);
      expect(await tableNames(db)).toEqual(TABLES);
      const kept = await db.select().from(tenants).where(eq(tenants.name, 'Kept Desk'));
      expect(kept).toHaveLength(1);
      expect(kept[0]!.status).toBe('active');
      expect(kept[0]!.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(kept[0]!.createdAt).toBeInstanceOf(Date);
    });

    it('keeps telegram ids unique and round-trips them as numbers', async () => {
      const telegramId = 7_000_000_000_123; // beyond 32 bits, as Telegram ids now are
      await db.insert(users).values({ telegramId, firstName: 'Ada' });
      const [stored] = await db.select().from(users).where(eq(users.telegramId, telegramId));
      expect(stored!.telegramId).toBe(telegramId);
      const error = await failureOf(db.insert(users).values({ telegramId, firstName: 'Copy' }));
      expect(isUniqueViolation(error, 'users_telegram_id_unique')).toBe(true);
    });

    it('allows one membership per tenant and user, and one invite per code hash', async () => {
      const [tenant] = await db.insert(tenants).values({ name: 'Unique Desk', plan: 'free' }).returning();
      const [user] = await db.insert(users).values({ telegramId: 42_001, firstName: 'Bo' }).returning();
      await db.insert(memberships).values({ tenantId: tenant!.id, userId: user!.id, role: 'analyst' });
      const duplicate = await failureOf(db.insert(memberships).values({ tenantId: tenant!.id, userId: user!.id, role: 'tenant_admin' }));
      expect(sqlState(duplicate)).toBe('23505');

      const invite = { tenantId: tenant!.id, codeHash: sha256Hex('SAMECODE1234'), role: 'analyst' as const, expiresAt: new Date(Date.now() + 3_600_000), createdBy: 'operator' };
      await db.insert(invites).values(invite);
      expect(isUniqueViolation(await failureOf(db.insert(invites).values(invite)), 'invites_code_hash_unique')).toBe(true);
    });

    it('refuses an invite used more often than allowed', async () => {
      const [tenant] = await db.insert(tenants).values({ name: 'Check Desk', plan: 'free' }).returning();
      const [invite] = await db
        .insert(invites)
        .values({ tenantId: tenant!.id, codeHash: sha256Hex('CHECKCODE234'), role: 'analyst', expiresAt: new Date(Date.now() + 3_600_000), maxUses: 1, uses: 1, createdBy: 'operator' })
        .returning();
      const error = await failureOf(db.update(invites).set({ uses: sql`${invites.uses} + 1` }).where(eq(invites.id, invite!.id)));
      expect(sqlState(error)).toBe('23514');
    });

    it('versions tenant configs by (tenant, version)', async () => {
      const [tenant] = await db.insert(tenants).values({ name: 'Config Desk', plan: 'enterprise' }).returning();
      await db.insert(tenantConfigs).values({ tenantId: tenant!.id, version: 1, config: { symbols: ['EURUSD'], nested: { a: 1 } }, createdBy: 'operator' });
      const error = await failureOf(db.insert(tenantConfigs).values({ tenantId: tenant!.id, version: 1, config: {}, createdBy: 'operator' }));
      expect(sqlState(error)).toBe('23505');
      const [row] = await db.select().from(tenantConfigs).where(eq(tenantConfigs.tenantId, tenant!.id));
      expect(row!.config).toEqual({ symbols: ['EURUSD'], nested: { a: 1 } });
    });

    it('deleting a tenant removes its members, invites and configs but keeps its audit trail', async () => {
      const [tenant] = await db.insert(tenants).values({ name: 'Gone Desk', plan: 'free' }).returning();
      const [user] = await db.insert(users).values({ telegramId: 42_002, firstName: 'Cy' }).returning();
      await db.insert(memberships).values({ tenantId: tenant!.id, userId: user!.id, role: 'tenant_admin' });
      await db.insert(invites).values({ tenantId: tenant!.id, codeHash: sha256Hex('GONECODE2345'), role: 'analyst', expiresAt: new Date(), createdBy: 'operator' });
      await db.insert(tenantConfigs).values({ tenantId: tenant!.id, version: 1, config: {}, createdBy: 'operator' });
      const [entry] = await db.insert(auditLog).values({ tenantId: tenant!.id, actor: 'operator', action: 'tenant.create', target: `tenant:${tenant!.id}`, details: { plan: 'free' } }).returning();

      await db.delete(tenants).where(eq(tenants.id, tenant!.id));

      expect(await db.select().from(memberships).where(eq(memberships.tenantId, tenant!.id))).toEqual([]);
      expect(await db.select().from(invites).where(eq(invites.tenantId, tenant!.id))).toEqual([]);
      expect(await db.select().from(tenantConfigs).where(eq(tenantConfigs.tenantId, tenant!.id))).toEqual([]);
      const [kept] = await db.select().from(auditLog).where(eq(auditLog.id, entry!.id));
      expect(kept!.tenantId).toBeNull();
      expect(kept!.details).toEqual({ plan: 'free' });
      expect(typeof kept!.id).toBe('number');
      // The user lives on: they may belong to other desks.
      expect(await db.select().from(users).where(eq(users.id, user!.id))).toHaveLength(1);
    });

    it('commits and rolls back transactions', async () => {
      await db.transaction(async (tx) => {
        await tx.insert(tenants).values({ name: 'Tx Kept', plan: 'free' });
      });
      await expect(
        db.transaction(async (tx) => {
          await tx.insert(tenants).values({ name: 'Tx Dropped', plan: 'free' });
          throw new Error('abort on purpose');
        }),
      ).rejects.toThrow('abort on purpose');
      expect(await db.select().from(tenants).where(eq(tenants.name, 'Tx Kept'))).toHaveLength(1);
      expect(await db.select().from(tenants).where(eq(tenants.name, 'Tx Dropped'))).toHaveLength(0);
    });

    it('keeps the data when the database is opened again', async () => {
      const again = await fresh.reopen();
      await again.migrate();
      const rows = await again.db.select().from(tenants).where(eq(tenants.name, 'Kept Desk'));
      expect(rows).toHaveLength(1);
      handle = again;
      db = again.db;
    });

    it('ping reports false once closed, and close can be called twice', async () => {
      const extra = await fresh.reopen();
      await extra.close();
      await extra.close();
      expect(await extra.ping()).toBe(false);
    });
  });
}
