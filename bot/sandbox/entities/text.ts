import type { MessageEntity } from '@grammyjs/types';

/** Result of parsing a text with a parse_mode: the plain text and its entities (UTF-16 offsets, as the Bot API). */
export interface FormattedText {
  text: string;
  entities: MessageEntity[];
}

/** A markup error in tdlib's words; the Bot API prefixes it with "can't parse entities: ". */
export class EntityParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EntityParseError';
  }
}

/** tdlib's `is_space`: end of input counts as a space (its strings are NUL-terminated). */
export function isSpace(ch: string | undefined): boolean {
  return ch === undefined || ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n' || ch === '\0' || ch === '\v';
}

/** Error offsets in tdlib are UTF-8 byte offsets into the original text. */
export function byteOffset(text: string, index: number): number {
  return Buffer.byteLength(text.slice(0, index), 'utf8');
}

/**
 * Telegram's message length limits (4096 for text, 1024 for captions) count Unicode code
 * points, not UTF-16 units: a text of 4096 astral emoji is accepted.
 */
export function codePointLength(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    length++;
  }
  return length;
}

export function hasLoneSurrogate(text: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

/** tdlib's `get_type_priority`: which of two entities with the same span comes first. */
const TYPE_PRIORITY: Partial<Record<MessageEntity['type'], number>> = {
  blockquote: 0, expandable_blockquote: 0, pre: 11, code: 20, text_link: 49, text_mention: 49,
  bold: 90, italic: 91, underline: 92, strikethrough: 93, spoiler: 94, custom_emoji: 99,
};

/** tdlib's entity order: by offset, then the longer (outer) entity first, then by type priority. */
export function sortEntities(entities: MessageEntity[]): MessageEntity[] {
  const priority = (entity: MessageEntity) => TYPE_PRIORITY[entity.type] ?? 50;
  return entities.sort((a, b) => a.offset - b.offset || b.length - a.length || priority(a) - priority(b));
}

/**
 * Telegram's link check, reduced to what a sandbox needs: http(s), tg, ton and ftp links are
 * kept, a bare domain gets `http://` and a trailing slash; anything else is not a link and
 * the entity is dropped silently, as tdlib does.
 */
export function checkedLink(url: string): string | undefined {
  if (url === '' || /\s/.test(url)) return undefined;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'tg' || scheme === 'ton') return url;
  const candidate = scheme === undefined ? `http://${url}` : url;
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https' && scheme !== 'ftp') return undefined;
  try {
    const parsed = new URL(candidate);
    if (!parsed.hostname.includes('.') && parsed.hostname !== 'localhost') return undefined;
    return parsed.toString();
  } catch {
    return undefined;
  }
}

const TRIM = new Set([' ', '\t', '\r', '\n', '\v', '\f']);

/**
 * Telegram strips leading and trailing whitespace from a message after parsing and moves
 * the entities with the text; entities left empty disappear.
 */
export function trimFormatted(input: FormattedText): FormattedText {
  let start = 0;
  let end = input.text.length;
  while (start < end && TRIM.has(input.text[start]!)) start++;
  while (end > start && TRIM.has(input.text[end - 1]!)) end--;
  if (start === 0 && end === input.text.length) return input;
  const entities: MessageEntity[] = [];
  for (const entity of input.entities) {
    const from = Math.max(entity.offset, start);
    const to = Math.min(entity.offset + entity.length, end);
    if (to > from) entities.push({ ...entity, offset: from - start, length: to - from });
  }
  return { text: input.text.slice(start, end), entities };
}
