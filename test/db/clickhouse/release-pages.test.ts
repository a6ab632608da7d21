import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openClickHouse, type ClickHouseHandle } from '../../../db/clickhouse';
import { captureLogger } from '../../support/logs';
import { ADDON_PATH, parseSmaps, releasableMappings, releaseLibraryPages, type Mapping } from '../../../db/clickhouse/release-pages';

// A process holding the embedded ClickHouse (tradepilot import, tradepilot start) drops the
// pages of libchdb that start-up touched; what it drops must be clean copies of the file.

/** Two mappings' worth of smaps, with the fields the kernel prints between the header lines. */
function entry(range: string, perms: string, file: string, fields: Record<string, number>): string {
  const lines = [`${range} ${perms} 00000000 08:01 1234                       ${file}`.trimEnd(), 'Size:               1024 kB'];
  for (const [name, kb] of Object.entries(fields)) lines.push(`${name}:${' '.repeat(Math.max(1, 16 - name.length))}${kb} kB`);
  lines.push('VmFlags: rd ex mr mw me');
  return lines.join('\n');
}

const LIB = '/app/node_modules/@chdb/lib-linux-x64-gnu/libchdb.so';
const SMAPS = [
  entry('7f0000000000-7f0000100000', 'r--p', LIB, { Rss: 512, Anonymous: 0, Swap: 0 }), // ELF headers, .rodata
  entry('7f0000100000-7f0000400000', 'r-xp', LIB, { Rss: 2048, Anonymous: 0, Swap: 0 }), // code
  entry('7f0000400000-7f0000500000', 'r--p', LIB, { Rss: 800, Anonymous: 64, Swap: 0 }), // relocated (RELRO)
  entry('7f0000500000-7f0000510000', 'rw-p', LIB, { Rss: 64, Anonymous: 64, Swap: 0 }), // .data
  entry('7f0000510000-7f0000520000', 'r--p', LIB, { Rss: 32, Anonymous: 0, Swap: 8 }), // a written page swapped out
  entry('7f0000520000-7f0000530000', 'r--p', LIB, { Rss: 0, Anonymous: 0, Swap: 0 }), // nothing resident
  entry('7f0000530000-7f0000540000', 'r--s', LIB, { Rss: 16, Anonymous: 0, Swap: 0 }), // shared
  entry('7f0000540000-7f0000550000', 'r-xp', `${LIB} (deleted)`, { Rss: 16, Anonymous: 0, Swap: 0 }),
  entry('7f0000550000-7f0000560000', 'r-xp', '/app/lib/notlibchdb.so', { Rss: 16, Anonymous: 0, Swap: 0 }),
  entry('7f0000560000-7f0000570000', 'r-xp', LIB, { Rss: 16 }), // no Anonymous/Swap lines
  entry('7f0000570000-7f0000580000', 'rw-p', '', { Rss: 64, Anonymous: 64, Swap: 0 }), // heap
].join('\n');

function libchdbTotals(): { rssKb: number; anonymousKb: number } {
  const mappings = parseSmaps(readFileSync('/proc/self/smaps', 'utf8')).filter((m) => m.path.endsWith('/libchdb.so'));
  return { rssKb: sum(mappings, (m) => m.rssKb), anonymousKb: sum(mappings, (m) => m.anonymousKb ?? 0) };
}

function sum(mappings: readonly Mapping[], of: (m: Mapping) => number): number {
  return mappings.reduce((total, m) => total + of(m), 0);
}

describe('choosing the mappings to release', () => {
  it('reads each mapping of smaps with its range, permissions, path and page counts', () => {
    const mappings = parseSmaps(SMAPS);
    expect(mappings).toHaveLength(11);
    expect(mappings[2]).toEqual({ start: 0x7f0000400000n, end: 0x7f0000500000n, perms: 'r--p', path: LIB, rssKb: 800, anonymousKb: 64, swapKb: 0 });
    expect(mappings[7]!.path).toBe(`${LIB} (deleted)`);
    expect(mappings[10]!.path).toBe('');
  });

  it("takes only the library's private, read-only mappings whose every resident page is the file's", () => {
    const chosen = releasableMappings(parseSmaps(SMAPS), 'libchdb.so');
    expect(chosen.map((m) => m.start.toString(16))).toEqual(['7f0000000000', '7f0000100000']);
  });
});

