import { describe, expect, it } from 'vitest';
import { FrameDecoder, parseFrame, type DecodedFrame } from '../../../../engine/ingest/mt5';

const TICK = '{"type":"tick","symbol":"EURUSD","time_msc":1700000000123,"bid":1.0851,"ask":1.0852,"last":0,"volume":0,"flags":6}';
const HEARTBEAT = '{"type":"heartbeat","time_msc":1700000000999}';

function lines(out: DecodedFrame[]): string[] {
  return out.flatMap((d) => (d.type === 'frame' ? [d.line] : []));
}

function feed(decoder: FrameDecoder, ...chunks: Array<string | Buffer>): DecodedFrame[] {
  return chunks.flatMap((chunk) => decoder.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk));
}

describe('FrameDecoder', () => {
  it('drops the NUL that MQL5 StringToCharArray appends, after or instead of the newline', () => {
    const decoder = new FrameDecoder();
    const out = feed(decoder, `${TICK}\n\0${HEARTBEAT}\0${TICK}\0\n`);
    expect(out).toEqual([
      { type: 'frame', line: TICK, invalidUtf8: false },
      { type: 'frame', line: HEARTBEAT, invalidUtf8: false },
      { type: 'frame', line: TICK, invalidUtf8: false },
    ]);
    expect(decoder.stats).toEqual({ frames: 3, lineTooLong: 0, truncated: 0, invalidUtf8: 0 });
  });

  it('strips \\r\\n line ends', () => {
    const decoder = new FrameDecoder();
    expect(lines(feed(decoder, `${TICK}\r\n${HEARTBEAT}\r\n`))).toEqual([TICK, HEARTBEAT]);
  });

  it('reassembles a frame split across 3 chunks, even inside a multi-byte character', () => {
    const hello = '{"type":"hello","version":1,"account":"51234","server":"Müller-Demo","token":"t"}';
    const bytes = Buffer.from(`${hello}\n`, 'utf8');
    const cut = bytes.indexOf(0xc3) + 1; // between the two bytes of "ü"
    const decoder = new FrameDecoder();
    expect(decoder.push(bytes.subarray(0, 10))).toEqual([]);
    expect(decoder.push(bytes.subarray(10, cut))).toEqual([]);
    expect(decoder.push(bytes.subarray(cut))).toEqual([{ type: 'frame', line: hello, invalidUtf8: false }]);
    const parsed = parseFrame(hello);
    expect(parsed.ok && parsed.frame.type === 'hello' && parsed.frame.server).toBe('Müller-Demo');
  });

  it('returns 5 frames from one chunk, in order', () => {
    const frames = [1, 2, 3, 4, 5].map((i) => `{"type":"heartbeat","time_msc":${1700000000000 + i}}`);
    const decoder = new FrameDecoder();
    expect(lines(feed(decoder, frames.map((f) => `${f}\n`).join('')))).toEqual(frames);
  });

  it('discards an over-long line (reported once) and delivers the good frame after it', () => {
    const decoder = new FrameDecoder({ maxLineBytes: 1024 });
    const long = `{"type":"tick","symbol":"${'X'.repeat(5000)}"}`;
    const out = feed(decoder, long.slice(0, 700), long.slice(700, 2000), long.slice(2000, 4000), `${long.slice(4000)}\n${TICK}\n`);
    expect(out).toEqual([{ type: 'reject', reason: 'line_too_long' }, { type: 'frame', line: TICK, invalidUtf8: false }]);
    // The same when the whole over-long line and its newline arrive in one chunk.
    expect(feed(decoder, `${long}\n${HEARTBEAT}\n`)).toEqual([{ type: 'reject', reason: 'line_too_long' }, { type: 'frame', line: HEARTBEAT, invalidUtf8: false }]);
    expect(decoder.stats).toMatchObject({ frames: 2, lineTooLong: 2 });
  });

  it('passes invalid JSON between good frames as a line; parseFrame rejects exactly that one', () => {
    const decoder = new FrameDecoder();
    const out = lines(feed(decoder, `${TICK}\n{"type":"tick","bid":\n${HEARTBEAT}\n`));
    const results = out.map(parseFrame);
    expect(results.map((r) => (r.ok ? r.frame.type : r.reason))).toEqual(['tick', 'invalid_json', 'heartbeat']);
    expect(results.filter((r) => !r.ok)).toHaveLength(1);
  });

  it('decodes invalid UTF-8 with replacement characters, flags and counts it', () => {
    const decoder = new FrameDecoder();
    const bad = Buffer.concat([Buffer.from('{"type":"hello","version":1,"account":"1","server":"Br'), Buffer.from([0xfc, 0xe4]), Buffer.from('ker","token":"t"}\n')]);
    const out = decoder.push(bad);
    expect(out).toEqual([{ type: 'frame', line: '{"type":"hello","version":1,"account":"1","server":"Br\ufffd\ufffdker","token":"t"}', invalidUtf8: true }]);
    expect(decoder.stats.invalidUtf8).toBe(1);
    expect(feed(decoder, `${TICK}\n`)).toEqual([{ type: 'frame', line: TICK, invalidUtf8: false }]);
  });

  it('reports an unterminated frame at the end of the connection as truncated', () => {
    const decoder = new FrameDecoder();
    expect(lines(feed(decoder, `${TICK}\n{"type":"heart`))).toEqual([TICK]);
    expect(decoder.end()).toEqual([{ type: 'reject', reason: 'truncated' }]);
    expect(decoder.stats.truncated).toBe(1);
  });

  it('ignores blank lines and keepalive newlines', () => {
    const decoder = new FrameDecoder();
    expect(feed(decoder, '\n\r\n  \n\0\0', `${TICK}\n`)).toEqual([{ type: 'frame', line: TICK, invalidUtf8: false }]);
    expect(decoder.end()).toEqual([]);
  });

  it('gives the same frames however the stream is cut into chunks (ASCII, UTF-8, invalid bytes, NULs, over-long lines)', () => {
    const hello = '{"type":"hello","version":1,"account":"51234","server":"Müller-Demo","token":"t"}';
    const stream = Buffer.concat([
      Buffer.from(`${TICK}\r\n${HEARTBEAT}\0\n\n${hello}\n${TICK}\0`, 'utf8'),
      Buffer.from('{"type":"tick","symbol":"E'),
      Buffer.from([0xfc]),
      Buffer.from(`"}\n  ${TICK}  \n${'y'.repeat(300)}\n${HEARTBEAT}\n{"type":"heart`),
    ]);
    const reference = new FrameDecoder({ maxLineBytes: 200 });
    const expected = [...reference.push(stream), ...reference.end()];
    expect(expected.map((d) => (d.type === 'frame' ? (d.invalidUtf8 ? 'invalid' : d.line.slice(0, 20)) : d.reason))).toEqual([
      TICK.slice(0, 20),
      HEARTBEAT.slice(0, 20),
      hello.slice(0, 20),
      TICK.slice(0, 20),
      'invalid',
      TICK.slice(0, 20),
      'line_too_long',
      HEARTBEAT.slice(0, 20),
      'truncated',
    ]);
    for (let size = 1; size <= stream.length; size += 1) {
      const decoder = new FrameDecoder({ maxLineBytes: 200 });
      const out: DecodedFrame[] = [];
      // Plain Uint8Array views, not Buffers: what the decoder is given need not be a Buffer.
      for (let at = 0; at < stream.length; at += size) out.push(...decoder.push(new Uint8Array(stream.subarray(at, at + size))));
      out.push(...decoder.end());
      expect(out, `chunks of ${size} bytes`).toEqual(expected);
      expect(decoder.stats, `chunks of ${size} bytes`).toEqual(reference.stats);
    }
  });

  it('hands each frame to a sink as it cuts it out, before cutting the next', () => {
    const decoder = new FrameDecoder({ maxLineBytes: 200 });
    const seen: string[] = [];
    // The decoder's own count when each call arrives: one more than at the call before.
    const sink = {
      frame: (line: string) => seen.push(`${decoder.stats.frames}:${line.slice(9, 13)}`),
      reject: (reason: string) => seen.push(`${decoder.stats.lineTooLong}:${reason}`),
    };
    decoder.feed(Buffer.from(`${TICK}\n${'y'.repeat(300)}\n${HEARTBEAT}\0${TICK.slice(0, 30)}`), sink);
    decoder.feed(Buffer.from(`${TICK.slice(30)}\r\n`), sink);
    expect(seen).toEqual(['1:tick', '1:line_too_long', '2:hear', '3:tick']);
  });
});
