#!/usr/bin/env node
// The rxgears command. An installed package runs the compiled CLI in dist/. A git checkout runs dist/ while it
// is at least as new as the sources, and otherwise the TypeScript sources through tsx (a dev dependency),
// registered in this process — no build step before the first run, and never a stale build.
/* global process, URL */
import { existsSync, readdirSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const built = new URL('dist/lib/cli/main.js', root);

/** The newest modification time of the .ts sources under the given folders of the checkout. */
function newestSource(folders) {
  let newest = 0;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = new URL(entry.name + (entry.isDirectory() ? '/' : ''), dir);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const folder of folders) walk(new URL(folder, root));
  return newest;
}

const checkout = existsSync(new URL('.git', root));
const fresh =
  existsSync(built) && (!checkout || statSync(built).mtimeMs >= newestSource(['lib/', 'operators/', 'readers/']));
let main;
if (fresh) {
  ({ main } = await import(built.href));
} else if (checkout) {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write('rxgears: this checkout has no build and no tsx: run npm install (or npm run build)\n');
    process.exit(1);
  }
  register();
  ({ main } = await import('../lib/cli/main.ts'));
} else {
  process.stderr.write('rxgears: dist/ is missing from this installation; reinstall the rxgears package\n');
  process.exit(1);
}
await main(process.argv.slice(2));
