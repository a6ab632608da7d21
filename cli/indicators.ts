import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { InvalidInputError } from '../core/errors';
import { checkImportFile, parseTzOffset, writeIndicatorsCsv, type IndicatorsFileOptions } from '../engine/ingest/import';
import type { Command } from './command';

const FORMATS = ['auto', 'mt5-bars', 'histdata'] as const;

export const indicatorsCommand: Command = {
  name: 'indicators',
  summary: 'Compute SMA, EMA, RSI, MACD and Bollinger bands over a bars file, as CSV.',
  usage: 'tradepilot indicators --input FILE [--format auto|mt5-bars|histdata] [--tz-offset MINUTES|±HH:MM] [--output FILE|-]',
  help: `Options:
      --input FILE       a bars file: MT5 "Export bars" (UTF-8 or UTF-16LE) or HistData CSV
      --format F         auto (default), mt5-bars or histdata
      --tz-offset O      broker server time minus UTC: minutes or ±HH:MM (default 0: the
                         file's times are taken as UTC); negative as --tz-offset=-05:00
      --output FILE|-    where to write the CSV (default -, stdout)

Columns: time,close,sma20,ema20,rsi14,macd,macd_signal,macd_hist,bb_upper,bb_middle,bb_lower;
one row per bar, time in ISO-8601 UTC (2025-06-22T21:00:00.000Z), cells empty while an
indicator warms up (TA-Lib definitions). No database is needed. Malformed lines are skipped
and counted on stderr.`,
  options: {
    input: { type: 'string' },
    format: { type: 'string' },
    'tz-offset': { type: 'string' },
    output: { type: 'string' },
  },
  async run({ values }, ctx) {
    const input = typeof values.input === 'string' ? values.input : undefined;
    if (input === undefined) throw new InvalidInputError('usage', '--input FILE is required (see: tradepilot indicators --help)');
    const options: IndicatorsFileOptions = { fileName: input };
    if (typeof values.format === 'string') {
      if (!(FORMATS as readonly string[]).includes(values.format)) {
        throw new InvalidInputError('usage', `--format ${JSON.stringify(values.format)} is not a bars format: expected one of ${FORMATS.join(', ')}`);
      }
      options.format = values.format as (typeof FORMATS)[number];
    }
    if (typeof values['tz-offset'] === 'string') options.tzOffsetMinutes = parseTzOffset(values['tz-offset'], '--tz-offset');
    const output = typeof values.output === 'string' ? values.output : '-';
    await checkImportFile(input);

    const source = createReadStream(input, { highWaterMark: 1024 * 1024 });
    let result;
    try {
      if (output === '-') {
        const stdout = readerAware(ctx.stdout);
        try {
          result = await writeIndicatorsCsv(source, stdout.write, options);
        } catch (error) {
          // `… | head` closed the pipe: the reader has what it wanted, which is not a failure.
          if (stdout.closed()) return 0;
          throw error;
        } finally {
          stdout.release();
        }
      } else {
        result = await toFile(output, (write) => writeIndicatorsCsv(source, write, options));
      }
    } finally {
      source.destroy();
    }
    const reasons = Object.entries(result.rejected);
    if (reasons.length > 0) {
      const skipped = reasons.reduce((sum, [, count]) => sum + count, 0);
      ctx.stderr.write(`indicators: skipped ${skipped} line(s) of ${input}: ${reasons.map(([reason, count]) => `${reason} ${count}`).join(', ')}\n`);
    }
    if (output !== '-') ctx.stdout.write(`wrote ${result.bars} rows to ${output}\n`);
    return 0;
  },
};

/**
 * Writes to stdout that notice when the reader has gone (EPIPE): the error is taken instead
 * of crashing the process, and every later write fails fast so the parser stops.
 */
function readerAware(stream: NodeJS.WritableStream) {
  let gone = false;
  const onError = (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') gone = true;
  };
  stream.on('error', onError);
  return {
    closed: () => gone,
    release: () => stream.off('error', onError),
    write: async (chunk: string) => {
      if (gone) throw new Error('stdout was closed by its reader');
      await writeTo(stream, chunk);
    },
  };
}

/** Writes honouring backpressure, so a slow reader (a pipe to `less`) holds the parser back. */
async function writeTo(stream: NodeJS.WritableStream, chunk: string): Promise<void> {
  if (!stream.write(chunk)) await once(stream, 'drain');
}

/**
 * Writes the file next to its final name and renames it at the end, so a failure half-way
 * never leaves a truncated CSV that looks complete.
 */
async function toFile<T>(target: string, produce: (write: (chunk: string) => Promise<void>) => Promise<T>): Promise<T> {
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.partial`);
  const out = createWriteStream(temp);
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  failed.catch(() => undefined);
  try {
    const result = await Promise.race([produce((chunk) => Promise.race([writeTo(out, chunk), failed])), failed]);
    out.end();
    await Promise.race([once(out, 'finish'), failed]);
    await rename(temp, target);
    return result;
  } catch (error) {
    out.destroy();
    await rm(temp, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
      throw new InvalidInputError('output_unwritable', `cannot write --output ${target}: ${code === 'ENOENT' ? 'no such directory' : code === 'EISDIR' ? 'it is a directory' : 'permission denied'}`);
    }
    throw error;
  }
}
