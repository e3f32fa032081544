#!/usr/bin/env node
// The rxgears command: the compiled CLI in dist/ (`npm run build`, run by `npm install` and before `npm test`),
// or, in a checkout that was never built, the TypeScript source through tsx's loader, registered in this
// process (no second process: signals and exit codes stay simple).
/* global process, URL */
import { existsSync } from 'node:fs';

const built = new URL('../dist/lib/cli/main.js', import.meta.url);
let main;
if (existsSync(built)) {
  ({ main } = await import(built.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../lib/cli/main.ts'));
}
await main(process.argv.slice(2));
