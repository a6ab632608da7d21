import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '../../core/logger';
import { createMarketDataRepository, openClickHouse, type ClickHouseHandle, type MarketDataRepository } from '../../db/clickhouse';

export interface TempClickHouse {
  handle: ClickHouseHandle;
  repository: MarketDataRepository;
  dataDir: string;
  /** Closes chDB and removes the directory. */
  close(): Promise<void>;
}

/**
 * A migrated embedded ClickHouse (chDB) in a fresh temporary directory, for one test file:
 * chDB binds one data directory per process, and vitest runs each file in its own fork.
 */
export async function openTempClickHouse(prefix: string): Promise<TempClickHouse> {
  const dataDir = await mkdtemp(path.join(tmpdir(), `tp-${prefix}-`));
  const handle = await openClickHouse({ dataDir, logger: createLogger({ level: 'silent', pretty: false }) });
  await handle.migrate();
  return {
    handle,
    repository: createMarketDataRepository(handle.client),
    dataDir,
    async close() {
      await handle.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
