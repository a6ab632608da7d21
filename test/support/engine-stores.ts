import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../core/logger';
import { createSharedState, openClickHouse, openDatabase, type ClickHouseHandle, type DatabaseHandle, type SharedState } from '../../db';

export interface EngineStores {
  clickhouse: ClickHouseHandle;
  database: DatabaseHandle;
  shared: SharedState;
  /** Closes everything and removes the directory. */
  close(): Promise<void>;
}

/**
 * chDB, PGlite and an in-process bus in one fresh directory: what an embedded engine runs on
 * (one per test file: chDB binds one data directory per process).
 */
export async function openEngineStores(): Promise<EngineStores> {
  const logger = createLogger({ level: 'silent', pretty: false });
  const dataDir = await mkdtemp(join(tmpdir(), 'tp-engine-'));
  const clickhouse = await openClickHouse({ dataDir, logger });
  await clickhouse.migrate();
  const database = await openDatabase({ dataDir, logger });
  await database.migrate();
  const shared = await createSharedState({ logger });
  return {
    clickhouse,
    database,
    shared,
    async close() {
      await shared.close();
      await database.close();
      await clickhouse.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
