import type { MessageEntity } from '@grammyjs/types';
import { byteOffset, checkedLink, EntityParseError, type FormattedText, hasLoneSurrogate, isSpace, sortEntities } from './text';

/**
 * parse_mode "HTML", following tdlib's `parse_html` (td/telegram/MessageEntity.cpp): the same
 * tags, the same error sentences with UTF-8 byte offsets, and the same leniency:
 * - an `&` that does not start one of `&lt; &gt; &amp; &quot;` or a numeric reference stays
 *   a literal `&` (Telegram does not reject "Tom & Jerry"); only a numeric reference that
 *   leaves half a surrogate pair is an error;
 * - attributes other than the known ones are ignored; `</>` closes the innermost tag.
 */
const TAGS = new Set([
  'a', 'b', 'strong', 'i', 'em', 's', 'strike', 'del', 'u', 'ins', 'tg-spoiler', 'tg-emoji', 'span', 'pre', 'code', 'blockquote',
]);

interface OpenTag {
  tag: string;
  argument: string;
  expandable: boolean;
  offset: number;
}

const isAlnum = (ch: string | undefined): boolean => ch !== undefined && /[A-Za-z0-9]/.test(ch);

/** Decodes an HTML entity at `pos` (which holds `&`); undefined when it is not one tdlib knows. */
function decodeEntity(text: string, pos: number): { code: number; end: number } | undefined {
  let end = pos + 1;
  let code = 0;
  if (text[pos + 1] === '#') {
    end++;
    if (text[pos + 2] === 'x') {
      end++;
      while (end < text.length && /[0-9a-fA-F]/.test(text[end]!)) code = code * 16 + parseInt(text[end++]!, 16);
    } else {
      while (end < text.length && /[0-9]/.test(text[end]!)) code = code * 10 + Number(text[end++]);
    }
    if (code === 0 || code >= 0x10ffff || end - pos >= 10) return undefined;
  } else {
    while (end < text.length && /[A-Za-z]/.test(text[end]!)) end++;
    const name = text.slice(pos + 1, end);
    const named: Record<string, number> = { lt: 0x3c, gt: 0x3e, amp: 0x26, quot: 0x22 };
    const value = named[name];
    if (value === undefined) return undefined;
    code = value;
  }
  if (text[end] === ';') end++;
  return { code, end };
}

function fromCode(code: number): string {
  // Surrogate halves are allowed here and checked once the whole text is decoded, as tdlib does.
  return code >= 0xd800 && code <= 0xdfff ? String.fromCharCode(code) : String.fromCodePoint(code);
}

