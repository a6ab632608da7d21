import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../../support/cli';

// ClickHouse loads a table's parts with a pool sized for a server (64 threads) and keeps
// every thread it started: in our process, for its whole life. Each step runs in a child
// process, since chDB binds one data directory per process and starts its engine once.

const run = promisify(execFile);
const PARTS = 150;

/** Creates a table of PARTS parts (one per partition, so no merge joins them) with chDB's defaults. */
const FILL = `
const { Session } = require('chdb');
const session = new Session(process.argv[1]);
session.query('CREATE TABLE many (p UInt32, x UInt32) ENGINE = MergeTree PARTITION BY p ORDER BY x');
session.query('INSERT INTO many SELECT number, number FROM numbers(${PARTS}) SETTINGS max_partitions_per_insert_block = 0');
process.stdout.write(session.query("SELECT count() FROM system.parts WHERE table = 'many' AND active", 'TSV'));
session.close();
`;

/** Opens the directory (ours: openClickHouse; or chDB with its defaults), then reports its threads. */
function opener(how: 'ours' | 'defaults'): string {
  return `
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
const dir = process.argv[1];
let query, close;
if (${JSON.stringify(how)} === 'ours') {
  const { openClickHouse } = await import(${JSON.stringify(path.join(REPO, 'db/clickhouse/client.ts'))});
  const { createLogger } = await import(${JSON.stringify(path.join(REPO, 'core/logger.ts'))});
  const handle = await openClickHouse({ dataDir: path.dirname(dir), logger: createLogger({ level: 'silent', pretty: false }) });
  query = async (sql) => (await handle.client.query({ query: sql, format: 'JSONEachRow' })).json();
  close = () => handle.close();
} else {
  const { Session } = await import('chdb');
  const session = new Session(dir);
  query = async (sql) => session.query(sql, 'JSONEachRow').trim().split('\\n').map((l) => JSON.parse(l));
  close = async () => session.close();
}
const parts = await query("SELECT count() AS n FROM system.parts WHERE table = 'many' AND active");
const settings = await query("SELECT name, value FROM system.server_settings WHERE name LIKE 'max%parts%thread_pool_size' ORDER BY name");
let pooled = 0;
for (const task of readdirSync('/proc/self/task')) {
  if (readFileSync('/proc/self/task/' + task + '/comm', 'utf8').trim() === 'ThreadPool') pooled++;
}
process.stdout.write(JSON.stringify({ parts: Number(parts[0].n), settings, pooled }));
await close();
`;
}

interface Opened {
  parts: number;
  settings: { name: string; value: string }[];
  pooled: number;
}

async function open(dir: string, how: 'ours' | 'defaults'): Promise<Opened> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', opener(how), dir], { cwd: REPO, timeout: 60_000 });
  return JSON.parse(stdout) as Opened;
}

describe('the embedded engine opening a database of many parts', () => {
  let dataDir: string;
  let chDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tp-ch-threads-'));
    chDir = path.join(dataDir, 'ch');
    const { stdout } = await run(process.execPath, ['-e', FILL, chDir], { cwd: REPO, timeout: 60_000 });
    expect(Number(stdout.trim())).toBe(PARTS);
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('with ClickHouse\'s server defaults, keeps dozens of idle loader threads for good', async () => {
    const opened = await open(chDir, 'defaults');
    expect(opened.parts).toBe(PARTS);
    expect(opened.pooled).toBeGreaterThan(30);
  });

  it('through openClickHouse, sizes the part pools to the machine and keeps a handful of threads', async () => {
    const threads = Math.max(2, availableParallelism());
    const opened = await open(chDir, 'ours');
    expect(opened.parts).toBe(PARTS);
    expect(opened.settings).toEqual([
      { name: 'max_active_parts_loading_thread_pool_size', value: String(threads) },
      { name: 'max_outdated_parts_loading_thread_pool_size', value: String(threads) },
      { name: 'max_parts_cleaning_thread_pool_size', value: String(threads) },
      { name: 'max_unexpected_parts_loading_thread_pool_size', value: String(threads) },
    ]);
    expect(opened.pooled).toBeLessThanOrEqual(threads * 2 + 4);
  });
});
