import { seededRandom } from '../../support/random';

export { seededRandom };

/**
 * Naive full-recompute implementations of the indicator definitions (DESIGN.md, TA-Lib),
 * written independently of the streaming code: each bar's window is re-scanned, each
 * recursion re-run over the whole series. Results are per bar, `null` during warm-up.
 */

export function naiveSma(values: readonly number[], period: number): (number | null)[] {
  return values.map((_, i) => {
    if (i < period - 1) return null;
    let sum = 0;
    for (let j = i - period + 1; j <= i; j++) sum += values[j]!;
    return sum / period;
  });
}

/** TA-Lib EMA: seeded with the SMA of values[start..start+period-1], first value at start+period-1. */
export function naiveEma(values: readonly number[], period: number, start = 0): (number | null)[] {
  const out: (number | null)[] = values.map(() => null);
  const first = start + period - 1;
  if (first >= values.length) return out;
  let seed = 0;
  for (let j = start; j <= first; j++) seed += values[j]!;
  let ema = seed / period;
  out[first] = ema;
  const k = 2 / (period + 1);
  for (let i = first + 1; i < values.length; i++) {
    ema = (values[i]! - ema) * k + ema;
    out[i] = ema;
  }
  return out;
}

/** Wilder RSI seeded with the mean of the first `period` changes; flat → 50 (documented choice). */
export function naiveRsi(values: readonly number[], period: number): (number | null)[] {
  const out: (number | null)[] = values.map(() => null);
  if (values.length <= period) return out;
  let gain = 0;
  let loss = 0;
  for (let i = 1; i <= period; i++) {
    const change = values[i]! - values[i - 1]!;
    if (change > 0) gain += change;
    else loss -= change;
  }
  gain /= period;
  loss /= period;
  const rsi = (): number => (gain + loss === 0 ? 50 : (100 * gain) / (gain + loss));
  out[period] = rsi();
  for (let i = period + 1; i < values.length; i++) {
    const change = values[i]! - values[i - 1]!;
    gain = (gain * (period - 1) + Math.max(change, 0)) / period;
    loss = (loss * (period - 1) + Math.max(-change, 0)) / period;
    out[i] = rsi();
  }
  return out;
}

export interface NaiveMacd {
  macd: (number | null)[];
  signal: (number | null)[];
  histogram: (number | null)[];
}

/** MACD with TA-Lib's start: both EMAs end their seed on bar slow−1 (line from there, signal 8 bars later). */
export function naiveMacd(values: readonly number[], fast = 12, slow = 26, signalPeriod = 9): NaiveMacd {
  const fastEma = naiveEma(values, fast, slow - fast);
  const slowEma = naiveEma(values, slow);
  const macd = values.map((_, i) => {
    const f = fastEma[i];
    const s = slowEma[i];
    return f === null || f === undefined || s === null || s === undefined ? null : f - s;
  });
  const line = macd.slice(slow - 1) as number[];
  const signal: (number | null)[] = values.map(() => null);
  naiveEma(line, signalPeriod).forEach((v, j) => (signal[j + slow - 1] = v));
  const histogram = values.map((_, i) => (signal[i] === null ? null : macd[i]! - signal[i]!));
  return { macd, signal, histogram };
}

export interface NaiveBands {
  upper: (number | null)[];
  middle: (number | null)[];
  lower: (number | null)[];
}

/** Bollinger bands with a two-pass population standard deviation of each window. */
export function naiveBollinger(
  values: readonly number[],
  period: number,
  multiplier: number,
  middleKind: 'sma' | 'ema' = 'sma',
): NaiveBands {
  const middle = middleKind === 'sma' ? naiveSma(values, period) : naiveEma(values, period);
  const deviation = values.map((_, i) => {
    if (i < period - 1) return null;
    let sum = 0;
    for (let j = i - period + 1; j <= i; j++) sum += values[j]!;
    const mean = sum / period;
    let squares = 0;
    for (let j = i - period + 1; j <= i; j++) squares += (values[j]! - mean) ** 2;
    return Math.sqrt(squares / period);
  });
  return {
    upper: middle.map((m, i) => (m === null ? null : m + multiplier * deviation[i]!)),
    middle,
    lower: middle.map((m, i) => (m === null ? null : m - multiplier * deviation[i]!)),
  };
}

