import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startCli, tempDataDir, type RunningPlatform } from '../support/cli';

/**
 * What a newcomer sees from the quick start: `tradepilot start` with nothing configured
 * serves the playground, and a person chatting in a real (headless) Chromium gets answers.
 */
describe('quick start in a browser', () => {
  let platform: RunningPlatform;
  let browser: Browser;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await tempDataDir();
    platform = await startCli({ DATA_DIR: dataDir, ADMIN_PORT: '0', MT5_BRIDGE_PORT: '0', LOG_LEVEL: 'warn' });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    if (platform && platform.child.exitCode === null) await platform.stop('SIGKILL');
  });

  async function openPlayground(url: string): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(url);
    await page.getByTestId('composer').waitFor();
    return page;
  }

  async function send(page: Page, text: string) {
    await page.getByTestId('composer').fill(text);
    await page.getByTestId('send').click();
  }

  it('prints the playground URL, and the bot answers /start with buttons in the browser', async () => {
    expect(platform.playgroundUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/playground$/);
    const page = await openPlayground(platform.playgroundUrl!);
    await send(page, '/start');
    const reply = page.getByTestId('bot-message').filter({ hasText: 'Welcome to TradePilot' });
    await reply.waitFor({ timeout: 15_000 });
    await expect(reply.getByTestId('button').allTextContents()).resolves.toEqual(['📖 Commands']);

    await reply.getByTestId('button').click();
    await page.getByTestId('bot-message').filter({ hasText: 'TradePilot commands' }).waitFor({ timeout: 15_000 });
    // The button edited the same message in place: one bot message, now the command list.
    expect(await page.getByTestId('bot-message').count()).toBe(1);
    await page.screenshot({ path: join(tmpdir(), 'tradepilot-playground.png') });
    await page.close();
  });

  it('onboards a tenant over the admin API and joins it from the invite link in the playground', async () => {
    const apiKey = (await readFile(join(dataDir, 'secrets/admin-api-key'), 'utf8')).trim();
    expect(platform.output()).not.toContain(apiKey);
    const response = await fetch(`${platform.adminUrl}/api/v1/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Acme <Desk>', plan: 'pro' }),
    });
    expect(response.status).toBe(201);
    const tenant = (await response.json()) as { inviteCode: string; inviteLink: string };
    expect(tenant.inviteLink).toBe(`${platform.playgroundUrl}?start=${tenant.inviteCode}`);

    const page = await openPlayground(tenant.inviteLink);
    expect(await page.getByTestId('composer').inputValue()).toBe(`/start ${tenant.inviteCode}`);
    await page.getByTestId('send').click();
    await page.getByTestId('bot-message').filter({ hasText: 'You joined Acme <Desk> as desk admin.' }).waitFor({ timeout: 15_000 });
    await page.close();
  });

  it('reports every role healthy and stops within 10 s of SIGTERM', async () => {
    const health = (await (await fetch(`${platform.adminUrl}/healthz`)).json()) as { status: string; roles: Record<string, { status: string }> };
    expect(health.status).toBe('ok');
    expect(Object.keys(health.roles).sort()).toEqual(['admin', 'bot', 'engine', 'notifier']);
    const stopped = await platform.stop('SIGTERM');
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(10_000);
  });
});
