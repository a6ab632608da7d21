import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  ConfigError,
  createMetrics,
  overallStatus,
  redactUrl,
  secretsOf,
  type ComponentHealth,
  type Config,
  type HealthReport,
  type Logger,
  type Metrics,
  type RoleName,
  type RunningRole,
  type TelegramTarget,
} from '../core';
import { openClickHouse, openDatabase, createSharedState, type ClickHouseHandle, type DatabaseHandle, type SharedState } from '../db';
import { createTenancy, type Tenancy } from '../tenancy';
import { createTelegramSandbox, startBotRole, type TelegramSandbox } from '../bot';
import { startEngineRole } from '../engine';
import { startNotifierRole } from '../notifier';
import { startAdminRole } from '../admin';
import { generateApiKey, generateHexKey, localSecret } from './secrets';

export interface PlatformOptions {
  config: Config;
  roles: RoleName[];
  logger: Logger;
  /** Secrets the logger must mask; generated keys are added to it. */
  secrets: Set<string>;
  /** How often dependencies are pinged for /healthz (default 5 s). */
  dependencyCheckMs?: number;
}

export interface Platform {
  roles: RunningRole[];
  adminUrl: string | undefined;
  playgroundUrl: string | undefined;
  sandbox: TelegramSandbox | undefined;
  apiKeyPath: string | undefined;
  health(): Promise<HealthReport>;
  stop(): Promise<void>;
}

const DEPENDENCY_CHECK_MS = 5_000;

/**
 * Composition root of `tradepilot start`: opens the stores (real services when their URLs
 * are set, embedded ones otherwise), starts the requested roles and watches dependencies so
 * /healthz turns "degraded" while one is lost, and back to "ok" once it reconnects.
 */
