import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnavailableError } from '../../../core/errors';
import { createLogger } from '../../../core/logger';
import { openClickHouse } from '../../../db/clickhouse';
import { REPO } from '../../support/cli';

// A laptop user runs `tradepilot start` and, in another terminal, `tradepilot import`: both
// want the same embedded ClickHouse, which one process at a time may open.

const logger = createLogger({ level: 'silent', pretty: false });

/** A process that opens chDB in `dir` and keeps it open until killed. */
const HOLDER = `
const { Session } = require('chdb');
const session = new Session(process.argv[1]);
session.query('SELECT 1');
process.stdout.write('open\\n');
setInterval(() => {}, 1000);
`;

describe('embedded ClickHouse held by another process', () => {
  let dataDir: string;
  let holder: ChildProcess;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tp-ch-in-use-'));
    holder = spawn(process.execPath, ['-e', HOLDER, path.join(dataDir, 'ch')], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      holder.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('open')) resolve();
      });
      holder.once('exit', (code) => reject(new Error(`the holder exited (${code}) before opening chDB`)));
    });
  });
  afterAll(async () => {
    if (holder && holder.exitCode === null && holder.signalCode === null) {
      const exited = new Promise((resolve) => holder.once('exit', resolve));
      holder.kill('SIGKILL');
      await exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it('names the process that holds it and what to do instead', async () => {
    const opening = openClickHouse({ dataDir, logger });
    await expect(opening).rejects.toBeInstanceOf(UnavailableError);
    const error = (await opening.catch((e: unknown) => e)) as UnavailableError;
    expect(error.code).toBe('clickhouse_in_use');
    expect(error.message).toContain(`another process is using it (PID ${holder.pid}, since `);
    expect(error.message).toContain('set CLICKHOUSE_URL to a ClickHouse server');
    expect(error.message).toContain(path.join(dataDir, 'ch'));
  });

  it('opens it once that process has died, whatever it left behind', async () => {
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    holder.kill('SIGKILL');
    await exited;
    const handle = await openClickHouse({ dataDir, logger });
    try {
      expect(await handle.ping()).toBe(true);
    } finally {
      await handle.close();
    }
  });
});
