import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../core/logger';
import { openDatabase } from '../../../db';
import { takeFileLock } from '../../../db/postgres/dir-lock';
import { startTsxChild } from '../../support/tsx-child';

const logger = createLogger({ level: 'silent', pretty: false });

/** A child process that takes `file` and keeps it; resolves with what it said (held / refused PID). */
async function holdInChild(file: string): Promise<{ child: ChildProcess; said: string }> {
  const { child, readyLine } = await startTsxChild('file-lock-holder.ts', [file]);
  return { child, said: readyLine };
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

describe('takeFileLock', () => {
  let dir: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tp-file-lock-'));
  });
  afterEach(async () => {
    for (const child of children.splice(0)) await kill(child);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is taken once: a second take, in this process or another, names the holder', async () => {
    const file = path.join(dir, 'a.lock');
    const first = takeFileLock(file);
    expect('lock' in first).toBe(true);
    expect(takeFileLock(file)).toEqual({ holder: { pid: process.pid, since: expect.any(String) } });
    const other = await holdInChild(file);
    children.push(other.child);
    expect(other.said).toBe(`refused ${process.pid}`);
    if ('lock' in first) first.lock.release();
    expect(existsSync(file)).toBe(false);
  });

  it('is refused while another live process holds it, and taken once that process has died', async () => {
    const file = path.join(dir, 'b.lock');
    const holder = await holdInChild(file);
    children.push(holder.child);
    expect(holder.said).toBe('held');
    expect(takeFileLock(file)).toEqual({ holder: { pid: holder.child.pid, since: expect.any(String) } });
    await kill(holder.child);
    const taken = takeFileLock(file);
    expect('lock' in taken).toBe(true);
    expect(await readFile(file, 'utf8')).toContain(`PID: ${process.pid}\n`);
    if ('lock' in taken) taken.lock.release();
  });

  it('replaces a leftover whose PID now belongs to a program that does not have it open', async () => {
    const file = path.join(dir, 'c.lock');
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    children.push(other);
    await writeFile(file, `PID: ${other.pid}\nSince: 2026-01-01T00:00:00.000Z\n`);
    const taken = takeFileLock(file);
    expect('lock' in taken).toBe(true);
    if ('lock' in taken) taken.lock.release();
  });
});

describe('the embedded Postgres (PGlite) is opened by one process at a time', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tp-pglite-lock-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses a second open while the first is open, naming the holder, and opens again after close', async () => {
    const first = await openDatabase({ dataDir, logger });
    try {
      const second = openDatabase({ dataDir, logger });
      await expect(second).rejects.toMatchObject({ code: 'pglite_in_use' });
      const error = (await second.catch((e: unknown) => e)) as Error;
      expect(error.message).toContain(`cannot open the embedded Postgres (PGlite) at ${path.join(dataDir, 'pg')}: another process is using it (PID ${process.pid}, since `);
      expect(error.message).toContain('or set DATABASE_URL to a Postgres server');
    } finally {
      await first.close();
    }
    const again = await openDatabase({ dataDir, logger });
    try {
      expect(await again.ping()).toBe(true);
    } finally {
      await again.close();
    }
    expect(existsSync(path.join(dataDir, 'pg.lock'))).toBe(false);
  });
});
