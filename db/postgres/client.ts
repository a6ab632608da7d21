import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { passwordOf, redactUrl } from '../../core/config';
import { UnavailableError } from '../../core/errors';
import { garbageCollector } from '../../core/gc';
import type { Logger } from '../../core/logger';
import { takeFileLock } from './dir-lock';
import { causeMessage, translateDatabaseError } from './errors';
import * as schema from './schema';

export type Schema = typeof schema;

/**
 * Raw results (`db.execute(sql`…`)`) as both drivers return them: node-postgres' QueryResult
 * and PGlite's Results share `rows`, and that is all a repository may rely on.
 */
export interface DatabaseQueryResultHKT extends PgQueryResultHKT {
  type: RowsResult<RowOf<this['row']>>;
}

export interface RowsResult<T> {
  rows: T[];
}

type RowOf<T> = T extends Record<string, unknown> ? T : Record<string, unknown>;

/**
 * The one database type repositories see, whichever driver is underneath: node-postgres
 * and PGlite databases (and their transactions) are all PgDatabase over this schema.
 */
export type Database = PgDatabase<DatabaseQueryResultHKT, Schema>;

export interface DatabaseHandle {
  db: Database;
  kind: 'postgres' | 'pglite';
  /** Applies the committed migrations; safe to run from several processes at once. */
  migrate(): Promise<void>;
  /** True when a trivial query succeeds right now; never throws. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgres://… → a node-postgres pool; unset → PGlite persisted at `${dataDir}/pg`. */
  databaseUrl?: string | undefined;
  dataDir: string;
  logger: Logger;
  /** How long opening (and each new pool connection) may take before it fails. */
  connectTimeoutMs?: number;
  poolSize?: number;
}

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('./migrations', import.meta.url));

/**
 * Session-level advisory lock held around migrate(): drizzle's migrator reads the last
 * applied migration outside its transaction, so two processes starting together would both
 * try to create the same types and tables. Any fixed 64-bit key works; this one spells "tpmigr".
 */
const MIGRATION_LOCK_KEY = 0x74706d696772n;

const PING_TIMEOUT_MS = 2_000;

/**
 * Postgres's buffer cache in the embedded database. PGlite keeps Postgres's default (128MB),
 * all of it in the process's WebAssembly heap, for a database that on a laptop holds a few
 * tenants: at 16MB a reopened PGlite measured 214–217 MiB of RSS against 326–344.
 */
const PGLITE_SHARED_BUFFERS = '16MB';

export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  return options.databaseUrl ? openPostgres(options.databaseUrl, options) : openPglite(options);
}

function hostOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}`;
  } catch {
    return '<invalid url>';
  }
}

async function openPostgres(databaseUrl: string, options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  const { logger } = options;
  const log = logger.child({ component: 'postgres', url: redactUrl(databaseUrl) });
  const password = passwordOf(databaseUrl);
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: connectTimeoutMs,
    idleTimeoutMillis: 30_000,
  });

  // A restarted server kills every pooled connection. Without these listeners node-postgres
  // re-emits that as an unhandled 'error' event and the whole process dies; with them the
  // dead connections are dropped and the next query opens a fresh one.
  pool.on('error', (err) => log.warn({ reason: causeMessage(err, password) }, 'idle postgres connection lost; it will be replaced'));
  pool.on('connect', (client) => {
    client.on('error', (err) => log.warn({ reason: causeMessage(err, password) }, 'postgres connection lost while in use'));
  });

  const unreachable = (error: unknown) =>
    new UnavailableError(
      'db_unreachable',
      `DATABASE_URL: cannot connect to Postgres at ${hostOf(databaseUrl)} (${redactUrl(databaseUrl)}): ${causeMessage(error, password)}`,
      error,
    );

  try {
    await pool.query('select 1');
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw unreachable(error);
  }
  log.info('connected to postgres');

  const db: Database = drizzleNodePg({ client: pool, schema });
  let closed: Promise<void> | undefined;

  return {
    db,
    kind: 'postgres',
    async migrate() {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw unreachable(error);
      }
      let broken = false;
      try {
        await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
        try {
          await migrateNodePg(drizzleNodePg({ client, schema }), { migrationsFolder: MIGRATIONS_FOLDER });
        } finally {
          await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]).catch((error: unknown) => {
            // The lock dies with the session; a connection that cannot unlock must not be reused.
            broken = true;
            log.warn({ reason: causeMessage(error, password) }, 'could not release the migration lock; dropping the connection');
          });
        }
        log.info('postgres migrations applied');
      } catch (error) {
        broken = true;
        throw translateDatabaseError(error);
      } finally {
        client.release(broken);
      }
    },
    async ping() {
      try {
        await withTimeout(pool.query('select 1'), PING_TIMEOUT_MS);
        return true;
      } catch {
        return false;
      }
    },
    close() {
      closed ??= pool.end();
      return closed;
    },
  };
}

async function openPglite(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  const dir = path.join(options.dataDir, 'pg');
  const log = options.logger.child({ component: 'pglite', dir });
  let client: PGlite;
  mkdirSync(options.dataDir, { recursive: true });
  // Beside the directory, not in it: PGlite's first start wants an empty directory.
  const taken = takeFileLock(path.join(options.dataDir, 'pg.lock'));
  if ('holder' in taken) {
    const { pid, since } = taken.holder;
    throw new UnavailableError(
      'pglite_in_use',
      `cannot open the embedded Postgres (PGlite) at ${dir}: another process is using it (PID ${pid}${since ? `, since ${since}` : ''}). One process at a time may open it: stop that process first (a running \`tradepilot start\` applies migrations itself), or set DATABASE_URL to a Postgres server`,
    );
  }
  const lock = taken.lock;
  // No PG_VERSION: PGlite creates the cluster (initdb) as it opens.
  const created = !existsSync(path.join(dir, 'PG_VERSION'));
  try {
    mkdirSync(dir, { recursive: true });
    client = new PGlite(dir, { startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${PGLITE_SHARED_BUFFERS}`] });
    await client.waitReady;
  } catch (error) {
    lock.release();
    throw new UnavailableError('pglite_open_failed', `cannot open the embedded Postgres (PGlite) at ${dir}: ${causeMessage(error)}`, error);
  }
  if (created) {
    // PGlite runs initdb in a WebAssembly instance of its own (≈ 400 MiB of memory) and drops
    // it once the cluster exists, but only a full collection returns that memory, and a quiet
    // process may not run one for half a minute: `tradepilot start` on a new DATA_DIR then sat
    // at ≈ 830 MiB instead of ≈ 450. The instance is let go just after waitReady settles.
    await new Promise((resolve) => setImmediate(resolve));
    garbageCollector()();
  }
  log.info({ created }, 'opened embedded postgres (PGlite); set DATABASE_URL to use a Postgres server');

  const pgliteDb = drizzlePglite({ client, schema });
  const db: Database = pgliteDb;
  let closed: Promise<void> | undefined;

  return {
    db,
    kind: 'pglite',
    async migrate() {
      // PGlite is one in-process connection: nothing else can run migrations beside us.
      try {
        await migratePglite(pgliteDb, { migrationsFolder: MIGRATIONS_FOLDER });
      } catch (error) {
        throw translateDatabaseError(error);
      }
      log.info('pglite migrations applied');
    },
    async ping() {
      try {
        if (client.closed) return false;
        await withTimeout(db.execute(sql`select 1`), PING_TIMEOUT_MS);
        return true;
      } catch {
        return false;
      }
    },
    close() {
      closed ??= (client.closed ? Promise.resolve() : client.close()).finally(() => lock.release());
      return closed;
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
