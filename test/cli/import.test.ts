import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCommand } from '../../cli/import';
import { renderProgress } from '../../cli/progress';
import { createLogger } from '../../core/logger';
import { createMarketDataRepository, openClickHouse } from '../../db/clickhouse';
import { startCli, type RunningPlatform } from '../support/cli';
import { startHolder, type Holder } from '../support/clickhouse-holder-process';
import {
  BTCUSD_EA_JSON,
  BTCUSD_TICKS,
  EURUSD_H1,
  EURUSD_ROWS,
  REPO,
  captureContext,
  runCli,
  tempDir,
  utf16leWithBom,
  withMarketData,
  writeAt,
} from '../engine/ingest/import/support';

const JSON_KEYS = ['rows', 'accepted', 'rejected', 'symbol', 'from', 'to'];

function lastLine(text: string): string {
  const lines = text.trimEnd().split('\n');
  return lines[lines.length - 1]!;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** An MT5 M1 bars export of `rows` bars from 2024-01-01, tab-separated, CRLF, with header. */
function generatedBars(rows: number): string {
  const parts = ['<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>'];
  const start = Date.UTC(2024, 0, 1);
  for (let i = 0; i < rows; i++) {
    const t = new Date(start + i * 60_000);
    const open = 1.1 + (i % 500) / 100_000;
    parts.push(
      `${t.getUTCFullYear()}.${pad(t.getUTCMonth() + 1)}.${pad(t.getUTCDate())}\t${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:00\t${open.toFixed(5)}\t${(open + 0.0002).toFixed(5)}\t${(open - 0.0001).toFixed(5)}\t${(open + 0.0001).toFixed(5)}\t${i % 97}\t0\t7`,
    );
  }
  return `${parts.join('\r\n')}\r\n`;
}

// One chDB data directory for the whole file: the children and this process (to count)
// open it in turn, never at the same time.
describe('tradepilot import', () => {
  let data: { dir: string; remove: () => Promise<void> };
  let files: { dir: string; remove: () => Promise<void> };
  let env: Record<string, string>;

  beforeAll(async () => {
    data = await tempDir('tp-cli-import-ch-');
    files = await tempDir('tp-cli-import-files-');
    env = { DATA_DIR: data.dir };
  });
  afterAll(async () => {
    await data?.remove();
    await files?.remove();
  });

  describe('as a child process', () => {
    it('imports the EURUSD export with --json: the last stdout line is the summary, in UTC after the offset', async () => {
      const run = await runCli(['import', EURUSD_H1, '--tz-offset', '+02:00', '--json'], env);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const summary = JSON.parse(lastLine(run.stdout)) as Record<string, unknown>;
      expect(Object.keys(summary)).toEqual(JSON_KEYS);
      // The file's first and last bars are 2025.06.23 00:00 and 2026.01.21 10:00 server time (UTC+2).
      expect(summary).toEqual({ rows: EURUSD_ROWS, accepted: EURUSD_ROWS, rejected: {}, symbol: 'EURUSD', from: '2025-06-22T22:00:00.000Z', to: '2026-01-21T08:00:00.000Z' });
      const stored = await withMarketData(data.dir, async (repo) => {
        const bars = await repo.lastBars('EURUSD', 'H1', EURUSD_ROWS + 1);
        return { count: bars.length, first: bars[0]?.timeMs, last: bars.at(-1)?.timeMs };
      });
      expect(stored).toEqual({ count: EURUSD_ROWS, first: Date.parse('2025-06-22T22:00:00Z'), last: Date.parse('2026-01-21T08:00:00Z') });
    });

    it('loads only the packages an import needs: none of the platform\'s, and not zod', async () => {
      // Each package loaded stays in the process's memory, which is the import's peak.
      const log = path.join(files.dir, 'packages.log');
      const preload = pathToFileURL(path.join(REPO, 'test/support/package-log.mjs')).href;
      const run = await runCli(['import', EURUSD_H1, '--json'], { ...env, NODE_OPTIONS: `--import ${preload}`, TP_PACKAGE_LOG: log });
      expect(run.code, run.stderr).toBe(0);
      const packages = new Set((await readFile(log, 'utf8')).trim().split('\n'));
      expect(packages).toContain('chdb/connection');
      expect(packages).toContain('pino');
      for (const heavy of ['zod', 'fastify', 'grammy', 'prom-client', 'pg', 'ioredis', '@electric-sql/pglite', 'drizzle-orm', 'onnxruntime-node']) {
        expect(packages, `${heavy} was loaded`).not.toContain(heavy);
      }
    });

    it('runs with V8\'s gc exposed, so a long import collects its garbage as it goes', async () => {
      const run = await runCli(['import', EURUSD_H1, '--json'], { ...env, LOG_LEVEL: 'debug' });
      expect(run.code).toBe(0);
      const line = run.stderr.split('\n').find((l) => l.includes('import: full garbage collections'));
      expect(line, run.stderr).toBeDefined();
      expect(JSON.parse(line!)).toMatchObject({ collectEveryRows: 500_000 });
    });

    it('imports it a second time (the stored offset reused) and ClickHouse still holds 3,608 bars', async () => {
      const run = await runCli(['import', EURUSD_H1, '--json'], env);
      expect(run.code).toBe(0);
      expect(JSON.parse(lastLine(run.stdout))).toMatchObject({ accepted: EURUSD_ROWS, from: '2025-06-22T22:00:00.000Z' });
      expect(await withMarketData(data.dir, (repo) => repo.countBars('EURUSD', 'H1'))).toBe(EURUSD_ROWS);
    });

    it('imports a UTF-16LE copy identically', async () => {
      const copy = await writeAt(path.join(files.dir, 'utf16'), 'EURUSD_H1_export_crlf.csv', utf16leWithBom(await readFile(EURUSD_H1, 'utf8')));
      const run = await runCli(['import', copy, '--tz-offset', '120', '--json'], env);
      expect(run.code).toBe(0);
      expect(JSON.parse(lastLine(run.stdout))).toEqual({ rows: EURUSD_ROWS, accepted: EURUSD_ROWS, rejected: {}, symbol: 'EURUSD', from: '2025-06-22T22:00:00.000Z', to: '2026-01-21T08:00:00.000Z' });
      expect(await withMarketData(data.dir, (repo) => repo.countBars('EURUSD', 'H1'))).toBe(EURUSD_ROWS);
    });

    it('imports the EA JSON\'s 694 ticks with --tz-offset 60', async () => {
      const run = await runCli(['import', BTCUSD_EA_JSON, '--tz-offset=60', '--json'], env);
      expect(run.code).toBe(0);
      expect(JSON.parse(lastLine(run.stdout))).toEqual({
        rows: BTCUSD_TICKS,
        accepted: BTCUSD_TICKS,
        rejected: {},
        symbol: 'BTCUSD',
        from: '2026-03-07T08:03:42.978Z',
        to: '2026-03-07T08:07:13.561Z',
      });
      expect(await withMarketData(data.dir, (repo) => repo.countTicks('BTCUSD'))).toBe(BTCUSD_TICKS);
    });

    it('with several files prints a line per file, then a last line that sums them', async () => {
      const run = await runCli(['import', EURUSD_H1, BTCUSD_EA_JSON, '--json'], env);
      expect(run.code).toBe(0);
      const lines = run.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines).toHaveLength(3);
      expect(lines[0]).toMatchObject({ file: EURUSD_H1, rows: EURUSD_ROWS, symbol: 'EURUSD', timeframe: 'H1', tz_offset_minutes: 120 });
      expect(lines[1]).toMatchObject({ file: BTCUSD_EA_JSON, rows: BTCUSD_TICKS, symbol: 'BTCUSD', tz_offset_minutes: 60 });
      expect(lines[2]).toEqual({
        rows: EURUSD_ROWS + BTCUSD_TICKS,
        accepted: EURUSD_ROWS + BTCUSD_TICKS,
        rejected: {},
        symbol: null,
        from: '2025-06-22T22:00:00.000Z',
        to: '2026-03-07T08:07:13.561Z',
      });
    });

    it('exits 1 with one stderr line naming the expected formats and the line for a file in no known format', async () => {
      const garbage = await writeAt(files.dir, 'garbage.csv', '\n\nthis is, not; market data\n1,2,3\n');
      const run = await runCli(['import', garbage], env);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      const lines = run.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^tradepilot import: .*garbage\.csv: Line 3 is not in a known history format/);
      expect(lines[0]).toMatch(/Expected one of: MT5 "Export bars".*MT5 "Export ticks".*HistData.*EA tick-capture JSON/);
    });

    it('exits 1 with one clear line for a missing file', async () => {
      const missing = path.join(files.dir, 'nope.csv');
      const run = await runCli(['import', missing], env);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(`tradepilot import: no such file: ${missing}\n`);
    });

    it('exits 2 naming the flag for a bad --tz-offset', async () => {
      const run = await runCli(['import', EURUSD_H1, '--tz-offset', 'UTC+2'], env);
      expect(run.code).toBe(2);
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/^tradepilot import: --tz-offset "UTC\+2" is not an offset/);
    });

    it('recovers from a SIGKILL mid-import: re-running completes with every bar once', async () => {
      const rows = 150_000;
      const file = await writeAt(path.join(files.dir, 'big'), 'XAUUSD_M1_export.csv', generatedBars(rows));
      // Debug logs say when a batch is in; kill the process right after the first one.
      const killed = await runCli(['import', file, '--batch-size', '2000'], { ...env, LOG_LEVEL: 'debug' }, {
        onStderr: (text, kill) => {
          if (text.includes('batch inserted')) kill();
        },
      });
      expect(killed.signal).toBe('SIGKILL');
      const partial = await withMarketData(data.dir, (repo) => repo.countBars('XAUUSD', 'M1'));
      expect(partial).toBeGreaterThan(0);
      expect(partial).toBeLessThan(rows);
      const rerun = await runCli(['import', file, '--json'], env);
      expect(rerun.code).toBe(0);
      expect(JSON.parse(lastLine(rerun.stdout))).toMatchObject({ rows, accepted: rows, symbol: 'XAUUSD' });
      expect(await withMarketData(data.dir, (repo) => repo.countBars('XAUUSD', 'M1'))).toBe(rows);
    }, 90_000);
  });

  describe('in process', () => {
    it('prints a human summary, and no progress when stderr is not a terminal', async () => {
      const io = captureContext(env);
      const code = await importCommand.run({ values: { 'tz-offset': '+02:00' }, positionals: [EURUSD_H1] }, io.ctx);
      expect(code).toBe(0);
      expect(io.stderr()).toBe('');
      expect(io.stdout()).toContain('3,608 EURUSD H1 bars imported (3,608 rows, 3,608 accepted, 0 rejected)');
      expect(io.stdout()).toContain('UTC 2025-06-22T22:00:00.000Z → 2026-01-21T08:00:00.000Z; broker offset +02:00 (from --tz-offset)');
    });

    it('draws a progress bar on stderr when it is a terminal, and clears it before the summary', async () => {
      const io = captureContext(env, { stderrIsTTY: true });
      const code = await importCommand.run({ values: { json: true }, positionals: [EURUSD_H1] }, io.ctx);
      expect(code).toBe(0);
      expect(io.stderr()).toMatch(/\r\x1b\[KEURUSD_H1_export_crlf\.csv \[#+-*\] +\d+% .*rows\/s {2}0 rejected/);
      expect(io.stderr().endsWith('\r\x1b[K')).toBe(true);
      expect(Object.keys(JSON.parse(lastLine(io.stdout())) as object)).toEqual(JSON_KEYS);
    });

    it('refuses a bad --timeframe, --format or --symbol as usage errors', async () => {
      const io = captureContext(env);
      for (const values of [{ timeframe: 'H5' }, { format: 'csv' }, { symbol: 'EUR USD' }, { 'batch-size': '0' }]) {
        await expect(importCommand.run({ values, positionals: [EURUSD_H1] }, io.ctx)).rejects.toMatchObject({ code: 'usage' });
      }
      await expect(importCommand.run({ values: {}, positionals: [] }, io.ctx)).rejects.toMatchObject({ code: 'usage' });
    });
  });

  describe('renderProgress', () => {
    it('shows bytes read of the size, rows/s and rejects, fitted to the terminal', () => {
      const text = renderProgress('EURUSD.csv', { done: 5 * 1024 * 1024, total: 10 * 1024 * 1024, rows: 50_000, rejected: 3, elapsedMs: 2000 }, 100);
      expect(text).toMatch(/^EURUSD\.csv \[#{20}-{19,20}\]  50% 5\.0 MB\/10\.0 MB  25,000 rows\/s  3 rejected$/);
      expect(text.length).toBeLessThan(100);
      expect(renderProgress('EURUSD.csv', { done: 1, total: 2, rows: 1, rejected: 0, elapsedMs: 1 }, 30).length).toBeLessThan(30);
    });
  });
});

// A laptop user runs `tradepilot start` (which holds the embedded ClickHouse) and imports
// history from another terminal: the import goes through the running process's store. (The
// running engine stores live bars of its own, from the sandbox feed: counts are of the file's
// time range.)
const FILE_RANGE = { fromMs: Date.parse('2025-06-22T22:00:00Z'), toMs: Date.parse('2026-01-21T08:00:01Z') };

describe('tradepilot import while tradepilot start runs', () => {
  let data: { dir: string; remove: () => Promise<void> };
  let platform: RunningPlatform;

  beforeAll(async () => {
    data = await tempDir('tp-cli-import-shared-');
    platform = await startCli({ DATA_DIR: data.dir, ADMIN_PORT: '0', MT5_BRIDGE_PORT: '0', LOG_LEVEL: 'warn' });
  }, 90_000);
  afterAll(async () => {
    if (platform && platform.child.exitCode === null) await platform.stop('SIGTERM');
    await data?.remove();
  });

  it('imports through the running process, without loading chDB itself, and the data is there', async () => {
    const log = path.join(data.dir, 'packages.log');
    const preload = pathToFileURL(path.join(REPO, 'test/support/package-log.mjs')).href;
    const run = await runCli(['import', EURUSD_H1, '--tz-offset', '120', '--json'], { DATA_DIR: data.dir, NODE_OPTIONS: `--import ${preload}`, TP_PACKAGE_LOG: log });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(lastLine(run.stdout))).toMatchObject({ rows: EURUSD_ROWS, accepted: EURUSD_ROWS, symbol: 'EURUSD', from: '2025-06-22T22:00:00.000Z' });
    const packages = new Set((await readFile(log, 'utf8')).trim().split('\n'));
    expect(packages).toContain('@clickhouse/client');
    expect(packages).not.toContain('chdb');
    expect(packages).not.toContain('chdb/connection');

    const shared = await openClickHouse({ dataDir: data.dir, logger: createLogger({ level: 'silent', pretty: false }) });
    try {
      expect(shared.kind).toBe('chdb-shared');
      expect(await createMarketDataRepository(shared.client).countBars('EURUSD', 'H1', FILE_RANGE)).toBe(EURUSD_ROWS);
    } finally {
      await shared.close();
    }
  });

  it('stops cleanly afterwards, taking its socket with it, and the bars stay stored', async () => {
    expect((await platform.stop('SIGTERM')).code).toBe(0);
    expect(existsSync(path.join(data.dir, 'run', 'clickhouse.sock'))).toBe(false);
    expect(await withMarketData(data.dir, (repo) => repo.countBars('EURUSD', 'H1', FILE_RANGE))).toBe(EURUSD_ROWS);
  });
});

describe('tradepilot import when the process holding the store stops midway', () => {
  let data: { dir: string; remove: () => Promise<void> };
  let holder: Holder | undefined;

  beforeAll(async () => {
    data = await tempDir('tp-cli-import-holder-stops-');
  });
  afterAll(async () => {
    await holder?.stop('SIGKILL');
    await data?.remove();
  });

  it('fails with one line saying to run it again, and running it again completes with every bar once', async () => {
    const rows = 150_000;
    const file = await writeAt(path.join(data.dir, 'files'), 'XAGUSD_M1_export.csv', generatedBars(rows));
    holder = await startHolder(data.dir);
    let stopping: Promise<void> | undefined;
    // Debug logs say when a batch is in; the holder is stopped right after the first one.
    const run = await runCli(['import', file, '--batch-size', '2000'], { DATA_DIR: data.dir, LOG_LEVEL: 'debug' }, {
      onStderr: (text) => {
        if (text.includes('batch inserted')) stopping ??= holder!.stop('SIGTERM');
      },
    });
    await stopping;
    expect(run.code).toBe(1);
    const errors = run.stderr.split('\n').filter((line) => line.startsWith('tradepilot import:'));
    expect(errors).toEqual([
      `tradepilot import: the process (PID ${holder.pid}) whose embedded ClickHouse this import was writing to stopped before the import finished: run the same import again to complete it (what is stored already is not duplicated)`,
    ]);
    const partial = await withMarketData(data.dir, (repo) => repo.countBars('XAGUSD', 'M1'));
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(rows);

    const again = await runCli(['import', file, '--json'], { DATA_DIR: data.dir });
    expect(again.code, again.stderr).toBe(0);
    expect(await withMarketData(data.dir, (repo) => repo.countBars('XAGUSD', 'M1'))).toBe(rows);
  });
});
