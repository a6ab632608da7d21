import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../core/logger';
import { openDatabase } from '../../../db';
import { startTsxChild } from '../../support/tsx-child';
import { databaseContract } from './contract';
import { pgliteDriver } from './drivers';

databaseContract(pgliteDriver);

describe('PGlite, the embedded Postgres', () => {
  it('runs with a 16MB buffer cache, which lives in this process\'s memory (Postgres\'s default is 128MB)', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'tp-pglite-buffers-'));
    const handle = await openDatabase({ dataDir, logger: createLogger({ level: 'silent', pretty: false }) });
    try {
      const result = await handle.db.execute(sql`select current_setting('shared_buffers') as shared_buffers`);
      expect(result.rows).toEqual([{ shared_buffers: '16MB' }]);
    } finally {
      await handle.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('returns the memory of its initdb as soon as a new directory is created', async () => {
    // initdb runs in a WebAssembly instance of its own, ≈ 400 MiB that only V8's next full
    // collection returns: left to V8, a fresh process held 670–770 MiB half a second after
    // opening a new directory (≈ 330–400 MiB once collected).
    const dataDir = await mkdtemp(path.join(tmpdir(), 'tp-pglite-initdb-'));
    const opener = await startTsxChild('pglite-open-rss.ts', [dataDir]);
    try {
      const { rssMiB } = JSON.parse(opener.readyLine) as { rssMiB: number };
      expect(rssMiB).toBeLessThan(550);
    } finally {
      await opener.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
