import { snippet } from './fields';
import { TICK_FLAG, type RejectRecord, type TickRecord } from './types';

/**
 * The EA tick-capture JSON (`{metadata, ticks[], errors, summary}`) is one document, often
 * pretty-printed but possibly on a single line, so it cannot be split on newlines. This
 * scanner walks the text character by character, tracking nesting and strings, and cuts out
 * only what is needed: the `metadata` object and each element of `ticks`, which are then
 * handed to JSON.parse one at a time. Everything else (`errors`, `summary`) is skipped
 * without being kept. Memory stays bounded by the largest single element, and each element
 * is capped (`maxElementChars`), so a file of any size streams.
 */
export type ScanEvent =
  | { kind: 'metadata'; value: unknown }
  | { kind: 'tick'; json: string; line: number }
  | { kind: 'reject'; reason: string; line: number; text: string };

interface Capture {
  target: 'metadata' | 'tick';
  /** Depth to return to when the captured value closes. */
  endDepth: number;
  parts: string[];
  size: number;
  line: number;
  tooLarge: boolean;
}

export class EaJsonScanner {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private expectKey = false;
  private readingKey = false;
  private key = '';
  /** The root key whose value comes next (set at `:`). */
  private valueKey: string | null = null;
  private inTicks = false;
  private sawTicks = false;
  private primitiveRejected = false;
  private rootClosed = false;
  private capture: Capture | null = null;
  private line = 1;

  constructor(private readonly maxElementChars = 64 * 1024) {}

  /** True once a `"ticks": [` array was seen. */
  get foundTicks(): boolean {
    return this.sawTicks;
  }

  feed(text: string): ScanEvent[] {
    const events: ScanEvent[] = [];
    let captureStart = 0;
    for (let i = 0; i < text.length; i += 1) {
      const ch = text.charCodeAt(i);
      if (ch === 10) this.line += 1;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (ch === 92 /* \ */) this.escaped = true;
        else if (ch === 34 /* " */) {
          this.inString = false;
          if (this.readingKey) {
            this.readingKey = false;
            this.expectKey = false;
          }
        } else if (this.readingKey && this.key.length < 64) this.key += text[i];
        continue;
      }
      switch (ch) {
        case 34: // "
          this.inString = true;
          if (this.depth === 1 && this.expectKey) {
            this.readingKey = true;
            this.key = '';
          } else if (this.inTicks && this.depth === 2 && !this.capture) this.rejectPrimitive(events, text, i);
          break;
        case 123: // {
        case 91: {
          // [
          this.depth += 1;
          if (this.depth === 1) {
            if (ch !== 123) throw new SyntaxError('the document is not a JSON object');
            this.expectKey = true;
          } else if (this.depth === 2 && this.valueKey !== null) {
            if (this.valueKey === 'metadata' && ch === 123) {
              this.startCapture('metadata');
              captureStart = i;
            } else if (this.valueKey === 'ticks' && ch === 91) {
              this.inTicks = true;
              this.sawTicks = true;
            }
            this.valueKey = null;
          } else if (this.depth === 3 && this.inTicks && !this.capture) {
            if (ch === 123) {
              this.startCapture('tick');
              captureStart = i;
            } else this.rejectPrimitive(events, text, i);
          }
          break;
        }
        case 125: // }
        case 93: {
          // ]
          this.depth -= 1;
          const capture = this.capture;
          if (capture && this.depth === capture.endDepth) {
            this.append(capture, text.slice(captureStart, i + 1));
            this.finishCapture(capture, events);
          }
          if (this.inTicks && this.depth === 1) this.inTicks = false;
          if (this.depth === 0) this.rootClosed = true;
          break;
        }
        case 44: // ,
          if (this.depth === 1) this.expectKey = true;
          if (this.depth === 2 && this.inTicks) this.primitiveRejected = false;
          break;
        case 58: // :
          if (this.depth === 1) this.valueKey = this.key;
          break;
        case 32:
        case 9:
        case 10:
        case 13:
          break;
        default:
          if (this.depth === 1 && this.valueKey !== null) this.valueKey = null; // a primitive root value
          else if (this.inTicks && this.depth === 2 && !this.capture) this.rejectPrimitive(events, text, i);
          else if (this.depth === 0 && this.rootClosed) {
            events.push({ kind: 'reject', reason: 'trailing_data', line: this.line, text: snippet(text.slice(i, i + 40)) });
            this.rootClosed = false;
          }
      }
    }
    if (this.capture) {
      // Keep the unfinished element's text from this chunk; the cap bounds how much.
      this.append(this.capture, text.slice(captureStart));
    }
    return events;
  }

  /** Call at the end of input; reports a document that stopped mid-way. */
  end(): ScanEvent[] {
    if (this.depth > 0 || this.inString) {
      return [{ kind: 'reject', reason: 'truncated_json', line: this.capture?.line ?? this.line, text: '' }];
    }
    return [];
  }

  private startCapture(target: Capture['target']): void {
    this.capture = { target, endDepth: this.depth - 1, parts: [], size: 0, line: this.line, tooLarge: false };
  }

  private append(capture: Capture, piece: string): void {
    if (capture.tooLarge) return;
    const limit = capture.target === 'metadata' ? 16 * this.maxElementChars : this.maxElementChars;
    capture.size += piece.length;
    if (capture.size > limit) {
      capture.tooLarge = true;
      capture.parts = [];
      return;
    }
    capture.parts.push(piece);
  }

  private finishCapture(capture: Capture, events: ScanEvent[]): void {
    this.capture = null;
    if (capture.tooLarge) {
      events.push({ kind: 'reject', reason: capture.target === 'tick' ? 'tick_too_large' : 'metadata_too_large', line: capture.line, text: '' });
      return;
    }
    const json = capture.parts.join('');
    if (capture.target === 'tick') {
      events.push({ kind: 'tick', json, line: capture.line });
      return;
    }
    try {
      events.push({ kind: 'metadata', value: JSON.parse(json) as unknown });
    } catch {
      events.push({ kind: 'reject', reason: 'invalid_json', line: capture.line, text: snippet(json) });
    }
  }

  private rejectPrimitive(events: ScanEvent[], text: string, i: number): void {
    if (this.primitiveRejected) return;
    this.primitiveRejected = true;
    events.push({ kind: 'reject', reason: 'tick_not_object', line: this.line, text: snippet(text.slice(i, i + 40)) });
  }
}