describe('the native addon', () => {
  const addon = createRequire(import.meta.url)(ADDON_PATH) as { dropPages: (...args: unknown[]) => void };

  it('is built (scripts/build-native.mjs, run by npm install and setup.sh)', () => {
    expect(typeof addon.dropPages).toBe('function');
  });

  it('refuses a range that is not whole pages, and arguments that are not two bigints', () => {
    expect(() => addon.dropPages(1n, 4096n)).toThrow(/multiples of the page size/);
    expect(() => addon.dropPages(4096n, 100n)).toThrow(/multiples of the page size/);
    expect(() => addon.dropPages(0n, 4096n)).toThrow(/multiples of the page size/);
    expect(() => addon.dropPages(4096n)).toThrow(/takes two bigints/);
    expect(() => addon.dropPages(4096, 4096)).toThrow(/bigints/);
    expect(() => addon.dropPages(-4096n, 4096n)).toThrow(/non-negative/);
  });

  it('reports the kernel refusing the call', () => {
    // No mapping at this address: madvise answers ENOMEM.
    expect(() => addon.dropPages(4096n, 4096n)).toThrow(/madvise\(MADV_DONTNEED\) failed: Cannot allocate memory/);
  });
});

describe('releasing libchdb in a process holding the embedded ClickHouse', () => {
  let dataDir: string;
  let handle: ClickHouseHandle;
  const { logger, lines } = captureLogger('debug');

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tp-ch-release-'));
    handle = await openClickHouse({ dataDir, logger });
    await handle.migrate();
  });
  afterAll(async () => {
    await handle?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('releases after loading the library, starting the engine and migrating, and logs each', () => {
    const releases = lines().filter((line) => line.msg === "released libchdb's pages mapped from disk") as Array<{ after: string; releasedMiB: number; mappings: number }>;
    expect(releases.map((r) => r.after)).toEqual(['load', 'engine start', 'migrations']);
    // Loading alone maps well over 50 MiB of the library (≈ 125 MiB on x86-64).
    expect(releases[0]!.releasedMiB).toBeGreaterThan(50);
    for (const release of releases) expect(release.mappings).toBeGreaterThan(0);
  });

  it('drops what queries touched and keeps every page the process wrote; the engine answers the same after', async () => {
    const query = async () => {
      const result = await handle.client.query({
        query: 'SELECT count() AS n, sum(number) AS total, uniqExact(toString(number % 1000)) AS distinct, quantileExact(0.5)(number) AS median FROM numbers(1000000)',
        format: 'JSONEachRow',
      });
      const [row] = await result.json<Record<string, string | number>>();
      return Object.fromEntries(Object.entries(row!).map(([name, value]) => [name, Number(value)]));
    };
    const expected = { n: 1_000_000, total: 499_999_500_000, distinct: 1000, median: 500_000 };
    expect(await query()).toEqual(expected);

    const before = libchdbTotals();
    const outcome = releaseLibraryPages('libchdb.so');
    const after = libchdbTotals();
    expect(outcome).toMatchObject({ mappings: expect.any(Number) });
    expect('releasedKb' in outcome && outcome.releasedKb).toBeGreaterThan(0);
    expect(after.rssKb).toBeLessThan(before.rssKb);
    // The relocated data (RELRO) and .data are copies this process wrote: they stay.
    expect(after.anonymousKb).toBe(before.anonymousKb);
    expect(after.anonymousKb).toBeGreaterThan(0);

    expect(await query()).toEqual(expected);
    await handle.client.command({ query: "CREATE TABLE release_check (s String) ENGINE = MergeTree ORDER BY s" });
    await handle.client.insert({ table: 'release_check', values: [{ s: 'a' }, { s: 'b' }], format: 'JSONEachRow' });
    const rows = await (await handle.client.query({ query: 'SELECT groupArray(s) AS s FROM release_check', format: 'JSONEachRow' })).json();
    expect(rows).toEqual([{ s: ['a', 'b'] }]);
  });
});
