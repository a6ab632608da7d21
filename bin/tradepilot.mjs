#!/usr/bin/env node
// Entry point of the `tradepilot` CLI. The code is TypeScript; it runs from a bundle built on
// demand and rebuilt whenever a source changed (see bundle.mjs), or through tsx's loader when
// no bundle can be built, so a clone works without a build step.
import { setFlagsFromString } from 'node:v8';
import { loadCli } from './bundle.mjs';

if (process.argv[2] === 'import') {
  // The importer leaves almost nothing alive between young-generation collections (rows are
  // parsed, encoded into a byte buffer and dropped one at a time), so letting V8 grow its
  // young generation (up to 2 × 16 MB) only adds resident memory: keeping it at its start
  // size lowered a 1M-row import's peak by ≈ 26 MB at the same rate. V8 reads this flag each
  // time it considers growing the young generation, so setting it now, before any module is
  // loaded, takes effect (unlike --max-semi-space-size, which only the command line can set).
  setFlagsFromString('--semi-space-growth-factor=1');
}
const { main } = await loadCli();
process.exitCode = await main(process.argv.slice(2));
