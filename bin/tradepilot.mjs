#!/usr/bin/env node
// Entry point of the `tradepilot` CLI. The code is TypeScript run through tsx's loader, so a
// clone works without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
