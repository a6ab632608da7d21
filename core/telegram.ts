/** Where the bot and the notifier reach Telegram (the real Bot API, or the local sandbox). */
export interface TelegramTarget {
  token: string;
  apiRoot: string;
  mode: 'polling' | 'webhook';
  webhookUrl: string | undefined;
  webhookSecret: string | undefined;
}

/** Escape text for Telegram's HTML parse mode (only &, < and > are special there). */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
