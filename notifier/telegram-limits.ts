import type { RateLimit } from '../db';

/**
 * Telegram's documented broadcast limits, enforced across every process through the shared
 * rate limiter: about 30 messages per second per bot, about one per second per private chat
 * (short bursts tolerated), and 20 per minute per group.
 */
export const BOT_LIMIT: RateLimit = { capacity: 30, refillPerSecond: 30 };
export const PRIVATE_CHAT_LIMIT: RateLimit = { capacity: 2, refillPerSecond: 1 };
export const GROUP_CHAT_LIMIT: RateLimit = { capacity: 3, refillPerSecond: 20 / 60 };

export function chatLimit(chatId: number): RateLimit {
  // Group and supergroup ids are negative in the Bot API.
  return chatId < 0 ? GROUP_CHAT_LIMIT : PRIVATE_CHAT_LIMIT;
}
