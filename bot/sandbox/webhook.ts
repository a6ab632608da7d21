import type { Logger } from 'pino';
import type { BotRecord, SandboxState, WebhookConfig } from './state';

export interface WebhookRetryOptions {
  /** Delay after the first failed delivery; doubles with every further failure. */
  initialDelayMs: number;
  /** Upper bound of the delay between two attempts. */
  maxDelayMs: number;
}

export const DEFAULT_WEBHOOK_RETRY: WebhookRetryOptions = { initialDelayMs: 1_000, maxDelayMs: 60_000 };

/** A webhook answered with a method call in its body ("webhook reply"): run it as that bot. */
export type WebhookReplyHandler = (bot: BotRecord, body: Record<string, unknown>) => Promise<void>;

export interface WebhookDelivererOptions {
  state: SandboxState;
  logger: Logger;
  timeoutMs: number;
  retry: WebhookRetryOptions;
  onReply: WebhookReplyHandler;
}

interface Loop {
  config: WebhookConfig;
  stop: AbortController;
  done: Promise<void>;
}

/**
 * Delivers each bot's updates to its webhook by HTTP POST, one at a time so that they
 * arrive in order, with `X-Telegram-Bot-Api-Secret-Token` when a secret was set. A 2xx
 * answer confirms the update; anything else is recorded for getWebhookInfo (in Telegram's
 * words) and retried after a delay that doubles up to `retry.maxDelayMs`. An update is
 * given up only when it expires (`limits.updateTtlMs`) or the webhook is deleted.
 */
export class WebhookDeliverer {
  private readonly loops = new Map<number, Loop>();

  constructor(private readonly options: WebhookDelivererOptions) {}

  /** Starts (or restarts) delivery for the bot's current webhook; stops it when there is none. */
  configure(bot: BotRecord): void {
    const current = this.loops.get(bot.id);
    if (current !== undefined && current.config === bot.webhook) return;
    if (current !== undefined) {
      current.stop.abort();
      this.loops.delete(bot.id);
    }
    const config = bot.webhook;
    if (config === undefined) return;
    const stop = new AbortController();
    const loop: Loop = { config, stop, done: Promise.resolve() };
    loop.done = this.run(bot, config, stop.signal).catch((error: unknown) => {
      this.options.logger.error({ err: error, botId: bot.id }, 'sandbox webhook delivery stopped by an unexpected error');
    });
    this.loops.set(bot.id, loop);
  }

  async close(): Promise<void> {
    const loops = [...this.loops.values()];
    this.loops.clear();
    for (const loop of loops) loop.stop.abort();
    await Promise.all(loops.map((loop) => loop.done));
  }

  private async run(bot: BotRecord, config: WebhookConfig, signal: AbortSignal): Promise<void> {
    const { logger, retry, timeoutMs } = this.options;
    let failures = 0;
    while (!signal.aborted && bot.webhook === config) {
      const update = bot.updates.peek();
      if (update === undefined) {
        await waitFor((wake) => bot.updates.onPush(wake), signal);
        continue;
      }
      const error = await this.post(config, update, timeoutMs, signal, bot);
      if (signal.aborted) return;
      if (error === undefined) {
        failures = 0;
        bot.updates.acknowledge(update.update_id);
        continue;
      }
      failures++;
      config.lastErrorDate = this.options.state.unixNow();
      config.lastErrorMessage = error;
      const delay = Math.min(retry.maxDelayMs, retry.initialDelayMs * 2 ** Math.min(failures - 1, 30));
      logger.warn({ botId: bot.id, updateId: update.update_id, failures, retryInMs: delay, reason: error }, 'sandbox webhook delivery failed');
      await sleep(delay, signal);
    }
  }

  /** One delivery attempt: undefined when confirmed, else Telegram's description of the failure. */
  private async post(config: WebhookConfig, update: unknown, timeoutMs: number, stop: AbortSignal, bot: BotRecord): Promise<string | undefined> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (config.secretToken !== undefined) headers['x-telegram-bot-api-secret-token'] = config.secretToken;
    const timeout = AbortSignal.timeout(timeoutMs);
    let response: Response;
    try {
      response = await fetch(config.url, { method: 'POST', headers, body: JSON.stringify(update), signal: AbortSignal.any([stop, timeout]) });
    } catch (error) {
      if (timeout.aborted) return 'Read timeout expired';
      const code = (error as { cause?: { code?: string } }).cause?.code;
      if (code === 'ECONNREFUSED') return 'Connection refused';
      return `Failed to deliver the update: ${code ?? (error as Error).message}`;
    }
    let body = '';
    try {
      body = await response.text();
    } catch {
      // The status decides; a body cut short only loses a webhook reply.
    }
    if (response.status < 200 || response.status > 299) return `Wrong response from the webhook: ${response.status} ${response.statusText}`;
    await this.handleReply(bot, body);
    return undefined;
  }

  private async handleReply(bot: BotRecord, body: string): Promise<void> {
    if (body.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return; // Telegram ignores a body that is not a method call.
    }
    if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { method?: unknown }).method !== 'string') return;
    try {
      await this.options.onReply(bot, parsed as Record<string, unknown>);
    } catch (error) {
      this.options.logger.warn({ botId: bot.id, err: error }, 'sandbox webhook reply failed');
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Resolves at the next event `subscribe` reports, or when `signal` aborts. */
function waitFor(subscribe: (wake: () => void) => () => void, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    let unsubscribe: () => void = () => undefined;
    const done = () => {
      unsubscribe();
      signal.removeEventListener('abort', done);
      resolve();
    };
    unsubscribe = subscribe(done);
    signal.addEventListener('abort', done, { once: true });
  });
}
