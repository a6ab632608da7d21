// Preloaded with `node --import` (see test/cli/import.test.ts): appends every package an ES
// module of the process imports (bare specifiers, e.g. `zod`, `chdb/connection`) to the file
// named by TP_PACKAGE_LOG, one per line, so a test can see what a command loaded.
import { register } from 'node:module';

register('./package-log-hooks.mjs', import.meta.url, { data: { file: process.env.TP_PACKAGE_LOG } });