export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const { config, roles, logger, secrets } = options;
  const all = roles.length === 4;
  for (const secret of secretsOf(config)) secrets.add(secret);

  if (!all) {
    const missing = [
      config.redisUrl ? undefined : 'REDIS_URL',
      config.databaseUrl ? undefined : 'DATABASE_URL',
      config.clickhouseUrl ? undefined : 'CLICKHOUSE_URL',
      config.telegram.token ? undefined : 'TELEGRAM_BOT_TOKEN',
    ].filter(Boolean);
    if (missing.length > 0) {
      throw new ConfigError(
        `--roles ${roles.join(',')} runs part of a multi-process deployment and needs ${missing.join(', ')}: separate processes share state only through real services (run every role in one process with plain "tradepilot start")`,
      );
    }
  }
  if (config.databaseUrl && !config.masterKey) {
    throw new ConfigError('MASTER_KEY is required when DATABASE_URL is set: every instance must encrypt and decrypt with the same key (generate one with: openssl rand -hex 32)');
  }

  const masterKey = config.masterKey ?? Buffer.from((await localSecret(config.dataDir, 'master.key', generateHexKey)).value, 'hex');
  let apiKey = config.admin.apiKey;
  let apiKeyPath: string | undefined;
  if (!apiKey && roles.includes('admin')) {
    const generated = await localSecret(config.dataDir, 'admin-api-key', generateApiKey);
    apiKey = generated.value;
    apiKeyPath = generated.path;
  }
  secrets.add(masterKey.toString('hex'));
  if (apiKey) secrets.add(apiKey);

  const metrics = createMetrics();
  const running: RunningRole[] = [];
  const closers: Array<{ name: string; close: () => Promise<void> }> = [];
  const closeAll = async () => {
    for (const { name, close } of closers.reverse()) {
      await close().catch((error) => logger.warn({ err: error, component: name }, 'close failed'));
    }
  };

  try {
    const shared = await createSharedState({ redisUrl: config.redisUrl, logger });
    closers.push({ name: 'shared-state', close: () => shared.close() });
    logger.info({ kind: shared.kind, target: config.redisUrl ? redactUrl(config.redisUrl) : 'in-process' }, 'bus and shared state ready');

    const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger });
    closers.push({ name: 'postgres', close: () => database.close() });
    await database.migrate();
    logger.info({ kind: database.kind, target: config.databaseUrl ? redactUrl(config.databaseUrl) : `${config.dataDir}/pg` }, 'relational store ready');

    // Shared: `tradepilot import` may use the embedded store while this runs.
    const clickhouse = await openClickHouse({ clickhouseUrl: config.clickhouseUrl, dataDir: config.dataDir, logger, share: true });
    closers.push({ name: 'clickhouse', close: () => clickhouse.close() });
    await clickhouse.migrate();
    logger.info({ kind: clickhouse.kind, target: config.clickhouseUrl ? redactUrl(config.clickhouseUrl) : `${config.dataDir}/ch` }, 'columnar store ready');

    const tenancy = createTenancy({ db: database.db, logger: logger.child({ component: 'tenancy' }), onEvent: (event) => void shared.bus.publish(event.stream, event.event).catch((error: unknown) => logger.warn({ err: error }, 'could not publish tenancy event')) });

    let sandbox: TelegramSandbox | undefined;
    let telegram: TelegramTarget;
    if (config.telegram.token) {
      telegram = { token: config.telegram.token, apiRoot: config.telegram.apiRoot, mode: config.telegram.mode, webhookUrl: config.telegram.webhookUrl, webhookSecret: config.telegram.webhookSecret };
    } else {
      sandbox = createTelegramSandbox({ host: '127.0.0.1', port: 0, logger: logger.child({ component: 'telegram-sandbox' }) });
      await sandbox.start();
      closers.push({ name: 'telegram-sandbox', close: () => sandbox!.stop() });
      const identity = sandbox.createBot({ username: 'TradePilotBot', firstName: 'TradePilot' });
      secrets.add(identity.token);
      telegram = { token: identity.token, apiRoot: sandbox.apiRoot, mode: 'polling', webhookUrl: undefined, webhookSecret: undefined };
      logger.info({ apiRoot: sandbox.apiRoot }, 'no TELEGRAM_BOT_TOKEN: the bot talks to the local Telegram sandbox');
    }

    const instanceId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    const common = { config, logger, metrics, shared, database, clickhouse, tenancy, instanceId };

    let botRole: Awaited<ReturnType<typeof startBotRole>> | undefined;
    if (roles.includes('bot')) {
      botRole = await startBotRole({ ...common, telegram });
      running.push(botRole);
    }
    let engineRole: Awaited<ReturnType<typeof startEngineRole>> | undefined;
    if (roles.includes('engine')) {
      engineRole = await startEngineRole({ ...common, db: database.db });
      running.push(engineRole);
    }
    if (roles.includes('notifier')) running.push(await startNotifierRole({ ...common, telegram }));

    const dependencyHealth = new Map<string, ComponentHealth>();
    const checkDependencies = async () => {
      const checks: Array<[string, () => Promise<boolean>]> = [
        [database.kind, () => database.ping()],
        [clickhouse.kind === 'chdb' ? 'chdb' : 'clickhouse', () => clickhouse.ping()],
        ...(shared.kind === 'redis' ? ([['redis', () => shared.ping()]] as Array<[string, () => Promise<boolean>]>) : []),
      ];
      await Promise.all(
        checks.map(async ([name, ping]) => {
          const ok = await ping().catch(() => false);
          const before = dependencyHealth.get(name)?.status;
          const status = ok ? 'ok' : 'down';
          if (before && before !== status) {
            if (ok) logger.info({ dependency: name }, 'dependency reconnected');
            else logger.warn({ dependency: name }, 'dependency lost; retrying with backoff');
          }
          dependencyHealth.set(name, ok ? { status: 'ok' } : { status: 'down', detail: `${name} is not answering` });
          metrics.dependencyUp.set({ dependency: name }, ok ? 1 : 0);
        }),
      );
    };
    await checkDependencies();
    const watch = setInterval(() => void checkDependencies(), options.dependencyCheckMs ?? DEPENDENCY_CHECK_MS);
    watch.unref();
    closers.push({ name: 'dependency-watch', close: async () => clearInterval(watch) });

    const started = Date.now();
    const health = async (): Promise<HealthReport> => {
      const rolesHealth = Object.fromEntries(running.map((role) => [role.name, role.health()]));
      const dependencies = Object.fromEntries(dependencyHealth);
      if (sandbox) dependencies['telegram-sandbox'] = { status: 'ok', apiRoot: sandbox.apiRoot };
      return {
        status: overallStatus([...Object.values(rolesHealth), ...Object.values(dependencies)]),
        uptimeSeconds: Math.round((Date.now() - started) / 1000),
        roles: rolesHealth,
        dependencies,
      };
    };

    let adminUrl: string | undefined;
    let playgroundUrl: string | undefined;
    if (roles.includes('admin')) {
      const admin = await startAdminRole({
        ...common,
        apiKey: apiKey!,
        masterKey,
        health,
        bot: botRole,
        sandbox,
        db: database.db,
        engine: engineRole,
      });
      running.push(admin);
      adminUrl = admin.url;
      playgroundUrl = sandbox ? `${admin.url}/playground` : undefined;
    }

    let stopped = false;
    return {
      roles: running,
      adminUrl,
      playgroundUrl,
      sandbox,
      apiKeyPath,
      health,
      async stop() {
        if (stopped) return;
        stopped = true;
        // Stop intake first (admin, bot), then producers, so in-flight work can finish.
        const order: RoleName[] = ['admin', 'bot', 'notifier', 'engine'];
        for (const name of order) {
          const role = running.find((r) => r.name === name);
          if (role) await role.stop().catch((error) => logger.warn({ err: error, role: name }, 'role stop failed'));
        }
        await closeAll();
      },
    };
  } catch (error) {
    // A role that started before the failure (say the admin port was taken) must not keep
    // the process alive: stop them, newest first, then close the stores.
    for (const role of running.reverse()) await role.stop().catch((stopError: unknown) => logger.warn({ err: stopError, role: role.name }, 'role stop failed'));
    await closeAll();
    throw error;
  }
}

export type { DatabaseHandle, ClickHouseHandle, SharedState, Tenancy, Metrics };
