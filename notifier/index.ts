/** Alert delivery: the notifier role and the rate-limited, idempotent Telegram sender. */
export { startNotifierRole, type NotifierRoleDeps } from './role';
export { createSender, type OutboundMessage, type SendOutcome } from './sender';
export { BOT_LIMIT, PRIVATE_CHAT_LIMIT, GROUP_CHAT_LIMIT, chatLimit } from './telegram-limits';
