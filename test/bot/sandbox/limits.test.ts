import { afterEach, describe, expect, it } from 'vitest';
import type { TelegramSandbox } from '../../../bot/sandbox';
import { DEFAULT_LIMITS, RateLimiter, resolveLimits, TokenBucket } from '../../../bot/sandbox/limits';
import { callApi, startSandbox } from './support';

describe('TokenBucket', () => {
  it('allows a burst, then one token per interval', () => {
    const bucket = new TokenBucket(2, 1 / 1000, 0);
    expect(bucket.waitMs(0)).toBe(0);
    bucket.take(0);
    bucket.take(0);
    expect(bucket.waitMs(0)).toBe(1000);
    expect(bucket.waitMs(400)).toBe(600);
    expect(bucket.waitMs(1000)).toBe(0);
  });

  it('never runs dry with an infinite capacity', () => {
    const bucket = new TokenBucket(Infinity, Infinity, 0);
    for (let i = 0; i < 1000; i++) bucket.take(0);
    expect(bucket.waitMs(0)).toBe(0);
  });
});

describe('RateLimiter', () => {
  it('charges nothing for a refused call', () => {
    const limiter = new RateLimiter(resolveLimits({ botBurst: 3, botPerSecond: 3 }));
    limiter.check(1, 10, false, 'send', 0);
    limiter.check(1, 10, false, 'send', 0);
    expect(() => limiter.check(1, 10, false, 'send', 0)).toThrowError(/Too Many Requests: retry after 1/);
    // The refused third message took no token from the bot's bucket: another chat still fits.
    expect(() => limiter.check(1, 11, false, 'send', 0)).not.toThrow();
  });

  it('counts edits against the bot only, not the chat', () => {
    const limiter = new RateLimiter(resolveLimits({}));
    for (let i = 0; i < 10; i++) limiter.check(1, 10, false, 'edit', i);
    expect(() => limiter.check(1, 10, false, 'send', 10)).not.toThrow();
  });

  it('rejects limits that are not positive numbers', () => {
    expect(() => resolveLimits({ chatBurst: 0 })).toThrowError(/limits.chatBurst must be a positive number/);
  });
});

describe('rate limits over the Bot API', () => {
  let sandbox: TelegramSandbox | undefined;

  afterEach(async () => {
    await sandbox?.stop();
    sandbox = undefined;
  });

  it('answers 429 with retry_after when three messages go to one chat within a second', async () => {
    sandbox = await startSandbox();
    const { token } = sandbox.createBot({ username: 'flood_bot' });
    const user = sandbox.user({ firstName: 'Kim' });
    await user.send('/start');
    const send = (n: number) => callApi(sandbox!.apiRoot, token, 'sendMessage', { chat_id: user.id, text: `alert ${n}` });

    expect((await send(1)).status).toBe(200);
    expect((await send(2)).status).toBe(200);
    const third = await send(3);
    expect(third.status).toBe(429);
    expect(third.body.ok).toBe(false);
    expect(third.body.error_code).toBe(429);
    expect(third.body.parameters!.retry_after).toBeGreaterThanOrEqual(1);
    expect(third.body.description).toBe(`Too Many Requests: retry after ${third.body.parameters!.retry_after}`);
    expect((await user.messages({ fromBot: true })).map((m) => m.text)).toEqual(['alert 1', 'alert 2']);
  });

  it('has Telegram\'s numbers as defaults', () => {
    expect(DEFAULT_LIMITS).toMatchObject({ botPerSecond: 30, botBurst: 30, chatPerSecond: 1, chatBurst: 2, groupPerMinute: 20, groupBurst: 20 });
  });

  it('refuses the 31st message of a burst over all chats (30 per second per bot)', async () => {
    // A slow refill makes the burst boundary exact however long the requests take.
    sandbox = await startSandbox({ limits: { chatBurst: Infinity, chatPerSecond: Infinity, botPerSecond: 0.01 } });
    const { token } = sandbox.createBot({ username: 'broadcast_bot' });
    const users = Array.from({ length: 31 }, (_, i) => sandbox!.user({ firstName: `Subscriber ${i}` }));
    for (const user of users) await user.send('/start');
    const answers = [];
    for (const user of users) answers.push(await callApi(sandbox.apiRoot, token, 'sendMessage', { chat_id: user.id, text: 'EURUSD crossed 1.09' }));
    expect(answers.slice(0, 30).map((answer) => answer.status)).toEqual(Array(30).fill(200));
    expect(answers[30]!.status).toBe(429);
    expect(answers[30]!.body.parameters!.retry_after).toBeGreaterThanOrEqual(1);
  });

  it('limits a group to 20 messages per minute', async () => {
    sandbox = await startSandbox({ limits: { chatBurst: Infinity, chatPerSecond: Infinity } });
    const { token } = sandbox.createBot({ username: 'group_bot' });
    const member = sandbox.user({ firstName: 'Lee' });
    const group = sandbox.group({ title: 'Trading desk', members: [member] });
    await group.as(member).send('/start@group_bot');
    const send = () => callApi(sandbox!.apiRoot, token, 'sendMessage', { chat_id: group.id, text: 'signal' });
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await send()).status);
    expect(statuses).toEqual([...Array(20).fill(200), 429]);
    const twentyFirst = await send();
    expect(twentyFirst.status).toBe(429);
    // One message per three seconds refills the group's bucket.
    expect(twentyFirst.body.parameters!.retry_after).toBeGreaterThanOrEqual(2);
  });

  it('lets tests of other components raise the limits', async () => {
    sandbox = await startSandbox({ limits: { chatBurst: 100, chatPerSecond: 100 } });
    const { token } = sandbox.createBot({ username: 'relaxed_bot' });
    const user = sandbox.user({ firstName: 'Max' });
    await user.send('/start');
    for (let i = 0; i < 10; i++) expect((await callApi(sandbox.apiRoot, token, 'sendMessage', { chat_id: user.id, text: `${i}` })).status).toBe(200);
  });
});
