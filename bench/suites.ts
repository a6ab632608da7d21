/**
 * Every benchmark suite, by name: the one place a new suite registers. A suite is a file
 * in bench/ whose module exports `suite: BenchSuite`; it is imported only when it runs, so
 * one suite's dependencies (a database, a model) never slow down or break another.
 */
import type { BenchSuite } from './harness';

export const suites: Readonly<Record<string, () => Promise<BenchSuite>>> = {
  indicators: async () => (await import('./indicators')).suite,
  import: async () => (await import('./import')).suite,
  ingest: async () => (await import('./ingest')).suite,
};
