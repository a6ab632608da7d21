import type { Mt5Timeframe } from './types';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Bar length of every fixed MT5 timeframe (MN1 varies, handled apart). */
const TIMEFRAME_MS: ReadonlyArray<[Exclude<Mt5Timeframe, 'MN1'>, number]> = [
  ['M1', MINUTE], ['M2', 2 * MINUTE], ['M3', 3 * MINUTE], ['M4', 4 * MINUTE], ['M5', 5 * MINUTE],
  ['M6', 6 * MINUTE], ['M10', 10 * MINUTE], ['M12', 12 * MINUTE], ['M15', 15 * MINUTE],
  ['M20', 20 * MINUTE], ['M30', 30 * MINUTE], ['H1', HOUR], ['H2', 2 * HOUR], ['H3', 3 * HOUR],
  ['H4', 4 * HOUR], ['H6', 6 * HOUR], ['H8', 8 * HOUR], ['H12', 12 * HOUR], ['D1', DAY], ['W1', 7 * DAY],
];

const TIMEFRAME_TOKEN = /^(?:M(?:1|2|3|4|5|6|10|12|15|20|30)|H(?:1|2|3|4|6|8|12)|D1|W1|MN1?)$/;
/** A timeframe glued to the symbol, as MT4/MT5 "EURUSDM1.csv" / "XAUUSDH4.csv" names do. */
const GLUED_TIMEFRAME = /^([A-Za-z][A-Za-z0-9.#]{2,}?)(M(?:1|2|3|4|5|6|10|12|15|20|30)|H(?:1|2|3|4|6|8|12)|D1|W1|MN1?)$/;
const SYMBOL_TOKEN = /^[A-Za-z][A-Za-z0-9.#]{2,31}$/;
/** Words in export file names that are neither symbol nor timeframe. */
const NOISE = new Set(['DAT', 'MT', 'ASCII', 'EXPORT', 'TICKS', 'TICK', 'BARS', 'HISTORY', 'EA', 'DATA', 'CRLF', 'LF', 'UTF8', 'UTF16']);

function normalizeTimeframe(token: string): Mt5Timeframe {
  return (token === 'MN' ? 'MN1' : token) as Mt5Timeframe;
}

/**
 * Symbol and timeframe from an export's file name: `EURUSD_H1_202506230000_202601211000.csv`
 * (MT5's default), `EURUSD_H1_export_crlf.csv`, `EURUSDM1.csv`, `DAT_MT_EURUSD_M1_2023.csv`
 * (HistData), `BTCUSD_ea_ticks_20260307.json`. Nulls when the name does not say.
 */
export function inferFromFileName(fileName: string): { symbol: string | null; timeframe: Mt5Timeframe | null } {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  const stem = base.replace(/\.(?:csv|txt|json|tsv|prn)$/i, '');
  let symbol: string | null = null;
  let timeframe: Mt5Timeframe | null = null;
  for (const token of stem.split(/[_\s-]+/)) {
    if (token === '') continue;
    const upper = token.toUpperCase();
    if (timeframe === null && TIMEFRAME_TOKEN.test(upper) && token === upper) {
      timeframe = normalizeTimeframe(upper);
      continue;
    }
    if (symbol !== null || NOISE.has(upper) || !SYMBOL_TOKEN.test(token)) continue;
    const glued = GLUED_TIMEFRAME.exec(token);
    if (glued?.[1] && glued[2] && glued[1].replace(/[^A-Za-z]/g, '').length >= 2) {
      symbol = glued[1];
      timeframe ??= normalizeTimeframe(glued[2]);
    } else {
      symbol = token;
    }
  }
  return { symbol, timeframe };
}

/**
 * The timeframe whose length equals the smallest positive gap between consecutive bars.
 * Gaps (weekends, holidays, missing bars) only lengthen spacing, so the minimum is the bar
 * length as soon as two adjacent bars exist. Monthly bars are 28-31 days apart.
 */
export function timeframeFromSpacing(minGapMs: number): Mt5Timeframe | null {
  for (const [name, ms] of TIMEFRAME_MS) if (ms === minGapMs) return name;
  if (minGapMs >= 28 * DAY && minGapMs <= 31 * DAY) return 'MN1';
  return null;
}
