import { describe, expect, it } from 'vitest';
import { runCli, tempDataDir } from '../support/cli';

const lines = (text: string) => text.trim().split('\n').filter(Boolean);

describe('tradepilot CLI', () => {
  it('prints an overview with --help and a usage error for an unknown command', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: tradepilot <command>/);
    expect(help.stdout).toMatch(/start\s+Run the platform/);
    expect(help.stdout).toMatch(/migrate\s+Apply database migrations/);
    const unknown = await runCli(['fly']);
    expect(unknown.code).toBe(2);
    expect(lines(unknown.stderr)).toEqual(['tradepilot: unknown command "fly" (commands: start, migrate, import, indicators)']);
  });

  it('has --help on every command', async () => {
    for (const command of ['start', 'migrate', 'import', 'indicators']) {
      const result = await runCli([command, '--help']);
      expect(result.code, command).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`Usage: tradepilot ${command}`));
    }
  });

  it('refuses ADMIN_PORT=notaport with one line naming it and exit code 2, starting nothing', async () => {
    const dataDir = await tempDataDir();
    const result = await runCli(['start'], { ADMIN_PORT: 'notaport', DATA_DIR: dataDir });
    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toEqual(['tradepilot start: ADMIN_PORT="notaport" is not a port: expected a whole number from 0 to 65535']);
    expect(result.stdout).toBe('');
  });

  it('names an unknown flag and an unknown role', async () => {
    const flag = await runCli(['start', '--rolez', 'bot']);
    expect(flag.code).toBe(2);
    expect(lines(flag.stderr)).toHaveLength(1);
    expect(flag.stderr).toMatch(/--rolez/);
    const role = await runCli(['start', '--roles', 'bot,trader']);
    expect(role.code).toBe(2);
    expect(lines(role.stderr)).toEqual([expect.stringMatching(/unknown role trader; expected all or a comma list of bot, engine, notifier, admin/)]);
  });

  it('refuses to run a single role on embedded stores, saying which services it needs', async () => {
    const result = await runCli(['start', '--roles', 'bot'], { DATA_DIR: await tempDataDir() });
    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(/needs REDIS_URL, DATABASE_URL, CLICKHOUSE_URL, TELEGRAM_BOT_TOKEN/);
  });

  it('reports an unreachable DATABASE_URL in one line without the password, and the stack only with --verbose', async () => {
    const env = { DATABASE_URL: 'postgres://app:Sup3rS3cret@127.0.0.1:1/tp', MASTER_KEY: 'ab'.repeat(32), DATA_DIR: await tempDataDir() };
    const result = await runCli(['start'], env);
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(/DATABASE_URL/);
    expect(result.stderr).toMatch(/127\.0\.0\.1:1/);
    expect(result.stderr).not.toContain('Sup3rS3cret');
    const verbose = await runCli(['start', '--verbose'], env);
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toMatch(/\n\s+at /);
    expect(verbose.stderr).not.toContain('Sup3rS3cret');
  });

  it('reports an unreachable REDIS_URL in one line naming it', async () => {
    const result = await runCli(['start'], { REDIS_URL: 'redis://:hunter2hunter2@127.0.0.1:1', DATA_DIR: await tempDataDir() });
    expect(result.code).toBe(1);
    const output = lines(result.stderr).filter((l) => !l.startsWith('{'));
    expect(output).toHaveLength(1);
    expect(output[0]).toMatch(/REDIS_URL/);
    expect(result.stderr).not.toContain('hunter2hunter2');
  });

  it('refuses DATABASE_URL without MASTER_KEY, since every instance must share the key', async () => {
    const result = await runCli(['start'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test', DATA_DIR: await tempDataDir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/MASTER_KEY is required when DATABASE_URL is set/);
  });

  it('names ADMIN_PORT when the port is already taken, and exits without leaving anything running', async () => {
    const net = await import('node:net');
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const result = await runCli(['start'], { ADMIN_PORT: String(port), DATA_DIR: await tempDataDir() });
      expect(result.code).toBe(2);
      expect(lines(result.stderr)).toEqual([`tradepilot start: ADMIN_PORT=${port}: 127.0.0.1:${port} is already in use (is another TradePilot running?); set ADMIN_PORT to a free port`]);
    } finally {
      blocker.close();
    }
  });

  it('migrates the embedded stores', async () => {
    const dataDir = await tempDataDir();
    const result = await runCli(['migrate'], { DATA_DIR: dataDir });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^migrated pglite \(.*\/pg\) and chdb \(.*\/ch\)\n$/);
  });
});
