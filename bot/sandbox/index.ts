/**
 * The local Telegram Bot API sandbox: a Bot API server over real HTTP that grammY cannot
 * tell from Telegram, and a user-side client to play users against it. Used by tests,
 * benchmarks, `tradepilot start` without TELEGRAM_BOT_TOKEN and the browser playground.
 */
export { createTelegramSandbox, type CreateBotInput, type TelegramSandbox, type TelegramSandboxOptions } from './sandbox';
export { SandboxUserClient, SandboxUser, SandboxGroup, SandboxChat, SandboxTimeoutError, type WaitOptions, type PressOptions } from './client/user-client';
export { HttpTransport, InProcessTransport, type SandboxTransport } from './client/transport';
export { SandboxControl, type BotRef, type SendAsUserInput } from './control';
export { SandboxControlError } from './errors';
export { DEFAULT_LIMITS, type Limits } from './limits';
export type { WebhookRetryOptions } from './webhook';
export type { ReplyMarkup } from './markup';
export type {
  CallbackAnswer, ChatEvent, ChatEventsPage, ChatEventType, CreatedBot, SandboxBotInfo, SandboxChatView, SandboxFileView, SandboxMessage,
  SandboxMessageVersion, SandboxUserProfile, UserUpload,
} from './types';
export { renderHtml } from './entities/render';
