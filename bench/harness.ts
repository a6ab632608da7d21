/**
 * The benchmark harness's shared parts: what a suite is, what a result line holds (DESIGN.md
 * "Contracts"), how a case is timed, and the machine description printed first.
 */
import os from 'node:os';
import { seededRandom } from '../test/support/random';

export { seededRandom };

/** One result line. With `--json` it is printed exactly in this shape, in this key order. */
export interface BenchResult {
  suite: string;
  metric: string;
  value: number;
  unit: string;
  better: 'lower' | 'higher';
  /** The library compared against in the same run, or null when there is none. */
  peer: string | null;
  peer_value: number | null;
  /** How many times better than the peer (> 1: ahead), or null without a peer. */
  ratio: number | null;
}

export interface BenchContext {
  /** Progress for a human (stderr, only on a terminal); never part of the results. */
  progress(message: string): void;
}

export interface BenchSuite {
  readonly name: string;
  readonly description: string;
  /** Runs the suite; calls `emit` once per result as soon as it is known. */
  run(context: BenchContext, emit: (result: BenchResult) => void): Promise<void>;
}

export interface MachineInfo {
  cores: number;
  cpu: string;
  node: string;
  platform: string;
  arch: string;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: process.platform,
    arch: process.arch,
  };
}

/**
 * Results are folded in here so that the JIT cannot drop the work whose result nobody reads;
 * `checkSink` at the end makes the sink observable.
 */
let sink = 0;

export function consume(value: number): void {
  sink += value;
}

export function checkSink(): void {
  if (Number.isNaN(sink)) process.stderr.write('bench: the result sink is NaN (a case produced NaN)\n');
}

export interface TimedCase {
  readonly name: string;
  /** Does the whole workload once and returns a number derived from its results. */
  run(): number;
}

export interface TimingOptions {
  /** Untimed runs first, so that every case is optimized by the JIT. */
  warmups: number;
  repetitions: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Times several cases together: warm-ups, then repetitions interleaved case by case (so
 * that a slow phase of the machine hits every case alike); returns each case's median
 * wall time of one run, in nanoseconds.
 */
export function timeCases(cases: readonly TimedCase[], options: TimingOptions, context?: BenchContext): Map<string, number> {
  for (const c of cases) {
    context?.progress(`warming up ${c.name}`);
    for (let i = 0; i < options.warmups; i++) consume(c.run());
  }
  const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let r = 0; r < options.repetitions; r++) {
    context?.progress(`repetition ${r + 1}/${options.repetitions}`);
    for (const c of cases) {
      const start = process.hrtime.bigint();
      const result = c.run();
      const elapsed = Number(process.hrtime.bigint() - start);
      consume(result);
      samples.get(c.name)!.push(elapsed);
    }
  }
  return new Map([...samples].map(([name, times]) => [name, median(times)]));
}

/** Rounds for printing: enough digits to compare, no float noise. */
export function round(value: number, digits = 2): number {
  return Number(value.toFixed(digits));
}

export interface Measured {
  suite: string;
  metric: string;
  value: number;
  unit: string;
  better: 'lower' | 'higher';
}

/** A result against a peer measured in the same run; ratio = how many times better (> 1: ahead). */
export function versus(m: Measured, peer: string, peerValue: number): BenchResult {
  const ratio = m.better === 'lower' ? peerValue / m.value : m.value / peerValue;
  return {
    suite: m.suite,
    metric: m.metric,
    value: round(m.value),
    unit: m.unit,
    better: m.better,
    peer,
    peer_value: round(peerValue),
    ratio: round(ratio),
  };
}

/** A result without a peer. */
export function alone(m: Measured): BenchResult {
  return { suite: m.suite, metric: m.metric, value: round(m.value), unit: m.unit, better: m.better, peer: null, peer_value: null, ratio: null };
}

