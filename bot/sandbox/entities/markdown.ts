import type { MessageEntity } from '@grammyjs/types';
import { byteOffset, checkedLink, EntityParseError, type FormattedText, isSpace, sortEntities } from './text';

/**
 * parse_mode "MarkdownV2" and the legacy "Markdown", following tdlib's `parse_markdown_v2`
 * and `parse_markdown` (td/telegram/MessageEntity.cpp), with the same error sentences and
 * UTF-8 byte offsets. Entity type names in errors are tdlib's ("Bold", "Italic", …).
 */

type Kind = 'Bold' | 'Italic' | 'Underline' | 'Strikethrough' | 'Spoiler' | 'TextUrl' | 'Code' | 'Pre' | 'PreCode' | 'CustomEmoji' | 'BlockQuote';

interface Open {
  kind: Kind;
  argument: string;
  offset: number;
  byteOffset: number;
  beginOut: number;
  expandable: boolean;
}

const RESERVED = '_*[]()~`>#+-=|{}.!\n';

function reservedError(ch: string): EntityParseError {
  return new EntityParseError(`Character '${ch}' is reserved and must be escaped with the preceding '\\'`);
}

function isAsciiEscapable(ch: string | undefined): boolean {
  if (ch === undefined) return false;
  const code = ch.charCodeAt(0);
  return code > 0 && code <= 126;
}

/** Reads a `(url)` part starting at `i` (which holds `(`); backslash escapes ASCII characters. */
function readUrl(text: string, i: number, what: string): { url: string; end: number } {
  let url = '';
  const begin = i + 1;
  let j = begin;
  while (j < text.length && text[j] !== ')') {
    if (text[j] === '\\' && isAsciiEscapable(text[j + 1])) {
      url += text[j + 1];
      j += 2;
      continue;
    }
    url += text[j++];
  }
  if (text[j] !== ')') throw new EntityParseError(`Can't find end of ${what} at byte offset ${byteOffset(text, begin)}`);
  return { url, end: j };
}

