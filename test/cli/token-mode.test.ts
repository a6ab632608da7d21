import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelegramSandbox, type TelegramSandbox } from '../../bot/sandbox';
import { startCli, tempDataDir, type RunningPlatform } from '../support/cli';

/**
 * `tradepilot start` with a bot token, talking to a Bot API root over HTTP exactly as it
 * would to Telegram. The API root here is the sandbox behind a small proxy that refuses
 * setMyCommands, as some Bot API proxies do: that must be logged, not fatal.
 */
describe('start with TELEGRAM_BOT_TOKEN and TELEGRAM_API_ROOT', () => {
  let sandbox: TelegramSandbox;
  let proxy: http.Server;
  let platform: RunningPlatform;
  let token: string;
  const refused: string[] = [];

  beforeAll(async () => {
    sandbox = createTelegramSandbox({ port: 0 });
    await sandbox.start();
    token = sandbox.createBot({ username: 'DeskBot', firstName: 'Desk' }).token;
    const upstream = new URL(sandbox.apiRoot);
    proxy = http.createServer((request, response) => {
      if (/\/setMyCommands$/i.test(request.url ?? '')) {
        refused.push(request.url!);
        response.writeHead(400, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ ok: false, error_code: 400, description: 'Bad Request: method is disabled on this server' }));
        request.resume();
        return;
      }
      const forward = http.request({ host: upstream.hostname, port: upstream.port, path: request.url, method: request.method, headers: request.headers }, (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      });
      forward.on('error', () => response.destroy());
      request.pipe(forward);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const { port } = proxy.address() as { port: number };
    platform = await startCli({
      TELEGRAM_BOT_TOKEN: token,
      TELEGRAM_API_ROOT: `http://127.0.0.1:${port}`,
      DATA_DIR: await tempDataDir(),
      ADMIN_PORT: '0',
      LOG_LEVEL: 'trace',
    });
  }, 90_000);

  afterAll(async () => {
    if (platform && platform.child.exitCode === null) await platform.stop('SIGKILL');
    await new Promise((resolve) => proxy?.close(resolve));
    await sandbox?.stop();
  });

  it('answers /start through the configured API root and serves no playground', async () => {
    expect(platform.playgroundUrl).toBeUndefined();
    const user = sandbox.user({ id: 4242, firstName: 'Zoe' }, { bot: 'DeskBot' });
    await user.send('/start');
    const reply = await user.waitForMessage(undefined, { timeoutMs: 15_000 });
    expect(reply.text).toMatch(/Welcome to TradePilot, Zoe/);
    expect(refused).toHaveLength(1);
    expect(platform.output()).toMatch(/setMyCommands failed; the command menu is not published/);
  });

  it('never writes the bot token to its logs, even at LOG_LEVEL=trace', async () => {
    const stopped = await platform.stop('SIGINT');
    expect(stopped.code).toBe(0);
    const output = platform.output();
    expect(output.length).toBeGreaterThan(1000);
    expect(output).not.toContain(token);
    expect(output).not.toContain(token.split(':')[1]!);
  });
});
