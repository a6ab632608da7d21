import { existsSync, mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { ClickHouseLogLevel, createClient, type ClickHouseClient, type Logger as ClickHouseLogger } from '@clickhouse/client';
import type { ChdbConnection } from 'chdb/connection';
import { redactUrl } from '../../core/config';
import { UnavailableError } from '../../core/errors';
import type { Logger } from '../../core/logger';
import { hasFileOpen, processState, readHolderFile } from '../holder-file';
import { CLICKHOUSE_MIGRATIONS, SCHEMA_MIGRATIONS_DDL, type ClickHouseMigration } from './migrations';
import { releaseLibraryPages } from './release-pages';
import { shareEmbeddedClickHouse, shareSocketPath, unixSocketAgent, type ClickHouseShare } from './share';

export type { ClickHouseClient } from '@clickhouse/client';

type ChdbClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

export interface ClickHouseHandle {
  /** @clickhouse/client's own client; only its construction differs between server and chDB. */
  client: ClickHouseClient;
  /** 'chdb-shared': the embedded engine of another local process (`tradepilot start`), through its socket. */
  kind: 'server' | 'chdb' | 'chdb-shared';
  /** chdb-shared: the process that holds the store (see `shareLost` for when it goes away). */
  holderPid?: number;
  /** Applies pending migrations in order; running it again is a no-op. */
  migrate(): Promise<void>;
  /** True when the server (or the embedded engine) answers right now; never throws. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface OpenClickHouseOptions {
  /** http(s)://… → a ClickHouse server over HTTP; unset → chDB persisted at `${dataDir}/ch`. */
  clickhouseUrl?: string | undefined;
  dataDir: string;
  logger: Logger;
  /** Per-request timeout against a server (default 30 s) or through another process's socket (60 s). */
  requestTimeoutMs?: number;
  /**
   * While open, let other local processes (`tradepilot import`) use this process's
   * embedded ClickHouse through a Unix socket in DATA_DIR (see share.ts). `tradepilot start` does.
   */
  share?: boolean;
}

/**
 * Server settings the embedded engine starts with. ClickHouse sizes the pools that load a
 * table's parts (active, outdated, unexpected) and clean them for a server (64, 32, 8 and 128
 * threads), and its global pool keeps every thread it started: opening a database of 242
 * parts left 65 idle threads in the process for its whole life, ≈ 12 MiB of their stacks and
 * allocator caches. One thread per core loads the same parts from the same disk.
 */
function chdbEngineArgs(): string[] {
  const threads = Math.max(2, availableParallelism());
  return [
    `--max_active_parts_loading_thread_pool_size=${threads}`,
    `--max_outdated_parts_loading_thread_pool_size=${threads}`,
    `--max_unexpected_parts_loading_thread_pool_size=${threads}`,
    `--max_parts_cleaning_thread_pool_size=${threads}`,
  ];
}

/**
 * chdb/connection opens its session without engine arguments. The engine starts with the
 * first connection to a directory and later ones share it, so a first session carries them
 * and is closed once the connection holds the engine.
 */
async function connectChdb(dir: string, log: Logger): Promise<ChdbConnection> {
  // Loaded here, not at the top: the native library maps ≈ 150 MiB into the process as it
  // loads, which a process that reaches ClickHouse over HTTP or through another's socket does
  // without.
  const { Session } = await import('chdb');
  releaseChdbPages(log, 'load');
  const { createChdbConnection } = await import('chdb/connection');
  const starter = new Session(dir, { connectionArgs: chdbEngineArgs() });
  releaseChdbPages(log, 'engine start');
  try {
    return createChdbConnection({ path: dir });
  } finally {
    starter.close();
  }
}

let releaseUnavailableLogged = false;

/**
 * Takes the pages of libchdb that a step of start-up touched out of the resident set
 * (release-pages.ts): the start-up steps together leave ≈ 200 MiB of it resident otherwise.
 */
function releaseChdbPages(log: Logger, after: string): void {
  try {
    const outcome = releaseLibraryPages('libchdb.so');
    if ('unavailable' in outcome) {
      if (!releaseUnavailableLogged) log.info(`libchdb's start-up pages stay resident (≈ 90 MiB more memory): ${outcome.unavailable}`);
      releaseUnavailableLogged = true;
      return;
    }
    log.debug({ after, releasedMiB: Math.round(outcome.releasedKb / 102.4) / 10, mappings: outcome.mappings }, "released libchdb's pages mapped from disk");
  } catch (error) {
    log.warn({ after, err: error }, "could not release libchdb's pages mapped from disk");
  }
}

/**
 * Opens ClickHouse. chDB binds one data directory per process: opening a second, different
 * `dataDir` while one is open is refused by chDB itself.
 */
export async function openClickHouse(options: OpenClickHouseOptions): Promise<ClickHouseHandle> {
  const { clickhouseUrl, logger } = options;
  const log = logger.child({ component: 'clickhouse', kind: clickhouseUrl ? 'server' : 'chdb' });
  const clientLog = { LoggerClass: pinoBridge(log), level: ClickHouseLogLevel.WARN };
  let client: ClickHouseClient;
  let kind: ClickHouseHandle['kind'];
  let where: string;
  let embedded: ChdbConnection | undefined;
  let holder: ReturnType<typeof lockHolder>;
  if (clickhouseUrl) {
    kind = 'server';
    where = `CLICKHOUSE_URL (${redactUrl(clickhouseUrl)})`;
    client = createClient({ url: clickhouseUrl, request_timeout: options.requestTimeoutMs ?? 30_000, log: clientLog });
  } else {
    const dir = path.join(options.dataDir, 'ch');
    where = `the embedded ClickHouse (chDB) at ${dir}`;
    // Asked before chDB is, when it can be told for sure: chDB's own refusal comes with a
    // line of its own on stderr ("Cannot lock file …") ahead of ours.
    holder = certainLockHolder(dir);
    const socket = shareSocketPath(options.dataDir);
    // A process that would share the store (a second `tradepilot start`) must hold it itself.
    if (holder && (options.share || !existsSync(socket))) throw inUse(where, holder, undefined, options.share ? 'owner' : 'unshared');
    if (holder) {
      kind = 'chdb-shared';
      where = `${where}, through the process that holds it (PID ${holder.pid}, socket ${socket})`;
      client = createClient({
        url: 'http://localhost',
        http_agent: unixSocketAgent(socket),
        compression: { request: false, response: false },
        request_timeout: options.requestTimeoutMs ?? 60_000,
        log: clientLog,
      });
    } else {
      kind = 'chdb';
      try {
        mkdirSync(dir, { recursive: true });
        embedded = await connectChdb(dir, log);
        // chdb/connection types itself against @clickhouse/client-common 1.23.0 while the
        // client bundles its own copy of those types; they describe the same runtime contract.
        client = createClient({ connection: embedded as unknown as ChdbClientConnection, log: clientLog });
      } catch (error) {
        const holder = lockHolder(dir);
        if (holder) throw inUse(where, holder, error, options.share ? 'owner' : 'unshared');
        throw new UnavailableError('clickhouse_open_failed', `cannot open ${where}: ${messageOf(error)}`, error);
      }
    }
  }

  const ping = await client.ping();
  if (!ping.success) {
    await client.close().catch(() => undefined);
    if (holder) throw inUse(where, holder, ping.error, 'silent');
    throw new UnavailableError('clickhouse_unreachable', `cannot reach ${where}: ${messageOf(ping.error)}`, ping.error);
  }
  log.info(
    kind === 'chdb' ? 'opened embedded ClickHouse (chDB); set CLICKHOUSE_URL to use a server' : kind === 'chdb-shared' ? `using ${where}` : 'connected to ClickHouse',
  );
  let share: ClickHouseShare | undefined;
  if (embedded && options.share) {
    try {
      share = await shareEmbeddedClickHouse(embedded, options.dataDir, log);
    } catch (error) {
      // Sharing is a convenience: where DATA_DIR cannot hold a Unix socket (some network or
      // Windows-mounted file systems) this process runs as before, without it.
      log.warn({ reason: messageOf(error) }, `cannot serve ${where} to other tradepilot commands; an import will have to wait until this process stops`);
    }
  }

  let closed: Promise<void> | undefined;
  return {
    client,
    kind,
    ...(kind === 'chdb-shared' && holder ? { holderPid: holder.pid } : {}),
    async migrate() {
      const applied = await runMigrations(client, CLICKHOUSE_MIGRATIONS, { embedded: kind !== 'server' });
      if (embedded) releaseChdbPages(log, 'migrations');
      if (applied.length > 0) log.info({ applied }, 'clickhouse migrations applied');
    },
    async ping() {
      try {
        return (await client.ping()).success;
      } catch {
        return false;
      }
    },
    close() {
      closed ??= (async () => {
        await share?.close();
        await client.close();
      })();
      return closed;
    },
  };
}

/**
 * Applies the migrations not yet recorded; returns the versions it applied. `embedded`: the
 * client runs on chDB, so tables a migration names in `reattachEmbedded` are re-attached.
 */
export async function runMigrations(client: ClickHouseClient, migrations: readonly ClickHouseMigration[], options: { embedded?: boolean } = {}): Promise<number[]> {
  await client.command({ query: SCHEMA_MIGRATIONS_DDL });
  const result = await client.query({ query: 'SELECT DISTINCT version FROM schema_migrations', format: 'JSONEachRow' });
  const done = new Set((await result.json<{ version: number | string }>()).map((row) => Number(row.version)));
  const applied: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(migration.version)) continue;
    for (const statement of migration.statements) await client.command({ query: statement });
    if (options.embedded) {
      for (const table of migration.reattachEmbedded ?? []) {
        await client.command({ query: `DETACH TABLE ${table}` });
        await client.command({ query: `ATTACH TABLE ${table}` });
      }
    }
    await client.insert({ table: 'schema_migrations', values: [{ version: migration.version, name: migration.name }], format: 'JSONEachRow' });
    applied.push(migration.version);
  }
  return applied;
}

