/**
 * The CLI as one prebuilt ES-module bundle, built on demand and never stale.
 *
 * Running the TypeScript through tsx's loader costs every command a second V8 isolate (Node
 * 20 runs loader hooks on their own thread) and an esbuild transform per module: ~30 MB of
 * resident memory and ~150 ms of start-up. So the CLI runs from a bundle of cli/main.ts (our
 * code only; packages stay external and load from node_modules as before), kept in
 * node_modules/.cache/tradepilot/cli/ and rebuilt, by the command that finds it stale, with
 * the esbuild that tsx brings.
 *
 * Stale means: the bytes of any file that went into the bundle (each source, tsconfig.json,
 * package.json, this file) differ from the bytes that were bundled. Every run hashes them all
 * (a few ms), so an edited, reverted, checked-out or deleted source is noticed whatever its
 * mtime says. The hashes are taken from the very bytes esbuild compiled (the plugin below
 * reads the sources for it), so an edit made while a build runs makes the next run rebuild.
 *
 * Several processes may build at once (the test suite spawns many CLIs): outputs are named by
 * content and written to a temporary name then renamed, and the manifest naming the entry is
 * renamed into place last, so a reader sees a complete bundle or none. Files no manifest
 * names are removed a day later, not at once: a running process may still import its chunks.
 *
 * When the bundle cannot be had (no esbuild, a read-only node_modules, a build error) the CLI
 * runs through tsx as before; a source that does not compile then fails there with tsx's
 * message.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Bump when the layout of the bundle or the manifest changes. */
const FORMAT = 1;
const MANIFEST = 'manifest.json';
/** Files no manifest names are deleted once they are this old. */
const UNUSED_TTL_MS = 24 * 60 * 60 * 1000;
const SOURCE_LOADERS = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.tsx': 'tsx', '.js': 'js', '.mjs': 'js', '.cjs': 'js', '.json': 'json' };

/** The repository root (this file is bin/bundle.mjs). */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Where the CLI's bundle lives, and what it is built from (paths relative to `root`). */
export const CLI_BUNDLE = {
  root: ROOT,
  entry: 'cli/main.ts',
  cacheDir: path.join(ROOT, 'node_modules', '.cache', 'tradepilot', 'cli'),
  /** Files that shape the output without being imported. */
  extraInputs: ['tsconfig.json', 'package.json', 'bin/bundle.mjs'],
};

/**
 * The CLI module (`cli/main.ts`'s exports): from the bundle, built first if it is missing or
 * stale; through tsx when no bundle can be had.
 */
export async function loadCli() {
  let entryUrl = null;
  try {
    entryUrl = (await ensureBundle(CLI_BUNDLE)).entryUrl;
  } catch {
    // Falls back to tsx below: slower and heavier, but it runs the same sources.
  }
  if (entryUrl) {
    // Stack traces (--verbose, logged errors) then name the .ts sources, as under tsx.
    process.setSourceMapsEnabled(true);
    return import(entryUrl);
  }
  const { register } = await import('tsx/esm/api');
  register();
  return import('../cli/main.ts');
}

/**
 * The bundle of `spec.entry`, built into `spec.cacheDir` unless one built from exactly the
 * current files is there. `built` tells which. Throws when esbuild is missing or fails.
 */
export async function ensureBundle(spec) {
  const current = currentBundle(spec);
  if (current) return { entryUrl: entryUrlOf(spec, current), built: false };
  const manifest = await buildBundle(spec);
  return { entryUrl: entryUrlOf(spec, manifest), built: true };
}

/** The manifest in `spec.cacheDir` if every file it was built from still has the bytes it had; else null. */
export function currentBundle(spec) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(path.join(spec.cacheDir, MANIFEST), 'utf8'));
  } catch {
    return null;
  }
  if (manifest?.format !== FORMAT || manifest.entrySource !== spec.entry || typeof manifest.inputs !== 'object') return null;
  if (manifest.esbuild !== esbuildVersion() || !Array.isArray(manifest.outputs)) return null;
  for (const file of manifest.outputs) {
    try {
      statSync(path.join(spec.cacheDir, file));
    } catch {
      return null;
    }
  }
  for (const [file, hash] of Object.entries(manifest.inputs)) {
    let bytes;
    try {
      bytes = readFileSync(path.join(spec.root, file));
    } catch {
      return null;
    }
    if (sha1(bytes) !== hash) return null;
  }
  return manifest;
}

