import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError, NotFoundError } from '../../../../core/errors';
import { createMarketDataRepository, openClickHouse, type ClickHouseHandle, type MarketDataRepository } from '../../../../db';
import {
  createClickHouseSourceRegistry,
  createImporter,
  type Importer,
  type ImportProgress,
  type SourceRegistry,
} from '../../../../engine/ingest/import';
import { BTCUSD_EA_JSON, BTCUSD_TICKS, EURUSD_H1, EURUSD_ROWS, brokerMs, eurusdHead, silentLogger, tempDir, utf16leWithBom, writeAt } from './support';

// chDB binds one data directory per process; vitest runs each test file in its own fork,
// so this file owns one fresh directory for all its tests.
describe('importer on chDB', () => {
  let dataDir: { dir: string; remove: () => Promise<void> };
  let files: { dir: string; remove: () => Promise<void> };
  let handle: ClickHouseHandle;
  let repo: MarketDataRepository;
  let sources: SourceRegistry;
  let importer: Importer;
  let firstLine: string[];
  let lastLine: string[];

  beforeAll(async () => {
    dataDir = await tempDir('tp-import-ch-');
    files = await tempDir('tp-import-files-');
    handle = await openClickHouse({ dataDir: dataDir.dir, logger: silentLogger });
    await handle.migrate();
    repo = createMarketDataRepository(handle.client);
    sources = createClickHouseSourceRegistry(handle.client);
    importer = createImporter({ marketData: repo, sources, logger: silentLogger });
    const lines = (await readFile(EURUSD_H1, 'utf8')).trim().split('\r\n');
    firstLine = lines[1]!.split('\t');
    lastLine = lines[lines.length - 1]!.split('\t');
  });
  afterAll(async () => {
    await handle?.close();
    await dataDir?.remove();
    await files?.remove();
  });

  it('imports the EURUSD H1 export: 3,608 bars, times shifted from broker time to UTC by the offset', async () => {
    const progress: ImportProgress[] = [];
    const result = await importer.importFile(EURUSD_H1, { tzOffsetMinutes: 120, onProgress: (p) => progress.push(p) });
    const fromMs = brokerMs(firstLine[0]!, firstLine[1]!) - 120 * 60_000;
    const toMs = brokerMs(lastLine[0]!, lastLine[1]!) - 120 * 60_000;
    expect(result).toMatchObject({
      source: 'import:EURUSD_H1_export_crlf.csv',
      format: 'mt5-bars',
      kind: 'bars',
      symbol: 'EURUSD',
      timeframe: 'H1',
      tzOffsetMinutes: 120,
      tzOffsetFrom: 'option',
      rows: EURUSD_ROWS,
      accepted: EURUSD_ROWS,
      rejected: {},
      inserted: EURUSD_ROWS,
      fromMs,
      toMs,
      warnings: [],
    });
    expect(new Date(fromMs).toISOString()).toBe('2025-06-22T22:00:00.000Z');
    expect(await repo.countBars('EURUSD', 'H1')).toBe(EURUSD_ROWS);
    const stored = await repo.lastBars('EURUSD', 'H1', EURUSD_ROWS + 10);
    expect(stored).toHaveLength(EURUSD_ROWS);
    expect(stored[0]).toMatchObject({ timeMs: fromMs, open: Number(firstLine[2]), high: Number(firstLine[3]), low: Number(firstLine[4]), close: Number(firstLine[5]), tickVolume: Number(firstLine[6]), spread: Number(firstLine[8]) });
    expect(stored.at(-1)).toMatchObject({ timeMs: toMs, close: Number(lastLine[5]) });
    // Progress ends with the whole file read.
    const last = progress.at(-1)!;
    expect(last).toMatchObject({ bytesRead: result.bytes, totalBytes: result.bytes, rows: EURUSD_ROWS, accepted: EURUSD_ROWS, rejected: 0, inserted: EURUSD_ROWS });
    expect(await sources.get('import:EURUSD_H1_export_crlf.csv')).toMatchObject({ symbol: 'EURUSD', tzOffsetMinutes: 120 });
  });

  it('stores every price exactly as the file wrote it: short decimals, long ones, exponents, negatives', async () => {
    // [open, high, low, close] as text; the encoder writes short decimals digit by digit and
    // anything longer through String(x): both must read back as the very same double.
    const prices = [
      ['1.08512', '1.08530', '1.08490', '1.08500'],
      ['0.00001', '0.00003', '0.000001', '0.00002'],
      ['3.141592653589793', '3.2', '3.1', '3.1415926535897931'],
      ['-37.63', '-10.5', '-40.325', '-38'],
      ['123456789.12345678', '123456790', '123456789', '123456789.5'],
      ['1e-7', '2.5e-7', '1.0E-8', '2e-7'],
      ['99999.99999', '100000.00001', '99999.9999', '100000'],
    ];
    const text = ['<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>', ...prices.map((p, i) => `2024.03.0${i + 1}\t12:00:00\t${p.join('\t')}\t${i * 7}\t0\t${i}`)];
    const file = await writeAt(path.join(files.dir, 'exact'), 'XTIUSD_D1_export.csv', `${text.join('\r\n')}\r\n`);
    const result = await importer.importFile(file, { tzOffsetMinutes: 0 });
    expect(result).toMatchObject({ accepted: prices.length, rejected: {} });
    const stored = await repo.lastBars('XTIUSD', 'D1', 100);
    expect(stored.map((bar) => [bar.open, bar.high, bar.low, bar.close])).toEqual(prices.map((p) => p.map(Number)));
    expect(stored.map((bar) => [bar.tickVolume, bar.spread])).toEqual(prices.map((_, i) => [i * 7, i]));
  });

  it('re-importing the same file adds no rows, and reuses the stored offset when none is given', async () => {
    const again = await importer.importFile(EURUSD_H1);
    expect(again).toMatchObject({ tzOffsetMinutes: 120, tzOffsetFrom: 'stored', accepted: EURUSD_ROWS });
    expect(await repo.countBars('EURUSD', 'H1')).toBe(EURUSD_ROWS);
  });

  it('runs a full garbage collection each time another collectEveryRows rows are inserted', async () => {
    let collections = 0;
    const collecting = createImporter({ marketData: repo, sources, logger: silentLogger, collectGarbage: () => (collections += 1), collectEveryRows: 1_000 });
    const result = await collecting.importFile(EURUSD_H1, { batchSize: 500 });
    expect(result.inserted).toBe(EURUSD_ROWS);
    // 3,608 rows inserted 500 at a time cross 1,000, 2,000 and 3,000 once each.
    expect(collections).toBe(3);
    expect(await repo.countBars('EURUSD', 'H1')).toBe(EURUSD_ROWS);
  });

  it('merges each month of bars it has finished into one data part before it returns', async () => {
    // 500-row inserts: each month of H1 bars (≈ 520) arrives as two or three parts, and the
    // background merges would fold a month into one only ten seconds after its last insert.
    const result = await importer.importFile(EURUSD_H1, { symbol: 'USDCAD', tzOffsetMinutes: 0, batchSize: 500 });
    expect(result.inserted).toBe(EURUSD_ROWS);
    const parts = await handle.client.query({
      query: `SELECT partition, toUInt32(count()) AS n FROM system.parts
              WHERE database = currentDatabase() AND table = 'bars' AND active GROUP BY partition ORDER BY partition`,
      format: 'JSONEachRow',
    });
    const byMonth = (await parts.json<{ partition: string; n: number }>()).map((row) => [row.partition, Number(row.n)] as const);
    const first = new Date(result.fromMs!);
    const last = new Date(result.toMs!);
    const months = byMonth.filter(([id]) => id >= String(first.getUTCFullYear() * 100 + first.getUTCMonth() + 1) && id < String(last.getUTCFullYear() * 100 + last.getUTCMonth() + 1));
    expect(months.length).toBeGreaterThanOrEqual(5);
    // The last month may still take rows (a later file, the live feed), so it is left to the merges.
    expect(months.filter(([, n]) => n !== 1), 'finished months with more than one part').toEqual([]);
    expect(await repo.countBars('USDCAD', 'H1')).toBe(EURUSD_ROWS);
  });

  it('finishes the import when a month cannot be merged, and stops asking', async () => {
    let asked = 0;
    const refusing: MarketDataRepository = {
      ...repo,
      async compactBarMonth() {
        asked += 1;
        throw new Error('too many merges running');
      },
    };
    const importing = createImporter({ marketData: refusing, sources, logger: silentLogger });
    const result = await importing.importFile(EURUSD_H1, { symbol: 'EURGBP', tzOffsetMinutes: 0, batchSize: 500 });
    expect(result).toMatchObject({ accepted: EURUSD_ROWS, inserted: EURUSD_ROWS, rejected: {} });
    expect(asked).toBe(1);
    expect(await repo.countBars('EURGBP', 'H1')).toBe(EURUSD_ROWS);
  });

  it('imports a UTF-16LE (BOM) copy identically', async () => {
    const utf16 = await writeAt(path.join(files.dir, 'utf16'), 'EURUSD_H1_export_crlf.csv', utf16leWithBom(await readFile(EURUSD_H1, 'utf8')));
    const result = await importer.importFile(utf16, { tzOffsetMinutes: 120 });
    expect(result).toMatchObject({ symbol: 'EURUSD', timeframe: 'H1', accepted: EURUSD_ROWS, rejected: {} });
    expect(await repo.countBars('EURUSD', 'H1')).toBe(EURUSD_ROWS);
  });

  it('repairs a half-done import: the first half, then the whole file, leaves each bar once', async () => {
    const dir = path.join(files.dir, 'half');
    const half = await writeAt(dir, 'GBPUSD_H1_export.csv', (await eurusdHead(1804)).replace(/\r\n$/, '\r\n2025.09'));
    const first = await importer.importFile(half, { tzOffsetMinutes: 180 });
    // The cut line is a reject, as a line torn by a killed writer would be.
    expect(first).toMatchObject({ symbol: 'GBPUSD', accepted: 1804 });
    expect(Object.values(first.rejected).reduce((a, b) => a + b, 0)).toBe(1);
    expect(await repo.countBars('GBPUSD', 'H1')).toBe(1804);
    const whole = await writeAt(dir, 'GBPUSD_H1_export.csv', await readFile(EURUSD_H1));
    await importer.importFile(whole, { tzOffsetMinutes: 180 });
    expect(await repo.countBars('GBPUSD', 'H1')).toBe(EURUSD_ROWS);
  });

  it('recovers from a failure in the middle of an import by running it again', async () => {
    // A store that fails on its third batch: a disk full, a lost server.
    let batches = 0;
    const failing: MarketDataRepository = {
      ...repo,
      bulkInsertBars() {
        const bulk = repo.bulkInsertBars();
        return {
          add: (values) => bulk.add(values),
          get pending() {
            return bulk.pending;
          },
          async flush(shared) {
            batches += 1;
            if (batches === 3) throw new Error('insert failed: simulated outage');
            return bulk.flush(shared);
          },
        };
      },
    };
    const broken = createImporter({ marketData: failing, sources, logger: silentLogger });
    await expect(broken.importFile(EURUSD_H1, { symbol: 'AUDUSD', tzOffsetMinutes: 0, batchSize: 500 })).rejects.toThrow(/simulated outage/);
    const partial = await repo.countBars('AUDUSD', 'H1');
    expect(partial).toBeGreaterThanOrEqual(1000);
    expect(partial).toBeLessThan(EURUSD_ROWS);
    const rerun = await importer.importFile(EURUSD_H1, { symbol: 'AUDUSD', batchSize: 500 });
    expect(rerun.tzOffsetFrom).toBe('stored');
    expect(await repo.countBars('AUDUSD', 'H1')).toBe(EURUSD_ROWS);
  });

  it('imports the EA tick JSON: 694 ticks, server time UTC+1 converted, source stored per tick', async () => {
    const result = await importer.importFile(BTCUSD_EA_JSON, { tzOffsetMinutes: 60 });
    expect(result).toMatchObject({ format: 'ea-json', kind: 'ticks', symbol: 'BTCUSD', timeframe: null, rows: BTCUSD_TICKS, accepted: BTCUSD_TICKS, rejected: {} });
    const json = JSON.parse(await readFile(BTCUSD_EA_JSON, 'utf8')) as { ticks: Array<{ time_msc: number; collected_msc: number }> };
    // time_msc is server time (UTC+1); after the offset it sits within a second of the UTC collection time.
    expect(result.fromMs).toBe(Math.min(...json.ticks.map((t) => t.time_msc)) - 3_600_000);
    expect(Math.abs(result.fromMs! - json.ticks[0]!.collected_msc)).toBeLessThan(1000);
    expect(await repo.countTicks('BTCUSD')).toBe(BTCUSD_TICKS);
    expect((await repo.lastTick('BTCUSD'))?.source).toBe('import:BTCUSD_ea_ticks_20260307.json');
    await importer.importFile(BTCUSD_EA_JSON, { tzOffsetMinutes: 60 });
    expect(await repo.countTicks('BTCUSD')).toBe(BTCUSD_TICKS);
  });

  it('warns when an offset differs from the one stored for the source', async () => {
    const result = await importer.importFile(BTCUSD_EA_JSON, { tzOffsetMinutes: 0, symbol: 'BTCTEST' });
    expect(result.warnings.join('\n')).toMatch(/imported before with offset \+01:00/);
  });

  it('counts malformed lines by reason and imports the rest', async () => {
    const text = (await eurusdHead(40)).split('\r\n');
    text[5] = '2025.06.23\t04:00:00\t1.1\tx\t1.0\t1.05\t1\t0\t7';
    text[9] = '2025.06.23\t08:00:00\t1.1';
    const file = await writeAt(path.join(files.dir, 'bad'), 'NZDUSD_H1.csv', text.join('\r\n'));
    const result = await importer.importFile(file, { tzOffsetMinutes: 0 });
    expect(result.accepted).toBe(38);
    expect(Object.values(result.rejected).reduce((a, b) => a + b, 0)).toBe(2);
    expect(await repo.countBars('NZDUSD', 'H1')).toBe(38);
  });

  it('infers the timeframe from the bars\' spacing when the name has none', async () => {
    const file = await writeAt(path.join(files.dir, 'noname'), 'USDJPY.csv', await eurusdHead(100));
    const result = await importer.importFile(file, { tzOffsetMinutes: 0 });
    expect(result).toMatchObject({ symbol: 'USDJPY', timeframe: 'H1', accepted: 100 });
    expect(await repo.countBars('USDJPY', 'H1')).toBe(100);
  });

  it('refuses, before writing anything, bars whose symbol or timeframe cannot be told', async () => {
    const noSymbol = await writeAt(path.join(files.dir, 'nosym'), 'export.csv', await eurusdHead(10));
    await expect(importer.importFile(noSymbol, { tzOffsetMinutes: 0 })).rejects.toThrow(/cannot tell the symbol.*--symbol/);
    const oneBar = await writeAt(path.join(files.dir, 'onebar'), 'CHFJPY.csv', await eurusdHead(1));
    const error = await importer.importFile(oneBar, { tzOffsetMinutes: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toMatch(/cannot tell the bars' timeframe.*--timeframe/);
    expect(await repo.countBars('CHFJPY', 'H1')).toBe(0);
    const given = await importer.importFile(oneBar, { tzOffsetMinutes: 0, timeframe: 'D1' });
    expect(given.timeframe).toBe('D1');
    expect(await repo.countBars('CHFJPY', 'D1')).toBe(1);
  });

  it('names the file, the line and the expected formats for a file in no known format', async () => {
    const garbage = await writeAt(path.join(files.dir, 'garbage'), 'notes.txt', 'hello world\nthis is not market data\n');
    const error = await importer.importFile(garbage, { tzOffsetMinutes: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toMatch(/notes\.txt: Line 1 .*Expected one of: MT5 "Export bars".*MT5 "Export ticks".*HistData.*EA tick-capture JSON/);
  });

  it('reports a missing file as not found', async () => {
    const error = await importer.importFile(path.join(files.dir, 'missing.csv')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toBe(`no such file: ${path.join(files.dir, 'missing.csv')}`);
  });
});