/** @clickhouse/client logs through a class it instantiates itself; route it to our pino child. */
function pinoBridge(log: Logger): new () => ClickHouseLogger {
  const fields = (module: string, args: Record<string, unknown> | undefined, err?: Error) => ({
    module,
    ...(args ? { args } : {}),
    ...(err ? { reason: messageOf(err) } : {}),
  });
  return class implements ClickHouseLogger {
    trace(p: { module: string; message: string; args?: Record<string, unknown> }) {
      log.trace(fields(p.module, p.args), p.message);
    }
    debug(p: { module: string; message: string; args?: Record<string, unknown> }) {
      log.debug(fields(p.module, p.args), p.message);
    }
    info(p: { module: string; message: string; args?: Record<string, unknown> }) {
      log.info(fields(p.module, p.args), p.message);
    }
    warn(p: { module: string; message: string; args?: Record<string, unknown>; err?: Error }) {
      log.warn(fields(p.module, p.args, p.err), p.message);
    }
    // Every request error the client logs is also thrown to its caller, which reports it
    // (a CLI in one line of its own); logging it here as well would say it twice.
    error(p: { module: string; message: string; args?: Record<string, unknown>; err: Error }) {
      log.debug(fields(p.module, p.args, p.err), p.message);
    }
  };
}

