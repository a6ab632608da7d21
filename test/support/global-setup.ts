import net from 'node:net';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from './services';

function reachable(url: string, defaultPort: number): Promise<boolean> {
  const parsed = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: parsed.hostname, port: Number(parsed.port || defaultPort) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Fail fast, with the fix, when a real service the suite needs is not running. */
export default async function setup(): Promise<void> {
  const missing: string[] = [];
  if (!(await reachable(TEST_DATABASE_URL, 5432))) missing.push(`PostgreSQL at ${new URL(TEST_DATABASE_URL).host} (start it: bash scripts/setup.sh --services)`);
  if (!(await reachable(TEST_REDIS_URL, 6379))) missing.push(`Redis at ${new URL(TEST_REDIS_URL).host} (start it: bash scripts/setup.sh --services)`);
  if (missing.length > 0) {
    throw new Error(`The test suite needs real services that are not reachable: ${missing.join('; ')}`);
  }
}
