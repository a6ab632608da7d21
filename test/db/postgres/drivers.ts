import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '../../../core/logger';
import { openDatabase, type DatabaseHandle } from '../../../db/postgres';
import { createTestDatabase } from '../../support/services';

/**
 * The two relational drivers the contract suites run on. `openFresh()` gives an empty
 * database of its own: a new Postgres database on the shared server (others run tests
 * concurrently) or a new PGlite data directory.
 */
export interface FreshDatabase {
  handle: DatabaseHandle;
  /** Opens a second handle on the same database (another "process"). */
  reopen(): Promise<DatabaseHandle>;
  cleanup(): Promise<void>;
}

export interface Driver {
  kind: 'postgres' | 'pglite';
  openFresh(): Promise<FreshDatabase>;
}

export const silentLogger = createLogger({ level: 'silent', pretty: false });

export const postgresDriver: Driver = {
  kind: 'postgres',
  async openFresh() {
    const database = await createTestDatabase();
    const opened: DatabaseHandle[] = [];
    const open = async () => {
      const handle = await openDatabase({ databaseUrl: database.url, dataDir: '/nonexistent', logger: silentLogger });
      opened.push(handle);
      return handle;
    };
    const handle = await open();
    return {
      handle,
      reopen: open,
      async cleanup() {
        await Promise.all(opened.map((h) => h.close()));
        await database.drop();
      },
    };
  },
};

export const pgliteDriver: Driver = {
  kind: 'pglite',
  async openFresh() {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'tp-pglite-'));
    let handle = await openDatabase({ dataDir, logger: silentLogger });
    return {
      handle,
      // PGlite is one process's database: a second handle means closing the first.
      async reopen() {
        await handle.close();
        handle = await openDatabase({ dataDir, logger: silentLogger });
        return handle;
      },
      async cleanup() {
        await handle.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  },
};