/**
 * The live process holding an embedded ClickHouse directory, from the status file the engine
 * writes there while it is open (`PID: …`, `Started at: …`; removed on a clean close, and
 * left behind with a dead PID by a crash, which does not block a new open).
 */
function lockHolder(dir: string): { pid: number; startedAt: string | undefined } | undefined {
  const file = readHolderFile(path.join(dir, 'status'), 'Started at');
  const pid = file?.pid;
  if (pid === undefined || pid === process.pid || processState(pid) === 'gone') return undefined;
  return { pid, startedAt: file?.since };
}

/**
 * `lockHolder`, when that process is seen to have the status file open (chDB keeps it open,
 * locked, for as long as it runs). Undefined when it cannot be told (no /proc, or another
 * user's process): then chDB's lock decides.
 */
function certainLockHolder(dir: string): ReturnType<typeof lockHolder> {
  const holder = lockHolder(dir);
  return holder && hasFileOpen(holder.pid, path.join(dir, 'status')) === true ? holder : undefined;
}

/**
 * The store is held by another process. `unshared`: it does not serve it to others (an import,
 * or a start from before sharing); `owner`: this process must hold the store itself (a second
 * `tradepilot start` on the same DATA_DIR); `silent`: it serves it, but did not answer.
 */
function inUse(where: string, holder: { pid: number; startedAt: string | undefined }, cause?: unknown, why: 'unshared' | 'owner' | 'silent' = 'unshared'): UnavailableError {
  const since = holder.startedAt ? `, since ${holder.startedAt}` : '';
  const hints = {
    unshared: 'It does not let other commands use it (a running `tradepilot start` does; another import does not): wait for it to end or stop it',
    owner: 'Stop that process first (is another `tradepilot start` running on this DATA_DIR?), or give this one a DATA_DIR of its own',
    silent: `It serves it to other commands, but did not answer (${messageOf(cause)}): try again, or stop that process`,
  };
  return new UnavailableError(
    'clickhouse_in_use',
    `cannot open ${where}: another process is using it (PID ${holder.pid}${since}). ${hints[why]}, or set CLICKHOUSE_URL to a ClickHouse server, which any number of processes can share`,
    cause,
  );
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return (error.message || error.name).split('\n')[0] ?? error.name;
  return String(error);
}
