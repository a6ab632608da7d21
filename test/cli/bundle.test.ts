import { mkdtemp, readdir, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI_BUNDLE, buildBundle, currentBundle, ensureBundle, type BundleSpec } from '../../bin/bundle.mjs';
import { runCli } from '../support/cli';

// A small TypeScript project in a temporary directory, bundled the way bin/ bundles the CLI.
describe('the CLI bundle (bin/bundle.mjs)', () => {
  let root: string;
  let spec: BundleSpec;

  const source = (name: string, text: string) => writeFile(path.join(root, name), text);
  const load = async (entryUrl: string) => (await import(entryUrl)) as { value: string; here: string; depHere: string };

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'tp-bundle-'));
    spec = { root, entry: 'main.ts', cacheDir: path.join(root, 'cache'), extraInputs: ['settings.json'] };
    await source('settings.json', '{"unused": true}\n');
    await source('dep.ts', "export const value: string = 'one';\nexport const depHere = import.meta.url;\n");
    await source('main.ts', "export { value, depHere } from './dep';\nexport const here = import.meta.url;\n");
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('builds on first use, then reuses the bundle while no file it was built from changes', async () => {
    const first = await ensureBundle(spec);
    expect(first.built).toBe(true);
    expect((await load(first.entryUrl)).value).toBe('one');
    const again = await ensureBundle(spec);
    expect(again).toEqual({ entryUrl: first.entryUrl, built: false });
    expect(Object.keys(currentBundle(spec)!.inputs).sort()).toEqual(['dep.ts', 'main.ts', 'settings.json']);
  });

  it('rebuilds when an imported source changes, even to the same size with its old mtime restored', async () => {
    const first = await ensureBundle(spec);
    const before = await stat(path.join(root, 'dep.ts'));
    await source('dep.ts', "export const value: string = 'two';\nexport const depHere = import.meta.url;\n");
    await utimes(path.join(root, 'dep.ts'), before.atime, before.mtime);
    expect((await stat(path.join(root, 'dep.ts'))).size).toBe(before.size);

    expect(currentBundle(spec)).toBeNull();
    const second = await ensureBundle(spec);
    expect(second.built).toBe(true);
    expect(second.entryUrl).not.toBe(first.entryUrl);
    expect((await load(second.entryUrl)).value).toBe('two');
  });

  it('rebuilds when a file that shapes the build without being imported changes', async () => {
    await ensureBundle(spec);
    await source('settings.json', '{"unused": false}\n');
    expect(currentBundle(spec)).toBeNull();
    expect((await ensureBundle(spec)).built).toBe(true);
  });

  it('never hands out the old bundle once a source no longer builds or is gone (the CLI then runs through tsx)', async () => {
    await ensureBundle(spec);
    await source('dep.ts', "export const value: string = 'three\n");
    expect(currentBundle(spec)).toBeNull();
    await expect(ensureBundle(spec)).rejects.toThrow(/Unterminated string literal/);

    // Back to the bytes it was built from: that bundle is current again.
    await source('dep.ts', "export const value: string = 'one';\nexport const depHere = import.meta.url;\n");
    expect(currentBundle(spec)).not.toBeNull();
    await unlink(path.join(root, 'dep.ts'));
    expect(currentBundle(spec)).toBeNull();
    await expect(ensureBundle(spec)).rejects.toThrow(/Could not resolve "\.\/dep"/);
  });

  it('gives each source its own import.meta.url, as when it runs unbundled', async () => {
    const module = await load((await ensureBundle(spec)).entryUrl);
    expect(module.here).toBe(pathToFileURL(path.join(root, 'main.ts')).href);
    expect(module.depHere).toBe(pathToFileURL(path.join(root, 'dep.ts')).href);
  });

  it('leaves one complete bundle and no temporary files when several processes build at once', async () => {
    await Promise.all([buildBundle(spec), buildBundle(spec), buildBundle(spec)]);
    const manifest = currentBundle(spec);
    expect(manifest).not.toBeNull();
    const files = await readdir(spec.cacheDir);
    expect(files.filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining([...manifest!.outputs, 'manifest.json']));
    expect((await load(pathToFileURL(path.join(spec.cacheDir, manifest!.entry)).href)).value).toBe('one');
  });
});

describe('tradepilot (bin/tradepilot.mjs)', () => {
  it('runs from a bundle of the current sources', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    const manifest = currentBundle(CLI_BUNDLE);
    expect(manifest).not.toBeNull();
    expect(Object.keys(manifest!.inputs)).toEqual(expect.arrayContaining(['cli/main.ts', 'cli/import.ts', 'engine/ingest/import/importer.ts', 'tsconfig.json', 'bin/bundle.mjs']));
  });
});
