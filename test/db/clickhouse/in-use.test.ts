import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnavailableError } from '../../../core/errors';
import { createLogger } from '../../../core/logger';
import { openClickHouse } from '../../../db/clickhouse';
import { REPO, runCli } from '../../support/cli';

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

  it('tradepilot import says so in one line of its own, before chDB is asked (which would print its own)', async () => {
    const file = path.join(dataDir, 'EURUSD_M1.csv');
    await writeFile(file, '<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n2024.03.01\t00:00:00\t1.1\t1.2\t1.0\t1.1\t5\t0\t1\n');
    const run = await runCli(['import', file], { DATA_DIR: dataDir });
    expect(run.code).not.toBe(0);
    const lines = run.stderr.split('\n').filter((line) => line.trim() !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^tradepilot import: cannot open .* another process is using it \\(PID ${holder.pid}, since `));
  });

  it('says so when a socket file is there but nobody answers on it', async () => {
    const socket = path.join(dataDir, 'run', 'clickhouse.sock');
    await mkdir(path.dirname(socket), { recursive: true });
    await writeFile(socket, '');
    try {
      const error = (await openClickHouse({ dataDir, logger }).catch((e: unknown) => e)) as UnavailableError;
      expect(error.code).toBe('clickhouse_in_use');
      expect(error.message).toContain(`another process is using it (PID ${holder.pid}`);
      expect(error.message).toContain('It serves it to other commands, but did not answer (');
    } finally {
      await rm(socket);
    }
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

  it('is not fooled by a leftover status file whose PID now belongs to another program', async () => {
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    const dir = await mkdtemp(path.join(tmpdir(), 'tp-ch-reused-pid-'));
    try {
      await mkdir(path.join(dir, 'ch'), { recursive: true });
      await writeFile(path.join(dir, 'ch', 'status'), `PID: ${other.pid}\nStarted at: 2026-01-01 00:00:00\nRevision: 1\n`);
      const handle = await openClickHouse({ dataDir: dir, logger });
      try {
        expect(await handle.ping()).toBe(true);
      } finally {
        await handle.close();
      }
    } finally {
      other.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
