import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Embedded mode only: a secret the operator did not configure is generated once and kept in
 * DATA_DIR with owner-only permissions, so restarts keep encrypted data readable and the
 * operator key stable. The value is never printed; the path is.
 */
export async function localSecret(dataDir: string, name: string, generate: () => string): Promise<{ value: string; path: string; created: boolean }> {
  const dir = join(dataDir, 'secrets');
  const path = join(dir, name);
  try {
    const value = (await readFile(path, 'utf8')).trim();
    if (value) return { value, path, created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const value = generate();
  await writeFile(path, `${value}\n`, { mode: 0o600, flag: 'wx' }).catch(async (error: NodeJS.ErrnoException) => {
    // Another process created it first: use theirs.
    if (error.code !== 'EEXIST') throw error;
  });
  return { value: (await readFile(path, 'utf8')).trim(), path, created: true };
}

export const generateHexKey = () => randomBytes(32).toString('hex');
export const generateApiKey = () => `tpk_${randomBytes(24).toString('base64url')}`;
