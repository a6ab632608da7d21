import type { MessageEntity } from '@grammyjs/types';

/**
 * Renders text + entities as safe HTML for the browser playground: every character is
 * escaped, entities become tags (`<b>`, `<a href>` only for http(s) links, …). Crossing
 * entities are closed and reopened so the output always nests.
 */
const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function openTag(entity: MessageEntity): string {
  switch (entity.type) {
    case 'bold': return '<b>';
    case 'italic': return '<i>';
    case 'underline': return '<u>';
    case 'strikethrough': return '<s>';
    case 'spoiler': return '<span class="tg-spoiler">';
    case 'code': return '<code>';
    case 'pre': return entity.language ? `<pre><code class="language-${escape(entity.language)}">` : '<pre>';
    case 'blockquote': return '<blockquote>';
    case 'expandable_blockquote': return '<blockquote class="expandable">';
    case 'text_link': return /^https?:\/\//i.test(entity.url) ? `<a href="${escape(entity.url)}" rel="noopener noreferrer" target="_blank">` : '<span>';
    case 'url': return '<span class="tg-url">';
    case 'bot_command': return '<span class="tg-command">';
    case 'mention':
    case 'text_mention': return '<span class="tg-mention">';
    default: return '<span>';
  }
}

function closeTag(entity: MessageEntity): string {
  switch (entity.type) {
    case 'bold': return '</b>';
    case 'italic': return '</i>';
    case 'underline': return '</u>';
    case 'strikethrough': return '</s>';
    case 'code': return '</code>';
    case 'pre': return entity.language ? '</code></pre>' : '</pre>';
    case 'blockquote':
    case 'expandable_blockquote': return '</blockquote>';
    case 'text_link': return /^https?:\/\//i.test(entity.url) ? '</a>' : '</span>';
    default: return '</span>';
  }
}

export function renderHtml(text: string, entities: readonly MessageEntity[] = []): string {
  const sorted = [...entities].sort((a, b) => a.offset - b.offset || b.length - a.length);
  const points = new Set<number>([0, text.length]);
  for (const e of sorted) {
    points.add(e.offset);
    points.add(Math.min(e.offset + e.length, text.length));
  }
  const boundaries = [...points].sort((a, b) => a - b);
  const stack: MessageEntity[] = [];
  let html = '';
  let next = 0;
  for (let k = 0; k < boundaries.length; k++) {
    const position = boundaries[k]!;
    // Close every entity that ends here, and whatever is open above it; reopen the latter.
    const firstEnding = stack.findIndex((e) => e.offset + e.length <= position);
    if (firstEnding >= 0) {
      const reopen = stack.slice(firstEnding).filter((e) => e.offset + e.length > position);
      for (let j = stack.length - 1; j >= firstEnding; j--) html += closeTag(stack[j]!);
      stack.length = firstEnding;
      for (const e of reopen) {
        html += openTag(e);
        stack.push(e);
      }
    }
    while (next < sorted.length && sorted[next]!.offset <= position) {
      const e = sorted[next++]!;
      if (e.offset + e.length <= position) continue;
      html += openTag(e);
      stack.push(e);
    }
    const end = boundaries[k + 1];
    if (end !== undefined) html += escape(text.slice(position, end));
  }
  for (let j = stack.length - 1; j >= 0; j--) html += closeTag(stack[j]!);
  return html;
}