const FLAG_NAMES: Record<string, number> = TICK_FLAG;

/** `"BID ASK"` (the EA's spelling) or a number → MQL5 TICK_FLAG_* bits. */
function tickFlags(value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value !== 'string') return 0;
  let flags = 0;
  for (const word of value.toUpperCase().split(/[\s|,+]+/)) flags |= FLAG_NAMES[word] ?? 0;
  return flags;
}

/** One element of `ticks` → a tick (broker time shifted to UTC by `offsetMs`) or a reject. */
export function eaTickToRecord(json: string, line: number, offsetMs: number): TickRecord | RejectRecord {
  const reject = (reason: string): RejectRecord => ({ kind: 'reject', line, reason, text: snippet(json.replace(/\s+/g, ' ')) });
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return reject('invalid_json');
  }
  const tick = raw as Record<string, unknown>;
  const number = (name: string): number | 'missing' | 'bad' => {
    const value = tick[name];
    if (value === undefined || value === null) return 'missing';
    return typeof value === 'number' && Number.isFinite(value) ? value : 'bad';
  };
  const timeMsc = number('time_msc');
  if (timeMsc === 'missing') return reject('missing_field:time_msc');
  if (timeMsc === 'bad' || !Number.isInteger(timeMsc) || timeMsc < 0) return reject('bad_number:time_msc');
  const prices: number[] = [];
  for (const name of ['bid', 'ask']) {
    const value = number(name);
    if (value === 'missing') return reject(`missing_field:${name}`);
    if (value === 'bad') return reject(`bad_number:${name}`);
    prices.push(value);
  }
  const last = number('last');
  if (last === 'bad') return reject('bad_number:last');
  // The EA writes `real_volume` (MqlTick.volume_real) and `tick_volume`; prefer the real one.
  let volume = 0;
  for (const name of ['real_volume', 'volume_real', 'volume', 'tick_volume']) {
    const value = number(name);
    if (value === 'bad') return reject(`bad_number:${name}`);
    if (value !== 'missing') {
      volume = value;
      break;
    }
  }
  const [bid, ask] = prices as [number, number];
  return {
    kind: 'tick',
    timeMs: timeMsc - offsetMs,
    bid,
    ask,
    last: last === 'missing' ? 0 : last,
    volume,
    flags: tickFlags(tick.tick_flags ?? tick.flags),
  };
}
