/** A quote from one source: only time and bid/ask are used. */
export interface QuoteSample {
  timeMs: number;
  bid: number;
  ask: number;
}

export interface CrossCheckOptions {
  /** Point size of the symbol (EURUSD 0.00001), to express the divergence in points. */
  point: number;
  /** Verdict `diverged` when |median divergence| exceeds this many points… */
  maxDivergencePoints?: number;
  /** …or this percentage of the price. Default 0.1 %. */
  maxDivergencePct?: number;
  /** A sample of `b` pairs with a sample of `a` when it is at most this much older. Default 1000 ms. */
  maxSkewMs?: number;
  /** Fewer aligned pairs than this → `insufficient_data`. Default 3. */
  minPairs?: number;
}

export interface CrossCheckResult {
  verdict: 'ok' | 'diverged' | 'insufficient_data';
  pairs: number;
  /** Median of mid(a) − mid(b) over aligned pairs, in points (signed). */
  divergencePoints: number;
  /** The same as a percentage of mid(b). */
  divergencePct: number;
  /** Largest |mid(a) − mid(b)| of any pair, in points. */
  maxAbsPoints: number;
}

/**
 * Compare two sources' recent quotes for one symbol. Each sample of `a` is paired with the
 * latest sample of `b` at or before it (an as-of join, at most `maxSkewMs` older); the
 * verdict uses the median difference so that one stray quote does not flip it. Both series
 * must be in ascending time order.
 */
export function crossCheck(a: readonly QuoteSample[], b: readonly QuoteSample[], options: CrossCheckOptions): CrossCheckResult {
  if (!(options.point > 0)) throw new RangeError(`point must be > 0, got ${options.point}`);
  const maxSkewMs = options.maxSkewMs ?? 1000;
  const minPairs = options.minPairs ?? 3;
  const maxPct = options.maxDivergencePct ?? 0.1;
  const diffs: number[] = [];
  const refs: number[] = [];
  let maxAbs = 0;
  let j = -1;
  for (const qa of a) {
    while (j + 1 < b.length && b[j + 1]!.timeMs <= qa.timeMs) j++;
    const qb = j >= 0 ? b[j]! : undefined;
    if (!qb || qa.timeMs - qb.timeMs > maxSkewMs) continue;
    const midB = (qb.bid + qb.ask) / 2;
    const diff = (qa.bid + qa.ask) / 2 - midB;
    diffs.push(diff);
    refs.push(midB);
    maxAbs = Math.max(maxAbs, Math.abs(diff));
  }
  if (diffs.length < minPairs) {
    return { verdict: 'insufficient_data', pairs: diffs.length, divergencePoints: Number.NaN, divergencePct: Number.NaN, maxAbsPoints: Number.NaN };
  }
  const divergence = median(diffs);
  const divergencePoints = Math.round(divergence / options.point);
  const divergencePct = (divergence / median(refs)) * 100;
  const diverged =
    Math.abs(divergencePct) > maxPct || (options.maxDivergencePoints !== undefined && Math.abs(divergencePoints) > options.maxDivergencePoints);
  return {
    verdict: diverged ? 'diverged' : 'ok',
    pairs: diffs.length,
    divergencePoints,
    divergencePct,
    maxAbsPoints: Math.round(maxAbs / options.point),
  };
}

function median(values: number[]): number {
  const s = [...values].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
