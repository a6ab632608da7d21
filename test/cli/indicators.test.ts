import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indicatorsCommand } from '../../cli/indicators';
import { BTCUSD_EA_JSON, EURUSD_H1, EURUSD_ROWS, captureContext, runCli, tempDir } from '../engine/ingest/import/support';

const HEADER = 'time,close,sma20,ema20,rsi14,macd,macd_signal,macd_hist,bb_upper,bb_middle,bb_lower';

// Naive recomputation, written from DESIGN.md / PROVENANCE.md, re-scanning every window.
type Series = (number | null)[];

function sma(values: readonly number[], n: number): Series {
  return values.map((_, i) => (i < n - 1 ? null : values.slice(i - n + 1, i + 1).reduce((a, b) => a + b, 0) / n));
}

/** EMA seeded with the SMA of values[start..start+n-1]; null before start+n-1. */
function ema(values: readonly (number | null)[], n: number, start = 0): Series {
  const out: Series = values.map(() => null);
  const seedEnd = start + n - 1;
  if (seedEnd >= values.length) return out;
  let value = (values.slice(start, seedEnd + 1) as number[]).reduce((a, b) => a + b, 0) / n;
  out[seedEnd] = value;
  for (let i = seedEnd + 1; i < values.length; i++) {
    value += (2 / (n + 1)) * ((values[i] as number) - value);
    out[i] = value;
  }
  return out;
}

function rsi(values: readonly number[], n: number): Series {
  const out: Series = values.map(() => null);
  let gain = 0;
  let loss = 0;
  for (let i = 1; i <= n; i++) {
    const change = values[i]! - values[i - 1]!;
    gain += Math.max(change, 0);
    loss += Math.max(-change, 0);
  }
  gain /= n;
  loss /= n;
  const value = () => (loss === 0 ? (gain === 0 ? 50 : 100) : 100 - 100 / (1 + gain / loss));
  out[n] = value();
  for (let i = n + 1; i < values.length; i++) {
    const change = values[i]! - values[i - 1]!;
    gain = (gain * (n - 1) + Math.max(change, 0)) / n;
    loss = (loss * (n - 1) + Math.max(-change, 0)) / n;
    out[i] = value();
  }
  return out;
}

function macd(values: readonly number[]): { line: Series; signal: Series; hist: Series } {
  // TA-Lib: both EMAs start on bar 25 (EMA12 seeded on bars 14..25).
  const fast = ema(values, 12, 14);
  const slow = ema(values, 26, 0);
  const line = values.map((_, i) => (fast[i] === null || slow[i] === null ? null : fast[i]! - slow[i]!));
  const signal = ema(line, 9, 25);
  const hist = line.map((m, i) => (m === null || signal[i] === null ? null : m - signal[i]!));
  return { line, signal, hist };
}

function bollinger(values: readonly number[], n: number, k: number): { upper: Series; middle: Series; lower: Series } {
  const middle = sma(values, n);
  const sd = values.map((_, i) => {
    if (i < n - 1) return null;
    const window = values.slice(i - n + 1, i + 1);
    const mean = middle[i]!;
    return Math.sqrt(window.reduce((a, v) => a + (v - mean) ** 2, 0) / n);
  });
  return {
    upper: middle.map((m, i) => (m === null ? null : m + k * sd[i]!)),
    middle,
    lower: middle.map((m, i) => (m === null ? null : m - k * sd[i]!)),
  };
}

function parseCsv(text: string): { header: string; rows: string[][] } {
  const lines = text.trimEnd().split('\n');
  return { header: lines[0]!, rows: lines.slice(1).map((line) => line.split(',')) };
}

async function eurusdCloses(): Promise<{ times: string[]; closes: number[] }> {
  const lines = (await readFile(EURUSD_H1, 'utf8')).trim().split('\r\n').slice(1);
  const cells = lines.map((line) => line.split('\t'));
  return {
    times: cells.map(([d, t]) => `${d!.replace(/\./g, '-')}T${t}.000Z`),
    closes: cells.map((c) => Number(c[5])),
  };
}

