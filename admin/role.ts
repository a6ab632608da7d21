import { Api } from 'grammy';
import { ConfigError, type Config, type HealthReport, type Logger, type Metrics, type RunningRole } from '../core';
import type { Tenancy } from '../tenancy';
import type { TelegramSandbox } from '../bot';
import type { BotRole } from '../bot';
import { createBridgeTokens, type EngineRole } from '../engine';
import type { Database } from '../db';
import { buildAdmin } from './app';

export interface AdminRoleDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  tenancy: Tenancy;
  apiKey: string;
  masterKey: Buffer;
  health(): Promise<HealthReport>;
  /** The bot role of this process, if it runs here (webhook intake, bot username). */
  bot: BotRole | undefined;
  /** The local Telegram sandbox, when no token is configured: serves the playground. */
  sandbox: TelegramSandbox | undefined;
  /** Postgres/PGlite, for MT5 bridge tokens. */
  db: Database;
  /** The engine role of this process, if it runs here (revoked tokens disconnect at once). */
  engine: EngineRole | undefined;
}

export interface AdminRole extends RunningRole {
  url: string;
}

export async function startAdminRole(deps: AdminRoleDeps): Promise<AdminRole> {
  let url = '';
  let username = deps.bot?.username;
  const botUsername = async (): Promise<string> => {
    if (username) return username;
    // Admin runs without the bot role on this machine: ask the Bot API once who we are.
    const api = new Api(deps.config.telegram.token!, { apiRoot: deps.config.telegram.apiRoot });
    username = (await api.getMe()).username;
    return username;
  };

  const app = await buildAdmin({
    logger: deps.logger,
    metrics: deps.metrics,
    tenancy: deps.tenancy,
    health: deps.health,
    apiKey: deps.apiKey,
    masterKey: deps.masterKey,
    bridgeTokens: createBridgeTokens(deps.db),
    onBridgeTokenRevoked: (tokenId) => void deps.engine?.bridge()?.disconnect({ tokenId }),
    inviteLink: async (code) => (deps.sandbox ? `${url}/playground?start=${encodeURIComponent(code)}` : `https://t.me/${await botUsername()}?start=${encodeURIComponent(code)}`),
    ...(deps.config.telegram.mode === 'webhook' && deps.bot
      ? { webhook: { secret: deps.config.telegram.webhookSecret!, accept: (update) => deps.bot!.acceptUpdate(update) } }
      : {}),
    ...(deps.sandbox && deps.bot ? { playground: { sandbox: deps.sandbox, botUsername: deps.bot.username } } : {}),
  });
  let address: string;
  try {
    address = await app.listen({ host: deps.config.admin.host, port: deps.config.admin.port });
  } catch (error) {
    await app.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new ConfigError(`ADMIN_PORT=${deps.config.admin.port}: ${deps.config.admin.host}:${deps.config.admin.port} is already in use (is another TradePilot running?); set ADMIN_PORT to a free port`);
    if (code === 'EACCES') throw new ConfigError(`ADMIN_PORT=${deps.config.admin.port}: not allowed to listen on ${deps.config.admin.host}:${deps.config.admin.port} (ports below 1024 need privileges)`);
    if (code === 'EADDRNOTAVAIL') throw new ConfigError(`ADMIN_HOST=${deps.config.admin.host} is not an address of this machine`);
    throw error;
  }
  const { port } = app.server.address() as { port: number };
  url = `http://${deps.config.admin.host.includes(':') ? `[${deps.config.admin.host}]` : deps.config.admin.host}:${port}`;
  deps.logger.info({ address }, 'admin HTTP listening');

  return {
    name: 'admin',
    url,
    health: () => ({ status: 'ok', url }),
    async stop() {
      await app.close();
    },
  };
}
