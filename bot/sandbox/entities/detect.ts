import type { MessageEntity } from '@grammyjs/types';
import { sortEntities } from './text';

/**
 * Entities Telegram finds by itself in any message, whoever sent it: bot commands,
 * @mentions, #hashtags, $CASHTAGS, URLs and e-mail addresses. A simplified version of
 * tdlib's `find_entities`: good enough for commands and links, not for every edge case.
 */
const PATTERNS: Array<{ type: MessageEntity['type']; regex: RegExp }> = [
  { type: 'bot_command', regex: /(?<![\w/@])\/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])/g },
  { type: 'email', regex: /(?<![\w.@])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w@])/g },
  { type: 'url', regex: /(?<![\w@/.])(?:https?:\/\/[^\s]+|(?:[A-Za-z0-9-]+\.)+(?:com|org|net|io|me|dev|app|ai|co|ru|de|uk|info|biz|edu|gov)(?::\d{1,5})?(?:\/[^\s]*)?(?![\w]))/gi },
  { type: 'mention', regex: /(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}(?!\w)/g },
  { type: 'hashtag', regex: /(?<![\w#])#[\p{L}\p{N}_]*\p{L}[\p{L}\p{N}_]*/gu },
  { type: 'cashtag', regex: /(?<![\w$])\$[A-Z]{1,8}(?![\w])/g },
];

/** Entity types inside which nothing else is detected. */
const OPAQUE = new Set<MessageEntity['type']>(['code', 'pre', 'text_link', 'text_mention', 'custom_emoji']);

export function detectEntities(text: string, existing: MessageEntity[]): MessageEntity[] {
  const taken: Array<[number, number]> = existing.filter((e) => OPAQUE.has(e.type)).map((e) => [e.offset, e.offset + e.length]);
  const found: MessageEntity[] = [];
  const overlaps = (from: number, to: number) => taken.some(([a, b]) => from < b && a < to);
  for (const { type, regex } of PATTERNS) {
    regex.lastIndex = 0;
    for (const match of text.matchAll(regex)) {
      let value = match[0];
      // Trailing punctuation ends a URL in Telegram, as in most clients.
      if (type === 'url') value = value.replace(/[.,;:!?)\]'"]+$/, '');
      const from = match.index;
      const to = from + value.length;
      if (value.length === 0 || overlaps(from, to)) continue;
      found.push({ type, offset: from, length: value.length } as MessageEntity);
      taken.push([from, to]);
    }
  }
  return sortEntities([...existing, ...found]);
}
