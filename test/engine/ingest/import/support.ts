import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { CommandContext } from '../../../../cli/command';
import { createLogger } from '../../../../core/logger';
import { createMarketDataRepository, openClickHouse, type MarketDataRepository } from '../../../../db';

/** Third-party test data beside the checkout (see ../shared/data/PROVENANCE.md). */
export const DATA = fileURLToPath(new URL('../../../../../shared/data/mt5/', import.meta.url));
export const EURUSD_H1 = path.join(DATA, 'EURUSD_H1_export_crlf.csv');
export const BTCUSD_EA_JSON = path.join(DATA, 'BTCUSD_ea_ticks_20260307.json');
export const EURUSD_ROWS = 3608;
export const BTCUSD_TICKS = 694;

export const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

export const silentLogger = createLogger({ level: 'silent', pretty: false });

export async function tempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** `bytes` written to `dir/name` (created); returns the path. */
export async function writeAt(dir: string, name: string, bytes: string | Buffer): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  return file;
}

/** The EURUSD export cut after `dataLines` data lines (header kept), CRLF as in the original. */
export async function eurusdHead(dataLines: number): Promise<string> {
  const text = await readFile(EURUSD_H1, 'utf8');
  return `${text.split('\r\n').slice(0, dataLines + 1).join('\r\n')}\r\n`;
}

export function utf16leWithBom(text: string): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
}

/** MT5's "YYYY.MM.DD\tHH:MM:SS" (the file's broker time) as if it were UTC, in epoch ms. */
export function brokerMs(date: string, time: string): number {
  const [y, mo, d] = date.split('.').map(Number);
  const [h, mi, s] = time.split(':').map(Number);
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
}

/** Opens chDB on `dataDir` for the duration of `fn` (children may then open it again). */
export async function withMarketData<T>(dataDir: string, fn: (repo: MarketDataRepository, query: <R>(sql: string) => Promise<R[]>) => Promise<T>): Promise<T> {
  const handle = await openClickHouse({ dataDir, logger: silentLogger });
  try {
    await handle.migrate();
    const query = async <R>(sql: string) => (await handle.client.query({ query: sql, format: 'JSONEachRow' })).json<R>();
    return await fn(createMarketDataRepository(handle.client), query);
  } finally {
    await handle.close();
  }
}

/** A CommandContext whose stdout/stderr are captured as text. */
export function captureContext(env: Record<string, string | undefined>, options: { stderrIsTTY?: boolean } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (chunks: string[]) =>
    new Writable({
      write(chunk, _encoding, done) {
        chunks.push(String(chunk));
        done();
      },
    });
  const stderr = Object.assign(sink(err), options.stderrIsTTY ? { isTTY: true, columns: 100 } : {});
  const ctx: CommandContext = { stdout: sink(out), stderr, env, verbose: false };
  return { ctx, stdout: () => out.join(''), stderr: () => err.join('') };
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function cliArgv(args: readonly string[]): string[] {
  return ['bin/tradepilot.mjs', ...args];
}

/** Runs the CLI as a user would, in a child process; `onStderr` sees stderr as it arrives. */
export function runCli(
  args: readonly string[],
  env: Record<string, string>,
  options: { onStderr?: (text: string, kill: () => void) => void } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cliArgv(args), {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      options.onStderr?.(stderr, () => child.kill('SIGKILL'));
    });
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