describe('tradepilot indicators', () => {
  let files: { dir: string; remove: () => Promise<void> };
  beforeAll(async () => {
    files = await tempDir('tp-cli-indicators-');
  });
  afterAll(async () => {
    await files?.remove();
  });

  it('writes one row per bar to stdout with --output -, warm-up cells empty, values matching a naive recomputation', async () => {
    const run = await runCli(['indicators', '--input', EURUSD_H1, '--output', '-'], {});
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const { header, rows } = parseCsv(run.stdout);
    expect(header).toBe(HEADER);
    expect(rows).toHaveLength(EURUSD_ROWS);

    const { times, closes } = await eurusdCloses();
    const m = macd(closes);
    const bb = bollinger(closes, 20, 2);
    const expected: Series[] = [sma(closes, 20), ema(closes, 20), rsi(closes, 14), m.line, m.signal, m.hist, bb.upper, bb.middle, bb.lower];
    const firstFilled = [19, 19, 14, 25, 33, 33, 19, 19, 19];
    expected.forEach((series, k) => expect(series.findIndex((v) => v !== null)).toBe(firstFilled[k]));

    rows.forEach((cells, i) => {
      expect(cells).toHaveLength(11);
      // No --tz-offset: the file's times are written as UTC.
      expect(cells[0]).toBe(times[i]);
      expect(Number(cells[1])).toBe(closes[i]);
      expected.forEach((series, k) => {
        const cell = cells[k + 2]!;
        const want = series[i]!;
        if (i < firstFilled[k]!) {
          expect(cell, `${HEADER.split(',')[k + 2]} row ${i}`).toBe('');
        } else {
          expect(cell, `${HEADER.split(',')[k + 2]} row ${i}`).not.toBe('');
          // 10 significant digits are written.
          expect(Math.abs(Number(cell) - want), `${HEADER.split(',')[k + 2]} row ${i}`).toBeLessThanOrEqual(1e-8 * Math.max(1, Math.abs(want)));
        }
      });
    });
  });

  it('writes the same CSV to --output FILE; --tz-offset shifts only the time column', async () => {
    const target = path.join(files.dir, 'out.csv');
    const io = captureContext({});
    expect(await indicatorsCommand.run({ values: { input: EURUSD_H1, output: target }, positionals: [] }, io.ctx)).toBe(0);
    expect(io.stdout()).toBe(`wrote ${EURUSD_ROWS} rows to ${target}\n`);
    const toStdout = captureContext({});
    await indicatorsCommand.run({ values: { input: EURUSD_H1 }, positionals: [] }, toStdout.ctx);
    expect(await readFile(target, 'utf8')).toBe(toStdout.stdout());
    // No temporary file is left beside the output.
    expect(await readdir(files.dir)).toEqual(['out.csv']);

    const shifted = captureContext({});
    await indicatorsCommand.run({ values: { input: EURUSD_H1, 'tz-offset': '+02:00' }, positionals: [] }, shifted.ctx);
    const a = parseCsv(toStdout.stdout()).rows;
    const b = parseCsv(shifted.stdout()).rows;
    expect(b[0]![0]).toBe('2025-06-22T22:00:00.000Z');
    expect(b.map((r) => r.slice(1))).toEqual(a.map((r) => r.slice(1)));
  });

  it('exits 1 with one line for a ticks file', async () => {
    const run = await runCli(['indicators', '--input', BTCUSD_EA_JSON], {});
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^tradepilot indicators: .*holds ticks \(ea-json\), not bars[^\n]*\n$/);
  });

  it('exits 2 without --input', async () => {
    const run = await runCli(['indicators'], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('tradepilot indicators: --input FILE is required (see: tradepilot indicators --help)\n');
  });
});