export function parseMarkdownV2(text: string): FormattedText {
  let out = '';
  const entities: MessageEntity[] = [];
  const stack: Open[] = [];
  let haveBlockquote = false;

  const addEntity = (open: Open, extra: Partial<{ url: string; language: string; custom_emoji_id: string }> = {}) => {
    const length = out.length - open.offset;
    if (length <= 0) return;
    const offset = open.offset;
    switch (open.kind) {
      case 'Bold': entities.push({ type: 'bold', offset, length }); break;
      case 'Italic': entities.push({ type: 'italic', offset, length }); break;
      case 'Underline': entities.push({ type: 'underline', offset, length }); break;
      case 'Strikethrough': entities.push({ type: 'strikethrough', offset, length }); break;
      case 'Spoiler': entities.push({ type: 'spoiler', offset, length }); break;
      case 'Code': entities.push({ type: 'code', offset, length }); break;
      case 'Pre': entities.push({ type: 'pre', offset, length }); break;
      case 'PreCode': entities.push({ type: 'pre', offset, length, language: open.argument }); break;
      case 'TextUrl': if (extra.url !== undefined) entities.push({ type: 'text_link', offset, length, url: extra.url }); break;
      case 'CustomEmoji': entities.push({ type: 'custom_emoji', offset, length, custom_emoji_id: extra.custom_emoji_id ?? '' }); break;
      case 'BlockQuote': entities.push({ type: open.expandable ? 'expandable_blockquote' : 'blockquote', offset, length }); break;
    }
  };

  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && isAsciiEscapable(text[i + 1])) {
      out += text[++i];
      continue;
    }
    const top = stack.at(-1);
    const inCode = top !== undefined && (top.kind === 'Code' || top.kind === 'Pre' || top.kind === 'PreCode');
    const reserved = inCode ? '`' : RESERVED;
    if (!reserved.includes(c)) {
      out += c;
      continue;
    }

    let isEnd = false;
    if (top !== undefined) {
      if (haveBlockquote && c === '\n' && (i + 1 === text.length || text[i + 1] !== '>')) {
        isEnd = true;
      } else {
        switch (top.kind) {
          case 'Bold': isEnd = c === '*'; break;
          case 'Italic': isEnd = c === '_' && text[i + 1] !== '_'; break;
          case 'Code': isEnd = c === '`'; break;
          case 'Pre':
          case 'PreCode': isEnd = c === '`' && text[i + 1] === '`' && text[i + 2] === '`'; break;
          case 'TextUrl':
          case 'CustomEmoji': isEnd = c === ']'; break;
          case 'Underline': isEnd = c === '_' && text[i + 1] === '_'; break;
          case 'Strikethrough': isEnd = c === '~'; break;
          case 'Spoiler': isEnd = c === '|' && text[i + 1] === '|'; break;
          case 'BlockQuote':
            // "||" at the end of the last quoted line marks an expandable quotation.
            if (c === '|' && text[i + 1] === '|' && (i + 2 === text.length || text[i + 2] === '\n')) {
              top.expandable = true;
              i++;
              continue;
            }
            isEnd = false;
            break;
        }
      }
    }

    if (!isEnd) {
      const entityByteOffset = byteOffset(text, i);
      let kind: Kind;
      let argument = '';
      let expandable = false;
      switch (c) {
        case '_':
          if (text[i + 1] === '_') {
            kind = 'Underline';
            i++;
          } else {
            kind = 'Italic';
          }
          break;
        case '*':
          if (text[i + 1] === '*' && text[i + 2] === '>' && !haveBlockquote && (i === 0 || text[i - 1] === '\n')) {
            kind = 'BlockQuote';
            expandable = true;
            haveBlockquote = true;
            i += 2;
          } else {
            kind = 'Bold';
          }
          break;
        case '~':
          kind = 'Strikethrough';
          break;
        case '|':
          if (text[i + 1] !== '|') throw reservedError(c);
          i++;
          kind = 'Spoiler';
          break;
        case '[':
          kind = 'TextUrl';
          break;
        case '`':
          if (text[i + 1] === '`' && text[i + 2] === '`') {
            i += 3;
            kind = 'Pre';
            let languageEnd = i;
            while (!isSpace(text[languageEnd]) && text[languageEnd] !== '`') languageEnd++;
            if (i !== languageEnd && languageEnd < text.length && text[languageEnd] !== '`') {
              kind = 'PreCode';
              argument = text.slice(i, languageEnd);
              i = languageEnd;
            }
            // One new line right after the opening fence is not part of the block.
            if (text[i] === '\n' || text[i] === '\r') {
              if ((text[i + 1] === '\n' || text[i + 1] === '\r') && text[i] !== text[i + 1]) i += 2;
              else i++;
            }
            i--;
          } else {
            kind = 'Code';
          }
          break;
        case '!':
          if (text[i + 1] !== '[') throw reservedError(c);
          i++;
          kind = 'CustomEmoji';
          break;
        case '\n': {
          out += '\n';
          if (i + 1 < text.length && text[i + 1] === '>') {
            i++;
            if (!haveBlockquote) {
              haveBlockquote = true;
              stack.push({ kind: 'BlockQuote', argument: '', offset: out.length, byteOffset: entityByteOffset, beginOut: out.length, expandable: false });
            }
          }
          continue;
        }
        case '>':
          if (i !== 0) throw reservedError(c);
          kind = 'BlockQuote';
          haveBlockquote = true;
          break;
        default:
          throw reservedError(c);
      }
      stack.push({ kind, argument, offset: out.length, byteOffset: entityByteOffset, beginOut: out.length, expandable });
      continue;
    }

    // The end of the innermost entity.
    const open = stack.at(-1)!;
    if (c === '\n' && open.kind !== 'BlockQuote') {
      throw new EntityParseError(`Can't find end of ${open.kind} entity at byte offset ${open.byteOffset}`);
    }
    const extra: { url?: string; custom_emoji_id?: string } = {};
    switch (open.kind) {
      case 'Underline':
      case 'Spoiler':
        i++;
        break;
      case 'Pre':
      case 'PreCode':
        i += 2;
        break;
      case 'TextUrl': {
        let url: string;
        if (text[i + 1] !== '(') {
          url = out.slice(open.beginOut);
        } else {
          const read = readUrl(text, i + 1, 'a URL');
          url = read.url;
          i = read.end;
        }
        const checked = checkedLink(url);
        if (checked !== undefined) extra.url = checked;
        break;
      }
      case 'CustomEmoji': {
        if (text[i + 1] !== '(') throw new EntityParseError('Custom emoji entity must contain a tg://emoji URL');
        const read = readUrl(text, i + 1, 'a custom emoji URL');
        i = read.end;
        const id = /^tg:\/\/emoji\?id=(\d+)$/i.exec(read.url)?.[1];
        if (id === undefined || /^0+$/.test(id)) throw new EntityParseError('Invalid custom emoji identifier specified');
        extra.custom_emoji_id = id;
        break;
      }
      case 'BlockQuote':
        haveBlockquote = false;
        out += c;
        break;
      default:
        break;
    }
    stack.pop();
    if (open.kind === 'BlockQuote') {
      // The closing new line belongs to the text, not to the quotation.
      const length = out.length - 1 - open.offset;
      if (length > 0) entities.push({ type: open.expandable ? 'expandable_blockquote' : 'blockquote', offset: open.offset, length });
      continue;
    }
    addEntity(open, extra);
  }

  if (haveBlockquote) {
    const open = stack.at(-1);
    if (open !== undefined && open.kind === 'BlockQuote') {
      stack.pop();
      addEntity(open);
    }
  }
  const unclosed = stack.at(-1);
  if (unclosed !== undefined) throw new EntityParseError(`Can't find end of ${unclosed.kind} entity at byte offset ${unclosed.byteOffset}`);
  return { text: out, entities: sortEntities(entities) };
}

