// Module resolution hooks for package-log.mjs; they run on the loader's own thread.
import { appendFileSync } from 'node:fs';

let file;

export function initialize(data) {
  file = data.file;
}

export async function resolve(specifier, context, next) {
  const bare = !/^(?:\.|\/|node:|file:|data:)/.test(specifier);
  if (bare && file) appendFileSync(file, `${specifier}\n`);
  return next(specifier, context);
}
