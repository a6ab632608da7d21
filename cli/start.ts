import { loadConfig } from '../core/config';
import { ConfigError } from '../core/errors';
import { createLogger } from '../core/logger';
import { ROLE_NAMES, type RoleName } from '../core/role';
import type { Command } from './command';

/** Roles finish in-flight work within this budget after SIGINT/SIGTERM, then the process exits. */
const SHUTDOWN_BUDGET_MS = 10_000;

export function parseRoles(value: string | undefined): RoleName[] {
  if (value === undefined || value === 'all') return [...ROLE_NAMES];
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(ROLE_NAMES as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length > 0) {
    throw new ConfigError(`--roles ${JSON.stringify(value)}: unknown role ${unknown.join(', ') || '(none given)'}; expected all or a comma list of ${ROLE_NAMES.join(', ')}`);
  }
  return [...new Set(names)] as RoleName[];
}

export const startCommand: Command = {
  name: 'start',
  summary: 'Run the platform: every role in one process, or the roles named with --roles.',
  usage: 'tradepilot start [--roles all|bot,engine,notifier,admin]',
  help: [
    'Options:',
    '      --roles LIST   all (default) or a comma list of bot, engine, notifier, admin.',
    '                     Separate roles need REDIS_URL, DATABASE_URL, CLICKHOUSE_URL and',
    '                     TELEGRAM_BOT_TOKEN so that processes share state.',
    '',
    'Without TELEGRAM_BOT_TOKEN the bot talks to a local Telegram sandbox and a playground',
    'is served at http://127.0.0.1:$ADMIN_PORT/playground.',
  ].join('\n'),
  options: { roles: { type: 'string' } },
  async run({ values }, ctx) {
    const roles = parseRoles(values.roles as string | undefined);
    const config = loadConfig(ctx.env);
    const secrets = new Set<string>();
    const logger = createLogger({ level: config.logLevel, secrets });
    // Loaded here, not at the top: `tradepilot import` and `--help` need none of the roles.
    const { startPlatform } = await import('./platform');
    const platform = await startPlatform({ config, roles, logger, secrets });

    const lines = [`TradePilot is running (roles: ${roles.join(', ')}).`];
    if (platform.adminUrl) lines.push(`  admin API:   ${platform.adminUrl}  (health: ${platform.adminUrl}/healthz, docs: ${platform.adminUrl}/api/docs/json)`);
    if (platform.playgroundUrl) lines.push(`  playground:  ${platform.playgroundUrl}  ← chat with the bot in your browser`);
    if (platform.apiKeyPath) lines.push(`  operator API key (generated, kept private): ${platform.apiKeyPath}`);
    lines.push('Press Ctrl+C to stop.');
    ctx.stderr.write(`${lines.join('\n')}\n`);

    return await new Promise<number>((resolve) => {
      let stopping = false;
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'stopping: finishing in-flight work');
        const force = setTimeout(() => {
          logger.error({ budget_ms: SHUTDOWN_BUDGET_MS }, 'shutdown budget exceeded; exiting anyway');
          resolve(1);
        }, SHUTDOWN_BUDGET_MS);
        force.unref();
        platform.stop().then(
          () => {
            clearTimeout(force);
            logger.info('stopped');
            resolve(0);
          },
          (error: unknown) => {
            clearTimeout(force);
            logger.error({ err: error }, 'stop failed');
            resolve(1);
          },
        );
      };
      process.once('SIGINT', () => shutdown('SIGINT'));
      process.once('SIGTERM', () => shutdown('SIGTERM'));
    });
  },
};
