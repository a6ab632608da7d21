import { describe, expect, it } from 'vitest';
import { parseMarkdownLegacy, parseMarkdownV2 } from '../../../../bot/sandbox/entities/markdown';
import { EntityParseError } from '../../../../bot/sandbox/entities/text';

/** Cases from tdlib's test/message_entities.cpp (parse_markdown), offsets in UTF-16 units. */
describe('parseMarkdownV2', () => {
  it('refuses every unescaped reserved character and accepts it escaped', () => {
    for (const c of ']()>#+-=|{}.!') {
      // '>' opens a quotation at the very start of the text; mid-text it must be escaped.
      const text = c === '>' ? `a${c}` : c;
      expect(() => parseMarkdownV2(text), c).toThrowError(new EntityParseError(`Character '${c}' is reserved and must be escaped with the preceding '\\'`));
      expect(parseMarkdownV2(`\\${c}`)).toEqual({ text: c, entities: [] });
    }
  });

  it.each([
    ['🏟 🏟_abacaba', "Can't find end of Italic entity at byte offset 9"],
    ['🏟 🏟_abac * asd ', "Can't find end of Bold entity at byte offset 15"],
    ['🏟 🏟`', "Can't find end of Code entity at byte offset 9"],
    ['🏟 🏟```', "Can't find end of Pre entity at byte offset 9"],
    ['🏟 🏟```a ', "Can't find end of PreCode entity at byte offset 9"],
    ['🏟 🏟__🏟 🏟_', "Can't find end of Italic entity at byte offset 20"],
    ['🏟 🏟_🏟 🏟__', "Can't find end of Underline entity at byte offset 19"],
    ['[telegram\\.org](asd', "Can't find end of a URL at byte offset 16"],
    ['>quote *bold\nline*', "Can't find end of Bold entity at byte offset 7"],
  ])('refuses %j', (input, message) => {
    expect(() => parseMarkdownV2(input)).toThrowError(new EntityParseError(message));
  });

  it.each([
    ['🏟 🏟_abac \\* asd _', '🏟 🏟abac * asd ', [{ type: 'italic', offset: 5, length: 11 }]],
    ['🏟 🏟_🏟 *🏟*_', '🏟 🏟🏟 🏟', [{ type: 'italic', offset: 5, length: 5 }, { type: 'bold', offset: 8, length: 2 }]],
    ['🏟 🏟__🏟 _🏟_ __', '🏟 🏟🏟 🏟 ', [{ type: 'underline', offset: 5, length: 6 }, { type: 'italic', offset: 8, length: 2 }]],
    ['🏟 🏟`🏟 🏟```', '🏟 🏟🏟 🏟', [{ type: 'code', offset: 5, length: 5 }]],
    ['🏟 🏟```🏟 🏟```', '🏟 🏟 🏟', [{ type: 'pre', offset: 5, length: 3, language: '🏟' }]],
    ['🏟 🏟```🏟\n🏟```', '🏟 🏟🏟', [{ type: 'pre', offset: 5, length: 2, language: '🏟' }]],
    ['\\\\\\a\\b\\c\\d\\e\\f\\1\\2\\3\\4\\➡️\\', '\\abcdef1234\\➡️\\', []],
    ['~gone~ ||secret||', 'gone secret', [{ type: 'strikethrough', offset: 0, length: 4 }, { type: 'spoiler', offset: 5, length: 6 }]],
    ['[chart](https://example.com/a\\)b)', 'chart', [{ type: 'text_link', offset: 0, length: 5, url: 'https://example.com/a)b' }]],
  ])('parses %j', (input, text, entities) => {
    expect(parseMarkdownV2(input)).toEqual({ text, entities });
  });

  it('parses quotations, expandable ones included', () => {
    expect(parseMarkdownV2('>quoted\n>lines\nafter')).toEqual({ text: 'quoted\nlines\nafter', entities: [{ type: 'blockquote', offset: 0, length: 12 }] });
    expect(parseMarkdownV2('**>hidden\n>more||')).toEqual({ text: 'hidden\nmore', entities: [{ type: 'expandable_blockquote', offset: 0, length: 11 }] });
  });
});

describe('parseMarkdownLegacy', () => {
  it('parses the four legacy entities and links', () => {
    expect(parseMarkdownLegacy('*b* _i_ `c` [t](https://example.com/)')).toEqual({
      text: 'b i c t',
      entities: [
        { type: 'bold', offset: 0, length: 1 },
        { type: 'italic', offset: 2, length: 1 },
        { type: 'code', offset: 4, length: 1 },
        { type: 'text_link', offset: 6, length: 1, url: 'https://example.com/' },
      ],
    });
  });

  it('refuses an entity without its end', () => {
    expect(() => parseMarkdownLegacy('a *b')).toThrowError("Can't find end of the entity starting at byte offset 2");
  });
});
