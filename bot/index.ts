/** The Telegram transport: bot factory, the bot role, and the local Bot API sandbox. */
export { createBot, publishCommands, type BotDeps } from './create';
export { startBotRole, type BotRole, type BotRoleDeps, type TelegramTarget } from './role';
export type { BotContext } from './context';
export { COMMANDS } from './commands';
export { escapeHtml, roleLabel } from './format';
export { createTelegramSandbox, type TelegramSandbox } from './sandbox';
