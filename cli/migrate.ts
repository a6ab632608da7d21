import { loadConfig, redactUrl } from '../core/config';
import { createLogger } from '../core/logger';
import type { Command } from './command';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Apply database migrations (Postgres or PGlite, ClickHouse or chDB) and exit.',
  usage: 'tradepilot migrate',
  help: 'Uses DATABASE_URL and CLICKHOUSE_URL when set, the embedded stores in DATA_DIR otherwise.\nSafe to run from several machines at once.',
  options: {},
  async run(_args, ctx) {
    const config = loadConfig(ctx.env);
    const logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel });
    const { openClickHouse, openDatabase } = await import('../db');
    const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger });
    try {
      await database.migrate();
    } finally {
      await database.close();
    }
    const clickhouse = await openClickHouse({ clickhouseUrl: config.clickhouseUrl, dataDir: config.dataDir, logger });
    try {
      await clickhouse.migrate();
    } finally {
      await clickhouse.close();
    }
    ctx.stdout.write(
      `migrated ${database.kind} (${config.databaseUrl ? redactUrl(config.databaseUrl) : `${config.dataDir}/pg`}) and ${clickhouse.kind} (${config.clickhouseUrl ? redactUrl(config.clickhouseUrl) : `${config.dataDir}/ch`})\n`,
    );
    return 0;
  },
};
