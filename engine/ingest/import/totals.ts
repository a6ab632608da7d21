import type { ImportResult } from './importer';

/** Several files' imports added up (the last line of `tradepilot import --json`). */
export interface ImportTotals {
  rows: number;
  accepted: number;
  rejected: Record<string, number>;
  /** The files' common symbol, or null when they differ (or none is known). */
  symbol: string | null;
  /** Earliest / latest accepted time over all files, epoch ms UTC. */
  fromMs: number | null;
  toMs: number | null;
}

export function sumImportResults(results: readonly ImportResult[]): ImportTotals {
  const rejected: Record<string, number> = {};
  let rows = 0;
  let accepted = 0;
  let fromMs: number | null = null;
  let toMs: number | null = null;
  const symbols = new Set<string | null>();
  for (const result of results) {
    rows += result.rows;
    accepted += result.accepted;
    for (const [reason, n] of Object.entries(result.rejected)) rejected[reason] = (rejected[reason] ?? 0) + n;
    if (result.fromMs !== null && (fromMs === null || result.fromMs < fromMs)) fromMs = result.fromMs;
    if (result.toMs !== null && (toMs === null || result.toMs > toMs)) toMs = result.toMs;
    symbols.add(result.symbol);
  }
  const [only] = symbols;
  return { rows, accepted, rejected, symbol: symbols.size === 1 ? (only ?? null) : null, fromMs, toMs };
}
