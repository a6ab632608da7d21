#!/usr/bin/env node
/**
 * Builds the project's one native addon, db/clickhouse/native (see release_pages.c), with
 * node-gyp. Runs after `npm install` (postinstall) and from scripts/setup.sh; a run finds
 * the addon up to date when the sources it was built from are unchanged, and does nothing.
 *
 * The addon only lowers the memory of processes that hold the embedded ClickHouse, so a
 * machine that cannot build it (no C compiler, not Linux) still installs: this prints what
 * is missing and exits 0, and those processes run without it (their RSS is ≈ 90 MiB higher).
 * With `--strict`, or CI=true, it exits 1 instead.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ADDON_DIR = path.join(ROOT, 'db', 'clickhouse', 'native');
const OUTPUT = path.join(ADDON_DIR, 'build', 'Release', 'release_pages.node');
const STAMP = path.join(ADDON_DIR, 'build', 'sources.sha256');
const SOURCES = ['binding.gyp', 'release_pages.c'];

const strict = process.argv.includes('--strict') || process.env.CI === 'true';
const say = (line) => process.stderr.write(`[build-native] ${line}\n`);

function sourcesHash() {
  const hash = createHash('sha256').update(process.versions.modules);
  for (const name of SOURCES) hash.update(name).update(readFileSync(path.join(ADDON_DIR, name)));
  return hash.digest('hex');
}

/** node-gyp: on PATH inside npm scripts; else the copy npm bundles, found from npm's own path. */
function nodeGyp() {
  const onPath = spawnSync('node-gyp', ['--version'], { stdio: 'ignore' });
  if (onPath.status === 0) return ['node-gyp'];
  const npmCli = process.env.npm_execpath;
  const candidates = [
    npmCli && path.join(path.dirname(path.dirname(npmCli)), 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ].filter(Boolean);
  const script = candidates.find((candidate) => existsSync(candidate));
  return script ? [process.execPath, script] : null;
}

function giveUp(reason) {
  say(reason);
  say('tradepilot works without the addon; a process holding the embedded ClickHouse then keeps ≈ 90 MiB more of libchdb resident');
  process.exit(strict ? 1 : 0);
}

if (process.platform !== 'linux') giveUp(`not built: the addon is for Linux (this is ${process.platform})`);
const wanted = sourcesHash();
if (existsSync(OUTPUT) && existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === wanted) process.exit(0);

const gyp = nodeGyp();
if (!gyp) giveUp('not built: node-gyp was not found (it comes with npm; run `npm run build:native`)');
const [command, ...prefix] = gyp;
// npm passes its nodedir setting to scripts as npm_config_nodedir, which node-gyp reads; run
// by hand, the headers next to this node are used when they are there.
const nodedir = process.env.npm_config_nodedir ?? (existsSync(path.join(path.dirname(process.execPath), '..', 'include', 'node', 'node_api.h')) ? path.resolve(path.dirname(process.execPath), '..') : undefined);
const args = [...prefix, 'rebuild', `--directory=${ADDON_DIR}`, ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
say(`building db/clickhouse/native (${command === process.execPath ? 'node-gyp' : command})`);
const run = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
if (run.status !== 0 || !existsSync(OUTPUT)) {
  const detail = `${run.stderr ?? ''}${run.stdout ?? ''}`.split('\n').filter((line) => /error|ERR!/i.test(line)).slice(0, 6).join('\n');
  giveUp(`node-gyp failed (exit ${run.status ?? run.signal ?? run.error?.message})${detail ? `:\n${detail}` : ''}`);
}
writeFileSync(STAMP, `${wanted}\n`);
say(`built ${path.relative(ROOT, OUTPUT)}`);
