import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openClickHouse } from '../../../db/clickhouse';
import { captureLogger } from '../../support/logs';

// Sharing the embedded ClickHouse is a convenience: where DATA_DIR cannot hold the socket, the
// process that holds the store (tradepilot start) runs as it did without it.

describe('a holder that cannot serve its embedded ClickHouse', () => {
  it('opens it all the same and says why the store is not shared', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'tp-ch-share-unavailable-'));
    // A file where the socket's directory should be.
    await writeFile(path.join(dataDir, 'run'), 'not a directory');
    const { logger, lines } = captureLogger('warn');
    const handle = await openClickHouse({ dataDir, logger, share: true });
    try {
      expect(handle.kind).toBe('chdb');
      expect(await handle.ping()).toBe(true);
      expect(existsSync(path.join(dataDir, 'run', 'clickhouse.sock'))).toBe(false);
      const warning = lines().find((line) => String(line.msg).includes('cannot serve'));
      expect(warning, JSON.stringify(lines())).toBeDefined();
      expect(warning).toMatchObject({ level: 40, reason: expect.stringMatching(/EEXIST|ENOTDIR/) });
    } finally {
      await handle.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
