import net from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnavailableError } from '../../../core/errors';
import { openDatabase, tenants, withDatabaseErrors, type DatabaseHandle } from '../../../db/postgres';
import { createTcpProxy, type TcpProxy } from '../../support/tcp-proxy';
import { TEST_DATABASE_URL, createTestDatabase } from '../../support/services';
import { databaseContract } from './contract';
import { postgresDriver, silentLogger } from './drivers';

databaseContract(postgresDriver);

describe('opening Postgres', () => {
  it('rejects an unreachable DATABASE_URL quickly, naming it and the host but not the password', async () => {
    const started = Date.now();
    const error = await openDatabase({ databaseUrl: 'postgres://postgres:Sup3rSecretPw@127.0.0.1:1/x', dataDir: '/nonexistent', logger: silentLogger }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(UnavailableError);
    const message = (error as Error).message;
    expect(message).toContain('DATABASE_URL');
    expect(message).toContain('127.0.0.1:1');
    expect(message).toMatch(/ECONNREFUSED/);
    expect(message).not.toContain('Sup3rSecretPw');
  });

  it('gives up on a server that accepts the connection but never answers, within the connect timeout', async () => {
    const silent = net.createServer(() => undefined); // accepts, then says nothing
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const started = Date.now();
      const error = await openDatabase({ databaseUrl: `postgres://postgres@127.0.0.1:${port}/x`, dataDir: '/nonexistent', logger: silentLogger, connectTimeoutMs: 1_000 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      const elapsed = Date.now() - started;
      expect(error).toBeInstanceOf(UnavailableError);
      expect((error as Error).message).toContain(`127.0.0.1:${port}`);
      expect((error as Error).message).toMatch(/timeout/i);
      expect(elapsed).toBeGreaterThanOrEqual(900);
      expect(elapsed).toBeLessThan(4_000);
    } finally {
      silent.close();
    }
  });
});

describe('migrating Postgres from several processes at once', () => {
  let database: { url: string; drop: () => Promise<void> };
  const handles: DatabaseHandle[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await Promise.all(handles.map((h) => h.close()));
    await database?.drop();
  });

  it('applies each migration exactly once when four openers migrate together', async () => {
    for (let i = 0; i < 4; i++) handles.push(await openDatabase({ databaseUrl: database.url, dataDir: '/nonexistent', logger: silentLogger }));
    await Promise.all(handles.map((h) => h.migrate()));
    const result = await handles[0]!.db.execute<{ n: number }>(sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
    const journal = (await import('../../../db/postgres/migrations/meta/_journal.json', { with: { type: 'json' } })).default as { entries: unknown[] };
    expect(Number(result.rows[0]?.n)).toBe(journal.entries.length);
  });
});

describe('Postgres going away while running', () => {
  let database: { url: string; drop: () => Promise<void> };
  let proxy: TcpProxy;
  let handle: DatabaseHandle;

  beforeAll(async () => {
    database = await createTestDatabase();
    const target = new URL(TEST_DATABASE_URL);
    proxy = await createTcpProxy(target.hostname, Number(target.port || 5432));
    handle = await openDatabase({ databaseUrl: proxy.url(database.url), dataDir: '/nonexistent', logger: silentLogger, connectTimeoutMs: 2_000 });
    await handle.migrate();
  });
  afterAll(async () => {
    await handle?.close();
    await proxy?.close();
    await database?.drop();
  });

  it('fails queries with UnavailableError while the server is down and recovers when it is back', async () => {
    // Fill the pool with idle connections, then hold one inside a transaction.
    await Promise.all([1, 2, 3].map(() => handle.db.execute(sql`select pg_sleep(0.05)`)));
    let cut!: () => void;
    const wasCut = new Promise<void>((resolve) => (cut = resolve));
    const inTransaction = withDatabaseErrors(() =>
      handle.db.transaction(async (tx) => {
        await tx.insert(tenants).values({ name: 'Half Written', plan: 'free' });
        cut();
        await new Promise((resolve) => setTimeout(resolve, 300));
        await tx.execute(sql`select 1`);
      }),
    );
    await wasCut;
    await proxy.cut();

    await expect(inTransaction).rejects.toBeInstanceOf(UnavailableError);
    const down = await withDatabaseErrors(() => handle.db.select().from(tenants)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(down).toBeInstanceOf(UnavailableError);
    expect((down as UnavailableError).code).toBe('db_unavailable');
    expect(await handle.ping()).toBe(false);

    await proxy.restore();
    expect(await handle.ping()).toBe(true);
    const rows = await withDatabaseErrors(() => handle.db.select().from(tenants));
    expect(rows.map((r) => r.name)).not.toContain('Half Written');
  });
});