export function parseHtml(input: string): FormattedText {
  const fail = (message: string): never => {
    throw new EntityParseError(message);
  };
  const at = (index: number) => byteOffset(input, index);
  const n = input.length;
  let out = '';
  let decodedSurrogate = false;
  const entities: MessageEntity[] = [];
  const stack: OpenTag[] = [];

  let i = 0;
  while (i < n) {
    const c = input[i]!;
    if (c === '&') {
      const decoded = decodeEntity(input, i);
      if (decoded !== undefined) {
        if (decoded.code >= 0xd800 && decoded.code <= 0xdfff) decodedSurrogate = true;
        out += fromCode(decoded.code);
        i = decoded.end;
        continue;
      }
    }
    if (c !== '<') {
      out += c;
      i++;
      continue;
    }

    const beginPos = i++;
    if (input[i] !== '/') {
      while (i < n && !isSpace(input[i]) && input[i] !== '>') i++;
      if (i >= n) fail(`Unclosed start tag at byte offset ${at(beginPos)}`);
      const tag = input.slice(beginPos + 1, i).toLowerCase();
      if (!TAGS.has(tag)) fail(`Unsupported start tag "${tag}" at byte offset ${at(beginPos)}`);

      let argument = '';
      let expandable = false;
      while (input[i] !== '>') {
        while (i < n && isSpace(input[i])) i++;
        if (input[i] === '>') break;
        const nameBegin = i;
        while (!isSpace(input[i]) && input[i] !== '=' && input[i] !== '>') i++;
        const attribute = input.slice(nameBegin, i).toLowerCase();
        if (attribute === '') fail(`Empty attribute name in the tag "${tag}" at byte offset ${at(beginPos)}`);
        while (i < n && isSpace(input[i])) i++;
        if (input[i] !== '=') {
          // Newer Telegram accepts the bare flag of an expandable quotation.
          if (tag === 'blockquote' && attribute === 'expandable') {
            expandable = true;
            if (i >= n) fail(`Unclosed start tag "${tag}" at byte offset ${at(beginPos)}`);
            continue;
          }
          fail(`Expected equal sign in declaration of an attribute of the tag "${tag}" at byte offset ${at(beginPos)}`);
        }
        i++;
        while (i < n && isSpace(input[i])) i++;
        if (i >= n) fail(`Unclosed start tag "${tag}" at byte offset ${at(beginPos)}`);

        let value = '';
        const quote = input[i];
        if (quote !== '"' && quote !== "'") {
          // A name token: letters, digits, periods or hyphens; not case sensitive.
          const tokenBegin = i;
          while (isAlnum(input[i]) || input[i] === '.' || input[i] === '-') i++;
          value = input.slice(tokenBegin, i).toLowerCase();
          if (!isSpace(input[i]) && input[i] !== '>') fail(`Unexpected end of name token at byte offset ${at(tokenBegin)}`);
        } else {
          i++;
          while (i < n && input[i] !== quote) {
            if (input[i] === '&') {
              const decoded = decodeEntity(input, i);
              if (decoded !== undefined) {
                value += fromCode(decoded.code);
                i = decoded.end;
                continue;
              }
            }
            value += input[i++];
          }
          if (input[i] === quote) i++;
        }
        if (i >= n) fail(`Unclosed start tag at byte offset ${at(beginPos)}`);

        if (tag === 'a' && attribute === 'href') argument = value;
        else if (tag === 'code' && attribute === 'class' && value.startsWith('language-')) argument = value.slice(9);
        else if (tag === 'span' && attribute === 'class' && value.startsWith('tg-')) argument = value.slice(3);
        else if (tag === 'tg-emoji' && attribute === 'emoji-id') argument = value;
      }
      if (tag === 'span' && argument !== 'spoiler') fail(`Tag "span" must have class "tg-spoiler" at byte offset ${at(beginPos)}`);
      stack.push({ tag, argument, expandable, offset: out.length });
      i++; // past '>'
      continue;
    }

    // An end tag.
    const top = stack.at(-1);
    if (top === undefined) fail(`Unexpected end tag at byte offset ${at(beginPos)}`);
    const open = top!;
    while (!isSpace(input[i]) && input[i] !== '>') i++;
    const endTag = input.slice(beginPos + 2, i).toLowerCase();
    while (i < n && isSpace(input[i])) i++;
    if (input[i] !== '>') fail(`Unclosed end tag at byte offset ${at(beginPos)}`);
    if (endTag !== '' && endTag !== open.tag) {
      fail(`Unmatched end tag at byte offset ${at(beginPos)}, expected "</${open.tag}>", found "</${endTag}>"`);
    }
    i++; // past '>'
    stack.pop();

    const offset = open.offset;
    const length = out.length - offset;
    if (length <= 0) continue;
    const last = entities.at(-1);
    switch (open.tag) {
      case 'i':
      case 'em':
        entities.push({ type: 'italic', offset, length });
        break;
      case 'b':
      case 'strong':
        entities.push({ type: 'bold', offset, length });
        break;
      case 's':
      case 'strike':
      case 'del':
        entities.push({ type: 'strikethrough', offset, length });
        break;
      case 'u':
      case 'ins':
        entities.push({ type: 'underline', offset, length });
        break;
      case 'tg-spoiler':
      case 'span':
        entities.push({ type: 'spoiler', offset, length });
        break;
      case 'tg-emoji': {
        if (!/^\d+$/.test(open.argument) || /^0+$/.test(open.argument)) fail('Invalid custom emoji identifier specified');
        entities.push({ type: 'custom_emoji', offset, length, custom_emoji_id: open.argument });
        break;
      }
      case 'a': {
        const url = checkedLink(open.argument === '' ? out.slice(offset) : open.argument);
        if (url !== undefined) entities.push({ type: 'text_link', offset, length, url });
        break;
      }
      case 'pre':
        if (last !== undefined && last.type === 'code' && last.offset === offset && last.length === length && codeLanguage(last) !== '') {
          entities[entities.length - 1] = { type: 'pre', offset, length, language: codeLanguage(last) };
        } else {
          entities.push({ type: 'pre', offset, length });
        }
        break;
      case 'code':
        if (last !== undefined && last.type === 'pre' && last.offset === offset && last.length === length && open.argument !== '') {
          entities[entities.length - 1] = { type: 'pre', offset, length, language: open.argument };
        } else {
          entities.push(open.argument === '' ? { type: 'code', offset, length } : ({ type: 'code', offset, length, language: open.argument } as MessageEntity));
        }
        break;
      case 'blockquote':
        entities.push({ type: open.expandable ? 'expandable_blockquote' : 'blockquote', offset, length });
        break;
    }
  }
  const unclosed = stack.at(-1);
  if (unclosed !== undefined) fail(`Can't find end tag corresponding to start tag ${unclosed.tag}`);

  // A code entity only keeps its language when it became a pre block.
  const cleaned = entities.map((entity) => (entity.type === 'code' && 'language' in entity ? { type: 'code' as const, offset: entity.offset, length: entity.length } : entity));
  if (decodedSurrogate && hasLoneSurrogate(out)) {
    fail('Text contains invalid Unicode characters after decoding HTML entities, check for unmatched surrogate code units');
  }
  return { text: out, entities: sortEntities(cleaned) };
}

function codeLanguage(entity: MessageEntity): string {
  return 'language' in entity && typeof entity.language === 'string' ? entity.language : '';
}
