import type { MessageEntity } from '@grammyjs/types';
import { badRequest } from '../errors';
import { detectEntities } from './detect';
import { parseHtml } from './html';
import { parseMarkdownLegacy, parseMarkdownV2 } from './markdown';
import { EntityParseError, type FormattedText, sortEntities, trimFormatted } from './text';

const ENTITY_TYPES = new Set<string>([
  'mention', 'hashtag', 'cashtag', 'bot_command', 'url', 'email', 'phone_number', 'bold', 'italic', 'underline',
  'strikethrough', 'spoiler', 'blockquote', 'expandable_blockquote', 'code', 'pre', 'text_link', 'text_mention', 'custom_emoji',
]);

/** Reads the `entities` / `caption_entities` parameter (already JSON-decoded) the way the Bot API does. */
export function readEntities(raw: unknown, textLength: number): MessageEntity[] {
  if (raw === undefined || raw === null || raw === '') return [];
  if (!Array.isArray(raw)) throw badRequest("can't parse entities JSON object");
  const entities: MessageEntity[] = [];
  for (const item of raw) {
    if (typeof item !== 'object' || item === null) throw badRequest("can't parse entities JSON object");
    const { type, offset, length } = item as Record<string, unknown>;
    if (typeof type !== 'string' || typeof offset !== 'number' || typeof length !== 'number') {
      throw badRequest("can't parse entities JSON object");
    }
    if (!ENTITY_TYPES.has(type)) throw badRequest("can't parse entities: Unsupported type specified");
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length <= 0) continue;
    // tdlib clips entities to the text silently rather than rejecting them.
    const end = Math.min(offset + length, textLength);
    if (end <= offset) continue;
    const entity = { ...(item as object), type, offset, length: end - offset } as MessageEntity;
    if (entity.type === 'text_link' && typeof entity.url !== 'string') throw badRequest("can't parse entities: Field \"url\" must be of type String");
    if (entity.type === 'custom_emoji' && typeof entity.custom_emoji_id !== 'string') {
      throw badRequest("can't parse entities: Field \"custom_emoji_id\" must be of type String");
    }
    entities.push(entity);
  }
  return sortEntities(entities);
}

/**
 * Turns `text` + `parse_mode` (or explicit entities) into Telegram's stored form: markup
 * parsed (parse_mode wins over entities, as in the Bot API), whitespace trimmed, and the
 * entities Telegram detects by itself (commands, links, mentions) added.
 */
export function formatText(text: string, parseMode: string | undefined, rawEntities: unknown): FormattedText {
  const mode = parseMode?.trim().toLowerCase() ?? '';
  let parsed: FormattedText;
  if (text !== '' && mode !== '' && mode !== 'none') {
    try {
      if (mode === 'html') parsed = parseHtml(text);
      else if (mode === 'markdownv2') parsed = parseMarkdownV2(text);
      else if (mode === 'markdown') parsed = parseMarkdownLegacy(text);
      else throw badRequest('unsupported parse_mode');
    } catch (error) {
      if (error instanceof EntityParseError) throw badRequest(`can't parse entities: ${error.message}`);
      throw error;
    }
  } else {
    parsed = { text, entities: readEntities(rawEntities, text.length) };
  }
  const trimmed = trimFormatted(parsed);
  return { text: trimmed.text, entities: detectEntities(trimmed.text, trimmed.entities) };
}

/** Plain text typed by a user: only the entities Telegram detects. */
export function userText(text: string): FormattedText {
  const trimmed = trimFormatted({ text, entities: [] });
  return { text: trimmed.text, entities: detectEntities(trimmed.text, []) };
}
