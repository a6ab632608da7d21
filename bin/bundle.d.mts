/** Types of bundle.mjs (plain JavaScript: it runs before any TypeScript loader exists). */

export interface BundleSpec {
  /** Directory the paths below are relative to. */
  root: string;
  /** The entry module, relative to `root`. */
  entry: string;
  /** Where the bundle and its manifest are written. */
  cacheDir: string;
  /** Files that shape the output without being imported, relative to `root`. */
  extraInputs?: string[];
}

export interface BundleManifest {
  format: number;
  esbuild: string;
  entrySource: string;
  /** The entry's output file name, in the cache directory. */
  entry: string;
  outputs: string[];
  /** sha1 of every file the bundle was built from, by path relative to the root. */
  inputs: Record<string, string>;
}

export const ROOT: string;
export const CLI_BUNDLE: Required<BundleSpec>;

export function loadCli(): Promise<{ main(argv: string[]): Promise<number> }>;
export function ensureBundle(spec: BundleSpec): Promise<{ entryUrl: string; built: boolean }>;
export function currentBundle(spec: BundleSpec): BundleManifest | null;
export function buildBundle(spec: BundleSpec): Promise<BundleManifest>;