export interface Bar {
  high: number;
  low: number;
  close: number;
}

/** TA-Lib ATR: true ranges from bar 1, first ATR = their mean over bars 1..period, then Wilder. */
export function naiveAtr(bars: readonly Bar[], period: number): (number | null)[] {
  const out: (number | null)[] = bars.map(() => null);
  const tr = bars.map((bar, i) =>
    i === 0
      ? NaN
      : Math.max(bar.high - bar.low, Math.abs(bar.high - bars[i - 1]!.close), Math.abs(bar.low - bars[i - 1]!.close)),
  );
  if (bars.length <= period) return out;
  let atr = 0;
  for (let i = 1; i <= period; i++) atr += tr[i]!;
  atr /= period;
  out[period] = atr;
  for (let i = period + 1; i < bars.length; i++) {
    atr = (atr * (period - 1) + tr[i]!) / period;
    out[i] = atr;
  }
  return out;
}

/**
 * A positive random walk around 100 with 1% steps, sudden jumps and flat stretches
 * (repeated closes exercise zero changes and a zero-width band).
 */
export function randomCloses(count: number, seed: number): number[] {
  const random = seededRandom(seed);
  const out: number[] = [];
  let price = 100;
  let flat = 0;
  for (let i = 0; i < count; i++) {
    if (flat > 0) flat--;
    else if (random() < 0.005) flat = 25;
    else {
      const jump = random() < 0.01 ? 10 : 1;
      price *= 1 + jump * 0.01 * (random() + random() + random() - 1.5);
      price = Math.max(price, 1);
    }
    out.push(price);
  }
  return out;
}

export function randomBars(count: number, seed: number): Bar[] {
  const random = seededRandom(seed + 1);
  return randomCloses(count, seed).map((close, i, closes) => {
    const open = i === 0 ? close : closes[i - 1]!;
    return {
      high: Math.max(open, close) * (1 + 0.005 * random()),
      low: Math.min(open, close) * (1 - 0.005 * random()),
      close,
    };
  });
}

/** |actual − expected| ≤ 1e-9 · |expected| (exact equality for 0); null must match null. */
export function closeEnough(actual: number | null, expected: number | null, relative = 1e-9): boolean {
  if (actual === null || expected === null) return actual === expected;
  return Math.abs(actual - expected) <= relative * Math.abs(expected);
}

/** The first bar at which `actual` and `expected` disagree, or -1. */
export function firstMismatch(actual: readonly (number | null)[], expected: readonly (number | null)[]): number {
  if (actual.length !== expected.length) return Math.min(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) if (!closeEnough(actual[i] ?? null, expected[i] ?? null)) return i;
  return -1;
}

interface Streamable<I> {
  update(input: I): unknown;
  replace(input: I): unknown;
}

/**
 * Streams `inputs` through an indicator and reads it after every bar. With `jitter`, each
 * bar first arrives as a different value, is replaced 0-3 more times with others (ticks of
 * a forming bar), and only then replaced by its final value.
 */
export function stream<I, T>(
  indicator: Streamable<I>,
  inputs: readonly I[],
  read: () => T,
  jitter?: { value(i: number, variant: number): I; seed: number },
): T[] {
  const random = seededRandom(jitter?.seed ?? 0);
  return inputs.map((input, i) => {
    if (jitter) {
      indicator.update(jitter.value(i, 0));
      const ticks = Math.floor(random() * 4);
      for (let v = 1; v <= ticks; v++) indicator.replace(jitter.value(i, v));
      indicator.replace(input);
    } else {
      indicator.update(input);
    }
    return read();
  });
}

/** A jitter for closes: the bar's value moved by up to ±3% per tick. */
export function closeJitter(closes: readonly number[], seed: number): { value(i: number, variant: number): number; seed: number } {
  const random = seededRandom(seed);
  return { value: (i) => closes[i]! * (0.97 + 0.06 * random()), seed };
}
