// Run as a child process (`node --import tsx test/support/clickhouse-holder.ts DATA_DIR [LEVEL]`): opens
// the embedded ClickHouse in DATA_DIR shared, as `tradepilot start` does, prints "open" and
// holds it until SIGTERM (closes cleanly, removing its socket) or SIGKILL (leaves it behind).
// Logs (JSON lines, at LEVEL, default warn) go to stdout after "open".
import { createLogger } from '../../core/logger';
import { openClickHouse } from '../../db/clickhouse';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: clickhouse-holder.ts DATA_DIR');
const level = process.argv[3] === 'info' ? 'info' : 'warn';
const handle = await openClickHouse({ dataDir, logger: createLogger({ level, pretty: false }), share: true });
await handle.migrate();
process.stdout.write('open\n');
const alive = setInterval(() => undefined, 1000);
process.once('SIGTERM', () => {
  clearInterval(alive);
  void handle.close().then(() => process.exit(0));
});