/** The legacy "Markdown" mode: `*bold*`, `_italic_`, `` `code` ``, ```` ```pre``` ````, `[text](url)`. */
export function parseMarkdownLegacy(text: string): FormattedText {
  let out = '';
  const entities: MessageEntity[] = [];
  const size = text.length;
  for (let i = 0; i < size; i++) {
    const c = text[i]!;
    if (c === '\\' && (text[i + 1] === '_' || text[i + 1] === '*' || text[i + 1] === '`' || text[i + 1] === '[')) {
      out += text[++i];
      continue;
    }
    if (c !== '_' && c !== '*' && c !== '`' && c !== '[') {
      out += c;
      continue;
    }
    const beginPos = i;
    const endCharacter = c === '[' ? ']' : c;
    let isPre = false;
    let language = '';
    i++;
    if (c === '`' && text[i] === '`' && text[i + 1] === '`') {
      i += 2;
      isPre = true;
      let languageEnd = i;
      while (!isSpace(text[languageEnd]) && text[languageEnd] !== '`') languageEnd++;
      if (i !== languageEnd && languageEnd < size && text[languageEnd] !== '`') {
        language = text.slice(i, languageEnd);
        i = languageEnd;
      }
      if (text[i] === '\n' || text[i] === '\r') {
        if ((text[i + 1] === '\n' || text[i + 1] === '\r') && text[i] !== text[i + 1]) i += 2;
        else i++;
      }
    }
    const offset = out.length;
    while (i < size && (text[i] !== endCharacter || (isPre && !(text[i + 1] === '`' && text[i + 2] === '`')))) out += text[i++];
    if (i === size) throw new EntityParseError(`Can't find end of the entity starting at byte offset ${byteOffset(text, beginPos)}`);
    const length = out.length - offset;
    if (length > 0) {
      if (c === '_') entities.push({ type: 'italic', offset, length });
      else if (c === '*') entities.push({ type: 'bold', offset, length });
      else if (c === '`') {
        if (!isPre) entities.push({ type: 'code', offset, length });
        else entities.push(language === '' ? { type: 'pre', offset, length } : { type: 'pre', offset, length, language });
      } else {
        let url: string;
        if (text[i + 1] !== '(') {
          url = text.slice(beginPos + 1, i);
        } else {
          i += 2;
          url = '';
          while (i < size && text[i] !== ')') url += text[i++];
        }
        const checked = checkedLink(url);
        if (checked !== undefined) entities.push({ type: 'text_link', offset, length, url: checked });
      }
    }
    if (isPre) i += 2;
  }
  return { text: out, entities: sortEntities(entities) };
}
