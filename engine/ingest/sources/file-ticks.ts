import { createReadStream } from 'node:fs';
import { InvalidInputError } from '../../../core';
import { EXPECTED_FORMATS, parseFile, type FormatName, type RejectRecord } from '../mt5';
import type { ReplayQuote } from './replay-source';

/** Tick formats parseFile reads; bar formats cannot be replayed as ticks. */
export type TickFileFormat = 'auto' | 'mt5-ticks' | 'ea-json';
const BAR_FORMATS: ReadonlySet<FormatName> = new Set(['mt5-bars', 'histdata']);

export interface FileTicksOptions {
  /** Broker server time minus UTC, in minutes (MT5 files carry server time; see parseFile). */
  tzOffsetMinutes: number;
  format?: TickFileFormat;
  maxLineChars?: number;
}

/**
 * The ticks of an MT5 tick export or EA tick capture, streamed (memory bounded by one line
 * and the stream's buffer). Rejected lines go to `onReject` and are skipped. A bars file is
 * refused with InvalidInputError `replay_needs_ticks` on the first read: turning bars into
 * ticks would invent prices, and a replay must play what the market showed.
 */
export async function* fileTicks(path: string, options: FileTicksOptions, onReject: (record: RejectRecord) => void): AsyncGenerator<ReplayQuote> {
  const format = options.format ?? 'auto';
  if ((BAR_FORMATS as ReadonlySet<string>).has(format)) throw needsTicks(path, format as FormatName);
  const parse = parseFile(createReadStream(path), {
    tzOffsetMinutes: options.tzOffsetMinutes,
    format,
    fileName: path,
    ...(options.maxLineChars === undefined ? {} : { maxLineChars: options.maxLineChars }),
  });
  let checked = false;
  try {
    for await (const record of parse) {
      if (!checked) {
        const detected = parse.info?.format;
        if (detected && BAR_FORMATS.has(detected)) throw needsTicks(path, detected);
        checked = true;
      }
      if (record.kind === 'tick') yield { timeMs: record.timeMs, bid: record.bid, ask: record.ask, last: record.last, volume: record.volume, flags: record.flags };
      else if (record.kind === 'reject') onReject(record);
      else throw needsTicks(path, parse.info?.format ?? 'mt5-bars');
    }
  } catch (error) {
    throw unreadable(path, error);
  }
  // A bars file whose lines were all rejected still must not pass as an empty tick file.
  const detected = parse.info?.format;
  if (detected && BAR_FORMATS.has(detected)) throw needsTicks(path, detected);
}

function needsTicks(path: string, format: FormatName): InvalidInputError {
  return new InvalidInputError(
    'replay_needs_ticks',
    `${path} is a bar file (${EXPECTED_FORMATS[format]}); replay plays ticks: give an MT5 "Export ticks" file or an EA tick capture`,
    { path, format },
  );
}

/** File-system errors become InvalidInputError naming the file; parse errors pass through. */
function unreadable(path: string, error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
    return new InvalidInputError('replay_file_unreadable', `cannot read ${path}: ${code}`, { path, code });
  }
  return error;
}
