/**
 * Takes the pages of libchdb that only its start-up needed out of this process's resident set.
 *
 * libchdb.so is a 566 MB library. Loading it runs the static initialisers of every part of
 * ClickHouse, and starting the engine and running the migrations runs more code once; the
 * kernel maps each touched page, and its neighbours (fault-around), from the file. That left
 * ≈ 200 MiB of libchdb resident in any process holding the embedded engine, most of it
 * never used again: `tradepilot import` peaked at 287–303 MiB, 263 MiB of it before the
 * first row.
 *
 * Those pages are clean copies of the file (read-only, private, never written), so
 * madvise(MADV_DONTNEED) can drop them from this process without losing a byte: the next
 * access maps the page again from the page cache, as after any reclaim. A mapping holding a
 * page the process wrote (copy-on-write: relocations, a debugger's breakpoint) would lose that
 * write, so a mapping is released only when smaps counts no anonymous and no swapped page in
 * it; read-only mappings cannot gain one afterwards.
 *
 * Node has no madvise: db/clickhouse/native is a small Node-API addon for the call, built by
 * scripts/build-native.mjs. Where it is missing (not built, not Linux), nothing is released
 * and the caller is told why.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** One mapping of /proc/self/smaps, with the fields the choice needs (kB as the kernel counts). */
export interface Mapping {
  start: bigint;
  end: bigint;
  /** e.g. `r-xp`. */
  perms: string;
  /** The mapped file's path; '' for anonymous memory. */
  path: string;
  rssKb: number;
  /** Undefined when smaps has no such line for the mapping (then it is never released). */
  anonymousKb?: number;
  swapKb?: number;
}

export type ReleaseOutcome = { releasedKb: number; mappings: number } | { unavailable: string };

const HEADER = /^([0-9a-f]+)-([0-9a-f]+) ([-r][-w][-x][ps]) \S+ \S+ \d+ *(.*)$/;
const FIELD = /^(Rss|Anonymous|Swap):\s+(\d+) kB$/;

export function parseSmaps(text: string): Mapping[] {
  const mappings: Mapping[] = [];
  let current: Mapping | undefined;
  for (const line of text.split('\n')) {
    const header = HEADER.exec(line);
    if (header) {
      current = { start: BigInt(`0x${header[1]}`), end: BigInt(`0x${header[2]}`), perms: header[3]!, path: header[4]!, rssKb: 0 };
      mappings.push(current);
      continue;
    }
    const field = FIELD.exec(line);
    if (!field || !current) continue;
    const kb = Number(field[2]);
    if (field[1] === 'Rss') current.rssKb = kb;
    else if (field[1] === 'Anonymous') current.anonymousKb = kb;
    else current.swapKb = kb;
  }
  return mappings;
}

/**
 * The mappings of the file named `library` (its base name) whose resident pages are all clean
 * copies of the file: private, not writable, no anonymous or swapped page, not deleted.
 */
export function releasableMappings(mappings: readonly Mapping[], library: string): Mapping[] {
  return mappings.filter(
    (m) => m.path.endsWith(`/${library}`) && m.perms[1] === '-' && m.perms[3] === 'p' && m.anonymousKb === 0 && m.swapKb === 0 && m.rssKb > 0,
  );
}

interface Addon {
  dropPages(start: bigint, length: bigint): void;
}

export const ADDON_PATH = fileURLToPath(new URL('./native/build/Release/release_pages.node', import.meta.url));

let addon: Addon | { unavailable: string } | undefined;

function loadAddon(): Addon | { unavailable: string } {
  if (addon) return addon;
  if (process.platform !== 'linux') return (addon = { unavailable: `it is for Linux (this is ${process.platform})` });
  try {
    addon = createRequire(import.meta.url)(ADDON_PATH) as Addon;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    addon = { unavailable: code === 'MODULE_NOT_FOUND' ? 'the native addon is not built (npm run build:native)' : `the native addon does not load: ${(error as Error).message}` };
  }
  return addon;
}

/** Drops the resident pages of `library`'s clean mappings from this process; see the top of the file. */
export function releaseLibraryPages(library: string): ReleaseOutcome {
  const native = loadAddon();
  if ('unavailable' in native) return native;
  let smaps: string;
  try {
    smaps = readFileSync('/proc/self/smaps', 'utf8');
  } catch (error) {
    return { unavailable: `/proc/self/smaps cannot be read: ${(error as Error).message}` };
  }
  let releasedKb = 0;
  const chosen = releasableMappings(parseSmaps(smaps), library);
  for (const mapping of chosen) {
    native.dropPages(mapping.start, mapping.end - mapping.start);
    releasedKb += mapping.rssKb;
  }
  return { releasedKb, mappings: chosen.length };
}
