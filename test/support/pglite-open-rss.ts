/**
 * Child process for test/db/postgres/pglite.test.ts: opens the embedded Postgres in the
 * DATA_DIR given (a new one makes PGlite run initdb), waits half a second and prints the
 * process's resident memory as `{"rssMiB":…}`, then closes it.
 */
import { readFileSync } from 'node:fs';
import { createLogger } from '../../core/logger';
import { openDatabase } from '../../db/postgres/client';

async function main(): Promise<void> {
  const handle = await openDatabase({ dataDir: process.argv[2]!, logger: createLogger({ level: 'silent', pretty: false }) });
  await new Promise((resolve) => setTimeout(resolve, 500));
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
  process.stdout.write(`${JSON.stringify({ rssMiB: rssKb / 1024 })}\n`);
  await handle.close();
}

void main();
