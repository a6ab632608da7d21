import { describe, expect, it } from 'vitest';
import { detectEntities } from '../../../../bot/sandbox/entities/detect';
import { renderHtml } from '../../../../bot/sandbox/entities/render';

describe('detectEntities', () => {
  it('finds commands (with a bot name too), mentions, hashtags, cashtags, URLs and e-mail addresses', () => {
    const text = '/start@tp_bot payload hi @ann_t #eurusd $EUR see https://example.com/x, or mail ops@example.com';
    const found = detectEntities(text, []).map((e) => [e.type, text.slice(e.offset, e.offset + e.length)]);
    expect(found).toEqual([
      ['bot_command', '/start@tp_bot'],
      ['mention', '@ann_t'],
      ['hashtag', '#eurusd'],
      ['cashtag', '$EUR'],
      ['url', 'https://example.com/x'],
      ['email', 'ops@example.com'],
    ]);
  });

  it('finds nothing inside code, and no URL in a version number or file name', () => {
    expect(detectEntities('/help', [{ type: 'code', offset: 0, length: 5 }])).toEqual([{ type: 'code', offset: 0, length: 5 }]);
    expect(detectEntities('Version 1.0 of report.pdf', [])).toEqual([]);
  });
});

describe('renderHtml', () => {
  it('escapes text and nests crossing entities', () => {
    expect(renderHtml('a<b>&c', [{ type: 'bold', offset: 0, length: 6 }])).toBe('<b>a&lt;b&gt;&amp;c</b>');
    expect(renderHtml('abcd', [{ type: 'bold', offset: 0, length: 3 }, { type: 'italic', offset: 1, length: 3 }])).toBe('<b>a<i>bc</i></b><i>d</i>');
    expect(renderHtml('x', [{ type: 'text_link', offset: 0, length: 1, url: 'javascript:alert(1)' }])).toBe('<span>x</span>');
  });
});
