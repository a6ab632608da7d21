/**
 * Suite `indicators`: SMA(20), EMA(20), RSI(14), MACD(12,26,9) and Bollinger(20,2) all
 * updated with each of 1,000,000 closes (a seeded random walk), in ns per close, against the
 * streaming APIs of technicalindicators (`nextValue`) and trading-signals (`add`; its v8 has
 * one plain-number implementation, no Faster* variants), measured in the same run.
 * Ours is the engine's `IndicatorSet` (one call per close, then the five results read, as the
 * peers return them). Without a peer: the cost of `replace` (the forming bar, once per tick)
 * and of the same work through the five classes called one by one.
 */
import * as ti from 'technicalindicators';
import * as ts from 'trading-signals';
import { BollingerBands, EMA, IndicatorSet, MACD, RSI, SMA } from '../engine/indicators';
import { alone, versus, seededRandom, timeCases, type BenchSuite, type TimedCase } from './harness';

const CLOSES = 1_000_000;
const SUITE = 'indicators';

/** A geometric random walk from 100 with ~0.5% steps (sum of three uniforms ≈ normal). */
function randomWalk(count: number, seed: number): Float64Array {
  const random = seededRandom(seed);
  const out = new Float64Array(count);
  let price = 100;
  for (let i = 0; i < count; i++) {
    price *= 1 + 0.01 * (random() + random() + random() - 1.5);
    out[i] = price;
  }
  return out;
}

/** Ours as the engine uses it: one IndicatorSet call per close, then all five results read. */
function ours(closes: Float64Array): number {
  const set = new IndicatorSet();
  let acc = 0;
  for (let i = 0; i < closes.length; i++) {
    set.update(closes[i]!);
    acc += read(set);
  }
  return acc;
}

function read(set: IndicatorSet): number {
  return (
    (set.sma20.value ?? 0) + (set.ema20.value ?? 0) + (set.rsi14.value ?? 0) + (set.macd.histogram ?? 0) + (set.bb20.upper ?? 0)
  );
}

/** The same work with the five indicator classes called one by one. */
function oursSeparate(closes: Float64Array): number {
  const sma = new SMA(20);
  const ema = new EMA(20);
  const rsi = new RSI(14);
  const macd = new MACD(12, 26, 9);
  const bb = new BollingerBands(20, 2);
  let acc = 0;
  for (let i = 0; i < closes.length; i++) {
    const close = closes[i]!;
    sma.update(close);
    ema.update(close);
    rsi.update(close);
    macd.update(close);
    bb.update(close);
    acc += (sma.value ?? 0) + (ema.value ?? 0) + (rsi.value ?? 0) + (macd.histogram ?? 0) + (bb.upper ?? 0);
  }
  return acc;
}

/** The forming bar replaced once per close (a tick), all five results read after each. */
function oursReplace(closes: Float64Array): number {
  const set = new IndicatorSet();
  for (let i = 0; i < 100; i++) set.update(closes[i]!);
  let acc = 0;
  for (let i = 0; i < closes.length; i++) {
    set.replace(closes[i]!);
    acc += read(set);
  }
  return acc;
}

function technicalIndicators(closes: Float64Array): number {
  const sma = new ti.SMA({ period: 20, values: [] });
  const ema = new ti.EMA({ period: 20, values: [] });
  const rsi = new ti.RSI({ period: 14, values: [] });
  const macd = new ti.MACD({
    values: [],
    fastPeriod: 12,
    slowPeriod: 26,
    signalPeriod: 9,
    SimpleMAOscillator: false,
    SimpleMASignal: false,
  });
  const bb = new ti.BollingerBands({ period: 20, stdDev: 2, values: [] });
  let acc = 0;
  for (let i = 0; i < closes.length; i++) {
    const close = closes[i]!;
    acc += sma.nextValue(close) ?? 0;
    acc += ema.nextValue(close) ?? 0;
    acc += rsi.nextValue(close) ?? 0;
    acc += macd.nextValue(close)?.histogram ?? 0;
    acc += bb.nextValue(close)?.upper ?? 0;
  }
  return acc;
}

function tradingSignals(closes: Float64Array): number {
  const sma = new ts.SMA(20);
  const ema = new ts.EMA(20);
  const rsi = new ts.RSI(14);
  const macd = new ts.MACD(new ts.EMA(12), new ts.EMA(26), new ts.EMA(9));
  const bb = new ts.BollingerBands(20, 2);
  let acc = 0;
  for (let i = 0; i < closes.length; i++) {
    const close = closes[i]!;
    acc += sma.add(close) ?? 0;
    acc += ema.add(close) ?? 0;
    acc += rsi.add(close) ?? 0;
    acc += macd.add(close)?.histogram ?? 0;
    acc += bb.add(close)?.upper ?? 0;
  }
  return acc;
}

