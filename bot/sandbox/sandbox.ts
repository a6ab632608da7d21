import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { InProcessTransport } from './client/transport';
import { SandboxGroup, SandboxUser, SandboxUserClient } from './client/user-client';
import { type BotRef, SandboxControl } from './control';
import { buildSandboxApp } from './http/app';
import { runMethod, webhookReplyParams } from './http/bot-api-routes';
import { type Limits, resolveLimits } from './limits';
import { SandboxState } from './state';
import type { CreatedBot, SandboxUserProfile } from './types';
import { DEFAULT_WEBHOOK_RETRY, WebhookDeliverer, type WebhookRetryOptions } from './webhook';

export interface TelegramSandboxOptions {
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 0: an ephemeral port, see `apiRoot` after start()). */
  port?: number;
  /** Logger to use (pass a child of the process's root). Default: silent. No token is ever logged. */
  logger?: Logger;
  /** Overrides of Telegram's limits and of the memory caps (see Limits). */
  limits?: Partial<Limits>;
  /** How long a webhook receiver may take to answer one update (default 10 s). */
  webhookTimeoutMs?: number;
  /** Backoff of failed webhook deliveries (default 1 s doubling up to 60 s). */
  webhookRetry?: Partial<WebhookRetryOptions>;
}

export interface CreateBotInput {
  username: string;
  firstName?: string;
  /** A token of Telegram's shape to use instead of a generated one. */
  token?: string;
  /** Privacy mode off: the bot sees every group message. */
  canReadAllGroupMessages?: boolean;
}

export interface TelegramSandbox {
  start(): Promise<void>;
  /** Ends long polls and event waits, stops webhook delivery, closes the server. */
  stop(): Promise<void>;
  /** `http://host:port`, for grammY's `client.apiRoot` and for `SandboxUserClient`. Available after start(). */
  readonly apiRoot: string;
  createBot(input: CreateBotInput): CreatedBot;
  /** A user of a bot (the only bot, or `options.bot`), acting in process. */
  user(profile: SandboxUserProfile, options?: { bot?: BotRef }): SandboxUser;
  /** A group of users with a bot (the only bot, or `input.bot`). */
  group(input: { title: string; members: Array<SandboxUser | number>; type?: 'group' | 'supergroup'; bot?: BotRef }): SandboxGroup;
  /** An in-process user-side client for one bot. */
  client(bot?: BotRef): SandboxUserClient;
  /** The user-side facade the `/_sandbox` routes use. */
  readonly control: SandboxControl;
}

export function createTelegramSandbox(options: TelegramSandboxOptions = {}): TelegramSandbox {
  const logger = options.logger ?? pino({ level: 'silent' });
  const state = new SandboxState({ limits: resolveLimits(options.limits), logger });
  const control = new SandboxControl(state);
  const transport = new InProcessTransport(control);
  let app: FastifyInstance | undefined;
  let root: string | undefined;

  const webhooks: WebhookDeliverer = new WebhookDeliverer({
    state,
    logger,
    timeoutMs: options.webhookTimeoutMs ?? 10_000,
    retry: { ...DEFAULT_WEBHOOK_RETRY, ...options.webhookRetry },
    onReply: async (bot, body) => {
      const { method, params } = webhookReplyParams(body);
      await runMethod({ state, webhooks, logger }, bot, method, params, new AbortController().signal);
    },
  });

  const defaultBot = (bot: BotRef | undefined): BotRef => {
    if (bot !== undefined) return state.requireBot(bot).id;
    const bots = [...state.bots.values()];
    if (bots.length === 1) return bots[0]!.id;
    throw new Error(bots.length === 0 ? 'the sandbox has no bot yet: call createBot() first' : 'the sandbox has several bots: say which one ({ bot })');
  };

  return {
    async start() {
      if (app !== undefined) throw new Error('the Telegram sandbox is already started');
      if (state.isClosed()) throw new Error('a stopped Telegram sandbox cannot start again: create a new one');
      app = await buildSandboxApp({ state, control, webhooks, logger });
      await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
      const address = app.server.address() as AddressInfo;
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      root = `http://${host}:${address.port}`;
      logger.info({ apiRoot: root }, 'Telegram sandbox listening');
    },

    async stop() {
      state.close();
      await webhooks.close();
      if (app !== undefined) {
        const closing = app;
        app = undefined;
        await closing.close();
        logger.info('Telegram sandbox stopped');
      }
    },

    get apiRoot() {
      if (root === undefined) throw new Error('the Telegram sandbox is not started: await start() first');
      return root;
    },

    createBot(input) {
      return control.createBot(input);
    },

    user(profile, userOptions = {}) {
      const bot = defaultBot(userOptions.bot);
      const registered = control.registerUser(profile);
      return new SandboxUser(transport, bot, registered, async () => undefined);
    },

    group(input) {
      const bot = defaultBot(input.bot);
      const memberIds = input.members.map((member) => (typeof member === 'number' ? member : member.id));
      const chat = control.createGroup(bot, { title: input.title, memberIds, ...(input.type ? { type: input.type } : {}) });
      return new SandboxGroup(transport, bot, chat);
    },

    client(bot) {
      return new SandboxUserClient(transport, defaultBot(bot));
    },

    control,
  };
}
