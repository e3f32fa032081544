#!/usr/bin/env node
// The rxgears command. rxgears ships TypeScript source, so this shim registers tsx's loader in this process
// (no second process: signals and exit codes stay simple) and hands the arguments to lib/cli/main.ts.
/* global process */
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../lib/cli/main.ts');
await main(process.argv.slice(2));
