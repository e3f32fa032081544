/**
 * The rxgears the benchmarks measure: by default the compiled package in dist/ — what `import 'rxgears'` gives
 * a user (`npm run bench` builds it first) — and with `BENCH_SOURCE=1` the TypeScript source through tsx.
 * The two differ: tsx compiles with esbuild's `keepNames`, which wraps every function expression in a
 * `__name(fn, 'name')` call, so each closure an execution creates costs a `defineProperty` more; on the
 * keyspace-event path (closures per execution) that measured 20–35% of the time per event.
 */
import type * as Rxgears from '../lib/index.ts';

export const fromSource = process.env.BENCH_SOURCE === '1';

// A computed specifier: dist/ is a build output, absent from a fresh checkout until `npm run build`.
const compiled = '../dist/lib/index.js';

async function load(): Promise<typeof Rxgears> {
  if (fromSource) return import('../lib/index.ts');
  try {
    return (await import(compiled)) as typeof Rxgears;
  } catch (error) {
    throw new Error(`bench: cannot load the compiled package (${compiled}); run \`npm run build\` first`, {
      cause: error,
    });
  }
}

export const { connect } = await load();
