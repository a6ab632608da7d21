import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../core/logger';
import { createMarketDataRepository, openClickHouse, type ClickHouseHandle } from '../../../db/clickhouse';
import { MAX_SHARE_BODY_BYTES, shareSocketPath } from '../../../db/clickhouse/share';
import { startHolder, type Holder } from '../../support/clickhouse-holder-process';

// `tradepilot start` holds the embedded ClickHouse; `tradepilot import` in another terminal
// reaches it through the socket the holder serves, with the same client it uses for a server.

const logger = createLogger({ level: 'silent', pretty: false });
const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 2, 1);

/** A raw HTTP request to the socket: what a client other than ours could send. */
function send(socketPath: string, pathAndQuery: string, body: Buffer | string = '', headers: Record<string, string> = {}, method = 'POST'): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    // A connection of its own, closed after the answer (the server logs each client as it leaves).
    const req = request({ socketPath, path: pathAndQuery, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('an embedded ClickHouse shared by the process that holds it', () => {
  let dataDir: string;
  let holder: Holder;
  let shared: ClickHouseHandle;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tp-ch-share-'));
    holder = await startHolder(dataDir, 'info');
    shared = await openClickHouse({ dataDir, logger });
  }, 60_000);
  afterAll(async () => {
    await shared?.close();
    await holder?.stop('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('is opened through the socket, which only its owner may reach', () => {
    expect(shared.kind).toBe('chdb-shared');
    const socket = shareSocketPath(dataDir);
    expect(statSync(path.dirname(socket)).mode & 0o777).toBe(0o700);
    expect(statSync(socket).mode & 0o777).toBe(0o600);
  });

  it('is not shared with a second process that would share it too (a second tradepilot start)', async () => {
    const second = openClickHouse({ dataDir, logger, share: true });
    await expect(second).rejects.toMatchObject({ code: 'clickhouse_in_use' });
    const error = (await second.catch((e: unknown) => e)) as Error;
    expect(error.message).toContain(`another process is using it (PID ${holder.pid}`);
    expect(error.message).toContain('is another `tradepilot start` running on this DATA_DIR?');
  });

  it('answers ping, and migrating again finds nothing to do', async () => {
    expect(await shared.ping()).toBe(true);
    await shared.migrate();
    const versions = await (await shared.client.query({ query: 'SELECT count() AS n FROM schema_migrations', format: 'JSONEachRow' })).json<{ n: string }>();
    expect(Number(versions[0]!.n)).toBeGreaterThan(0);
  });

  it('takes the importer\'s bulk inserts and reads them back with bound parameters', async () => {
    const repository = createMarketDataRepository(shared.client);
    const bulk = repository.bulkInsertBars();
    for (let i = 0; i < 100; i++) {
      const close = 1.1 + i / 10_000;
      bulk.add({ timeMs: T0 + i * HOUR, open: close, high: close + 0.001, low: close - 0.001, close, tickVolume: 10 + i, spread: 2 });
    }
    expect(await bulk.flush({ symbol: 'EURUSD', timeframe: 'H1' })).toBe(100);
    expect(await repository.countBars('EURUSD', 'H1')).toBe(100);
    const last = await repository.lastBars('EURUSD', 'H1', 2);
    expect(last.map((bar) => [bar.timeMs, bar.close, bar.tickVolume])).toEqual([
      [T0 + 98 * HOUR, 1.1 + 98 / 10_000, 108],
      [T0 + 99 * HOUR, 1.1 + 99 / 10_000, 109],
    ]);
  });

  it('takes bulk tick inserts too, and the last tick reads back exactly', async () => {
    const repository = createMarketDataRepository(shared.client);
    const bulk = repository.bulkInsertTicks();
    for (let i = 0; i < 1_000; i++) bulk.add({ timeMs: T0 + i * 250, bid: 1.1 + i / 100_000, ask: 1.1002 + i / 100_000, last: 0, volume: 0, flags: 6 });
    expect(await bulk.flush({ symbol: 'EURUSD', source: 'import:share.test' })).toBe(1_000);
    expect(await repository.countTicks('EURUSD')).toBe(1_000);
    expect(await repository.lastTick('EURUSD')).toMatchObject({ timeMs: T0 + 999 * 250, bid: 1.1 + 999 / 100_000, ask: 1.1002 + 999 / 100_000 });
  });

  it('binds string parameters exactly, tabs, quotes and backslashes included', async () => {
    const text = "it's a\ttab, a\nnewline and a \\ backslash";
    const rows = await (await shared.client.query({ query: 'SELECT {s:String} AS s, {n:Int32} AS n', query_params: { s: text, n: -7 }, format: 'JSONEachRow' })).json<{ s: string; n: number }>();
    expect(rows).toEqual([{ s: text, n: -7 }]);
  });

  it('applies a query\'s settings to that query only', async () => {
    const maxThreads = async (settings?: Record<string, number>) => {
      const result = await shared.client.query({ query: "SELECT value FROM system.settings WHERE name = 'max_threads'", format: 'JSONEachRow', ...(settings ? { clickhouse_settings: settings } : {}) });
      return (await result.json<{ value: string }>())[0]!.value;
    };
    expect(await maxThreads({ max_threads: 1 })).toBe('1');
    expect(await maxThreads()).not.toBe('1');
    const time = async (settings?: Record<string, string>) => {
      const result = await shared.client.query({ query: "SELECT toDateTime('2024-01-01 00:00:00', 'UTC') AS t", format: 'JSONEachRow', ...(settings ? { clickhouse_settings: settings } : {}) });
      return (await result.json<{ t: string }>())[0]!.t;
    };
    expect(await time({ date_time_output_format: 'iso' })).toBe('2024-01-01T00:00:00Z');
    expect(await time()).toBe('2024-01-01 00:00:00');
  });

  it('reports the engine\'s errors as ClickHouse does, code and type included', async () => {
    await expect(shared.client.query({ query: 'SELEC 1', format: 'JSONEachRow' })).rejects.toMatchObject({ code: '62', type: 'SYNTAX_ERROR' });
    await expect(shared.client.query({ query: 'SELECT * FROM no_such_table', format: 'JSONEachRow' })).rejects.toMatchObject({ code: '60', type: 'UNKNOWN_TABLE' });
    expect(await shared.ping()).toBe(true);
  });

  it('refuses what it does not serve, each with a line naming why', async () => {
    const socket = shareSocketPath(dataDir);
    const other = await send(socket, '/?database=other', 'SELECT 1');
    expect(other.status).toBe(400);
    expect(other.text).toMatch(/^Code: 81\. DB::Exception: database other does not exist/);
    const gzip = await send(socket, '/', 'SELECT 1', { 'Content-Encoding': 'gzip' });
    expect(gzip.status).toBe(415);
    expect(gzip.text).toContain('Content-Encoding gzip is not supported');
    const session = await send(socket, '/?session_id=abc', 'SELECT 1');
    expect(session.status).toBe(400);
    expect(session.text).toContain('session_id');
    const badSetting = await send(socket, `/?${encodeURIComponent('max threads')}=1`, 'SELECT 1');
    expect(badSetting.status).toBe(400);
    expect(badSetting.text).toContain('"max threads" is not a setting name');
    const get = await send(socket, `/?query=${encodeURIComponent('DROP TABLE bars')}`, '', {}, 'GET');
    expect(get.status).toBe(405);
    expect(get.text).toContain('send queries as POST');
    const nowhere = await send(socket, '/replicas_status', '');
    expect(nowhere.status).toBe(404);
    const empty = await send(socket, '/', '');
    expect(empty.status).toBe(400);
    expect(empty.text).toContain('empty query');
  });

  it('refuses a body over its limit and stays up', async () => {
    const socket = shareSocketPath(dataDir);
    const big = await send(socket, `/?query=${encodeURIComponent('INSERT INTO bars FORMAT TabSeparated')}`, Buffer.alloc(MAX_SHARE_BODY_BYTES + 1, 0x20));
    expect(big.status).toBe(413);
    expect(big.text).toContain(`larger than ${MAX_SHARE_BODY_BYTES} bytes`);
    expect(await createMarketDataRepository(shared.client).countBars('EURUSD', 'H1')).toBe(100);
  });

  it('logs what each local client did when it disconnects', async () => {
    await shared.close();
    type Client = { requests: number; failed: number; rowsWritten: number };
    const clients = (): Client[] =>
      holder
        .output()
        .split('\n')
        .filter((line) => line.includes('a local client of the embedded ClickHouse disconnected'))
        .map((line) => JSON.parse(line) as Client);
    const sum = (key: keyof Client) => clients().reduce((total, client) => total + client[key], 0);
    for (let waited = 0; waited < 3_000 && sum('rowsWritten') < 1_100; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    // 100 bars and 1,000 ticks inserted through the client; failed: its two engine errors and
    // the eight requests refused above, each on a connection of its own.
    expect(sum('rowsWritten')).toBe(1_100);
    expect(sum('failed')).toBe(10);
    expect(clients().filter((client) => client.rowsWritten > 0)).toEqual([expect.objectContaining({ rowsWritten: 1_100, failed: 2 })]);
  });

  it('is opened by the next process itself once the holder has closed, and its socket is gone', async () => {
    await holder.stop('SIGTERM');
    expect(existsSync(shareSocketPath(dataDir))).toBe(false);
    const own = await openClickHouse({ dataDir, logger });
    try {
      expect(own.kind).toBe('chdb');
      expect(await createMarketDataRepository(own.client).countBars('EURUSD', 'H1')).toBe(100);
    } finally {
      await own.close();
    }
  });

  it('takes no notice of a socket a crashed holder left behind, and a new holder replaces it', async () => {
    holder = await startHolder(dataDir);
    await holder.stop('SIGKILL');
    expect(existsSync(shareSocketPath(dataDir))).toBe(true);
    const own = await openClickHouse({ dataDir, logger });
    try {
      expect(own.kind).toBe('chdb');
    } finally {
      await own.close();
    }
    holder = await startHolder(dataDir);
    shared = await openClickHouse({ dataDir, logger });
    expect(shared.kind).toBe('chdb-shared');
    expect(await createMarketDataRepository(shared.client).countBars('EURUSD', 'H1')).toBe(100);
  });
});