/**
 * The peers must compute the same five indicators, or the comparison means nothing: run all
 * three on the first closes and compare the last values (technicalindicators rounds RSI to
 * 2 decimals; trading-signals seeds its EMAs with the first close, which has faded by then).
 */
function disagreements(closes: Float64Array): string[] {
  const sample = closes.subarray(0, 5000);
  const sma = new SMA(20);
  const ema = new EMA(20);
  const rsi = new RSI(14);
  const macd = new MACD(12, 26, 9);
  const bb = new BollingerBands(20, 2);
  const tiLast = { sma: 0, ema: 0, rsi: 0, macd: 0, bb: 0 };
  const tsLast = { ...tiLast };
  const tiSma = new ti.SMA({ period: 20, values: [] });
  const tiEma = new ti.EMA({ period: 20, values: [] });
  const tiRsi = new ti.RSI({ period: 14, values: [] });
  const tiMacd = new ti.MACD({ values: [], fastPeriod: 12, slowPeriod: 26, signalPeriod: 9, SimpleMAOscillator: false, SimpleMASignal: false });
  const tiBb = new ti.BollingerBands({ period: 20, stdDev: 2, values: [] });
  const tsSma = new ts.SMA(20);
  const tsEma = new ts.EMA(20);
  const tsRsi = new ts.RSI(14);
  const tsMacd = new ts.MACD(new ts.EMA(12), new ts.EMA(26), new ts.EMA(9));
  const tsBb = new ts.BollingerBands(20, 2);
  for (const close of sample) {
    sma.update(close);
    ema.update(close);
    rsi.update(close);
    macd.update(close);
    bb.update(close);
    tiLast.sma = tiSma.nextValue(close) ?? NaN;
    tiLast.ema = tiEma.nextValue(close) ?? NaN;
    tiLast.rsi = tiRsi.nextValue(close) ?? NaN;
    tiLast.macd = tiMacd.nextValue(close)?.histogram ?? NaN;
    tiLast.bb = tiBb.nextValue(close)?.upper ?? NaN;
    tsLast.sma = tsSma.add(close) ?? NaN;
    tsLast.ema = tsEma.add(close) ?? NaN;
    tsLast.rsi = tsRsi.add(close) ?? NaN;
    tsLast.macd = tsMacd.add(close)?.histogram ?? NaN;
    tsLast.bb = tsBb.add(close)?.upper ?? NaN;
  }
  const ours = { sma: sma.value!, ema: ema.value!, rsi: rsi.value!, macd: macd.histogram!, bb: bb.upper! };
  const tolerance = { sma: 1e-9, ema: 1e-9, rsi: 0.01, macd: 1e-9, bb: 1e-9 };
  const out: string[] = [];
  for (const [peer, last] of [['technicalindicators', tiLast], ['trading-signals', tsLast]] as const) {
    for (const key of Object.keys(ours) as (keyof typeof ours)[]) {
      const scale = key === 'rsi' || key === 'macd' ? 1 : Math.abs(ours[key]);
      if (!(Math.abs(last[key] - ours[key]) <= tolerance[key] * scale)) {
        out.push(`${peer} ${key} ${last[key]} differs from ours ${ours[key]}`);
      }
    }
  }
  return out;
}

export const suite: BenchSuite = {
  name: SUITE,
  description: 'SMA20+EMA20+RSI14+MACD(12,26,9)+BB(20,2) per close over 1M closes vs technicalindicators and trading-signals',
  async run(context, emit) {
    const closes = randomWalk(CLOSES, 20260307);
    for (const problem of disagreements(closes)) process.stderr.write(`indicators: warning: ${problem}\n`);
    const cases: TimedCase[] = [
      { name: 'ours', run: () => ours(closes) },
      { name: 'ours-separate', run: () => oursSeparate(closes) },
      { name: 'ours-replace', run: () => oursReplace(closes) },
      { name: 'technicalindicators', run: () => technicalIndicators(closes) },
      { name: 'trading-signals', run: () => tradingSignals(closes) },
    ];
    const median = timeCases(cases, { warmups: 1, repetitions: 7 }, context);
    const perClose = (name: string) => median.get(name)! / CLOSES;
    const base = { suite: SUITE, metric: 'ns_per_update', value: perClose('ours'), unit: 'ns', better: 'lower' } as const;
    emit(versus(base, 'technicalindicators', perClose('technicalindicators')));
    emit(versus(base, 'trading-signals', perClose('trading-signals')));
    emit(alone({ ...base, metric: 'ns_per_replace', value: perClose('ours-replace') }));
    emit(alone({ ...base, metric: 'ns_per_update_five_classes', value: perClose('ours-separate') }));
  },
};