/** Builds the bundle and writes it with its manifest (see the top of this file); returns the manifest. */
export async function buildBundle(spec) {
  const esbuild = loadEsbuild();
  const inputs = {};
  // Hashed before the build: if one changes meanwhile, the next run sees the change.
  for (const file of spec.extraInputs ?? []) inputs[file] = sha1(readFileSync(path.join(spec.root, file)));
  const result = await esbuild.build({
    absWorkingDir: spec.root,
    entryPoints: { main: spec.entry },
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    outdir: spec.cacheDir,
    bundle: true,
    // Each dynamic import() stays a chunk of its own, loaded when reached: `import` does not
    // load what `start` needs, as with tsx.
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    metafile: true,
    write: false,
    logLevel: 'silent',
    plugins: [sourcesPlugin(spec.root, inputs)],
  });
  // A file esbuild loaded itself (an asset type the plugin leaves alone) is hashed now.
  for (const file of Object.keys(result.metafile.inputs)) {
    if (!(file in inputs)) inputs[file] = sha1(readFileSync(path.join(spec.root, file)));
  }
  const entry = Object.entries(result.metafile.outputs).find(([, output]) => output.entryPoint === spec.entry)?.[0];
  if (!entry) throw new Error(`esbuild produced no output for ${spec.entry}`);

  mkdirSync(spec.cacheDir, { recursive: true });
  const written = new Set([MANIFEST]);
  for (const file of result.outputFiles) {
    writeAtomically(file.path, file.contents);
    written.add(path.basename(file.path));
  }
  const outputs = [...written].filter((name) => name !== MANIFEST);
  const manifest = { format: FORMAT, esbuild: esbuild.version, entrySource: spec.entry, entry: path.basename(entry), outputs, inputs };
  writeAtomically(path.join(spec.cacheDir, MANIFEST), JSON.stringify(manifest, null, 1));
  removeUnused(spec.cacheDir, written);
  return manifest;
}

function entryUrlOf(spec, manifest) {
  return pathToFileURL(path.join(spec.cacheDir, manifest.entry)).href;
}

/**
 * Loads every source under `root` (outside node_modules) for esbuild, hashing the bytes it
 * hands over. `import.meta.url` (and `.dirname`, `.filename`) becomes the source's own
 * location: the bundle lives elsewhere, and code such as db/postgres/client.ts finds files
 * beside its source through it.
 */
function sourcesPlugin(root, inputs) {
  return {
    name: 'tradepilot-sources',
    setup(build) {
      build.onLoad({ filter: /\.(?:[cm]?[jt]s|tsx|json)$/ }, (args) => {
        const relative = path.relative(root, args.path);
        if (relative.startsWith('..') || path.isAbsolute(relative) || relative.split(path.sep).includes('node_modules')) return undefined;
        const bytes = readFileSync(args.path);
        inputs[relative.split(path.sep).join('/')] = sha1(bytes);
        let contents = bytes.toString('utf8');
        if (contents.includes('import.meta.')) {
          const values = { url: pathToFileURL(args.path).href, dirname: path.dirname(args.path), filename: args.path };
          contents = contents.replace(/\bimport\.meta\.(url|dirname|filename)\b/g, (_, key) => JSON.stringify(values[key]));
        }
        return { contents, loader: SOURCE_LOADERS[path.extname(args.path)] };
      });
    },
  };
}

/** tsx's own esbuild: tsx is a dependency, so it is there wherever the CLI is installed. */
function loadEsbuild() {
  return createRequire(tsxRequire().resolve('esbuild'))('esbuild');
}

function esbuildVersion() {
  try {
    const packageJson = path.join(path.dirname(path.dirname(tsxRequire().resolve('esbuild'))), 'package.json');
    return JSON.parse(readFileSync(packageJson, 'utf8')).version;
  } catch {
    return null;
  }
}

function tsxRequire() {
  return createRequire(createRequire(import.meta.url).resolve('tsx/package.json'));
}

function sha1(bytes) {
  return createHash('sha1').update(bytes).digest('hex');
}

/** Writes `file` under a temporary name and renames it into place: readers never see half a file. */
function writeAtomically(file, contents) {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, file);
}

function removeUnused(dir, keep) {
  const now = Date.now();
  for (const name of readdirSync(dir)) {
    if (keep.has(name)) continue;
    const file = path.join(dir, name);
    try {
      if (now - statSync(file).mtimeMs > UNUSED_TTL_MS) rmSync(file, { force: true });
    } catch {
      // Removed by another process meanwhile.
    }
  }
}
