import { describe, expect, it } from 'vitest';
import { parseHtml } from '../../../../bot/sandbox/entities/html';
import { EntityParseError } from '../../../../bot/sandbox/entities/text';

/** Cases from tdlib's test/message_entities.cpp (parse_html), offsets in UTF-16 units. */
describe('parseHtml', () => {
  it.each([
    ['🏟 🏟&lt;<abacaba', 'Unclosed start tag at byte offset 13'],
    ['🏟 🏟&lt;<abac aba>', 'Unsupported start tag "abac" at byte offset 13'],
    ['🏟 🏟&lt;<i   =aba>', 'Empty attribute name in the tag "i" at byte offset 13'],
    ['🏟 🏟&lt;<i    aba>', 'Expected equal sign in declaration of an attribute of the tag "i" at byte offset 13'],
    ['🏟 🏟&lt;<i    aba  =  ', 'Unclosed start tag "i" at byte offset 13'],
    ['🏟 🏟&lt;<i    aba  =  190azAz-.,', 'Unexpected end of name token at byte offset 27'],
    ['🏟 🏟&lt;<i    aba  =  "&lt;&gt;&quot;>', 'Unclosed start tag at byte offset 13'],
    ['🏟 🏟&lt;</', 'Unexpected end tag at byte offset 13'],
    ['🏟 🏟&lt;<b></b></', 'Unexpected end tag at byte offset 20'],
    ['🏟 🏟&lt;<i>a</i   ', 'Unclosed end tag at byte offset 17'],
    ['🏟 🏟&lt;<i>a</em   >', 'Unmatched end tag at byte offset 17, expected "</i>", found "</em>"'],
    ['&#57311;', 'Text contains invalid Unicode characters after decoding HTML entities, check for unmatched surrogate code units'],
    ['<b>never closed', "Can't find end tag corresponding to start tag b"],
  ])('refuses %j', (input, message) => {
    expect(() => parseHtml(input)).toThrowError(new EntityParseError(message));
  });

  it('keeps an ampersand that starts no known entity, as Telegram does', () => {
    expect(parseHtml('&lt;&gt;&amp;&quot;&laquo;&raquo;&#12345678;')).toEqual({ text: '<>&"&laquo;&raquo;&#12345678;', entities: [] });
    expect(parseHtml('Tom & Jerry')).toEqual({ text: 'Tom & Jerry', entities: [] });
  });

  it('maps every tag to its entity', () => {
    expect(parseHtml('➡️ ➡️<i>➡️ ➡️</i><b>➡️ ➡️</b>').entities).toEqual([
      { type: 'italic', offset: 5, length: 5 },
      { type: 'bold', offset: 10, length: 5 },
    ]);
    const all = parseHtml('<strong>a</strong><em>b</em><u>c</u><ins>d</ins><s>e</s><strike>f</strike><del>g</del><tg-spoiler>h</tg-spoiler><span class="tg-spoiler">i</span>');
    expect(all.text).toBe('abcdefghi');
    expect(all.entities.map((e) => e.type)).toEqual(['bold', 'italic', 'underline', 'underline', 'strikethrough', 'strikethrough', 'strikethrough', 'spoiler', 'spoiler']);
  });

  it('turns pre + code with a language class into one pre entity with that language', () => {
    expect(parseHtml('🏟 🏟&lt;<pre><code class="language-fift">🏟 🏟&lt;</></>')).toEqual({
      text: '🏟 🏟<🏟 🏟<',
      entities: [{ type: 'pre', offset: 6, length: 6, language: 'fift' }],
    });
    expect(parseHtml('<pre><code>x</code></pre>').entities).toEqual([
      { type: 'pre', offset: 0, length: 1 },
      { type: 'code', offset: 0, length: 1 },
    ]);
  });

  it('reads links, with and without href, and drops links that are not URLs', () => {
    expect(parseHtml("<a   href=  'telegram.org?&lt;'   > </a>").entities).toEqual([{ type: 'text_link', offset: 0, length: 1, url: 'http://telegram.org/?%3C' }]);
    expect(parseHtml('<a>https://telegram.org/asdsa?asdasdwe#12e3we</a>').entities).toEqual([
      { type: 'text_link', offset: 0, length: 42, url: 'https://telegram.org/asdsa?asdasdwe#12e3we' },
    ]);
    expect(parseHtml('<a>telegram.org </a>').entities).toEqual([]);
  });

  it('supports blockquotes, expandable ones and custom emoji', () => {
    expect(parseHtml('<blockquote>q</blockquote><blockquote expandable>e</blockquote>').entities).toEqual([
      { type: 'blockquote', offset: 0, length: 1 },
      { type: 'expandable_blockquote', offset: 1, length: 1 },
    ]);
    expect(parseHtml('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>').entities).toEqual([
      { type: 'custom_emoji', offset: 0, length: 2, custom_emoji_id: '5368324170671202286' },
    ]);
    expect(() => parseHtml('<tg-emoji emoji-id="abc">👍</tg-emoji>')).toThrowError('Invalid custom emoji identifier specified');
  });

  it('matches tag names case-insensitively and closes the innermost tag with </>', () => {
    expect(parseHtml('<B>x</b><I>y</>')).toEqual({
      text: 'xy',
      entities: [
        { type: 'bold', offset: 0, length: 1 },
        { type: 'italic', offset: 1, length: 1 },
      ],
    });
  });
});
