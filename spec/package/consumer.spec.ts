// What a user of the published package gets: plain Node (no TypeScript loader) importing rxgears by name, from
// the compiled dist/ that `npm run build` writes (run before `npm test` and `npm pack`).
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runProcess } from '../lib/server/helpers.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const EXPORTS = [
  'rxgears',
  'rxgears/operators',
  'rxgears/readers',
  'rxgears/testing',
  'rxgears/server',
  'rxgears/metrics',
  'rxgears/http',
];

/** Runs an ES module in a plain `node` (no --import tsx), from the package root so `rxgears` resolves to it. */
const node = (source: string) => runProcess(process.execPath, ['--input-type=module', '-e', source], { cwd: root });

describe('the package as a plain Node consumer sees it', { timeout: 60_000 }, () => {
  it('imports every export by name and runs a gear on the embedded store', async () => {
    const result = await node(`
      ${EXPORTS.map((name, i) => `import * as m${i} from '${name}';`).join('\n')}
      const { connect } = m0;
      const gears = await connect({ shards: 3 });
      for (const [i, [name, age]] of [['Rick Sanchez', 70], ['Morty Smith', 14], ['Summer Smith', 17]].entries())
        await gears.execute('HSET', 'person:' + i, 'name', name, 'age', age);
      const { results, errors } = await gears.GB()
        .map((r) => r.value.name.split(' ')[1])
        .countBy((family) => family)
        .run('person:*');
      await gears.close();
      const exported = [m0, m1, m2, m3, m4, m5, m6].map((m) => Object.keys(m).length > 0);
      console.log(JSON.stringify({ results: results.sort((a, b) => a.key.localeCompare(b.key)), errors, exported }));
    `);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({
      results: [
        { key: 'Sanchez', value: 1 },
        { key: 'Smith', value: 2 },
      ],
      errors: [],
      exported: EXPORTS.map(() => true),
    });
  });

  it('ships type declarations where package.json points', async () => {
    const pkg = (await import('../../package.json', { with: { type: 'json' } })).default as {
      exports: Record<string, { types: string; default: string } | string>;
    };
    const modules = Object.entries(pkg.exports).filter(
      (entry): entry is [string, { types: string; default: string }] => typeof entry[1] === 'object',
    );
    for (const [, target] of modules) {
      await expect(access(join(root, target.types))).resolves.toBeUndefined();
      await expect(access(join(root, target.default))).resolves.toBeUndefined();
    }
    expect(modules.map(([k]) => k.replace('.', 'rxgears'))).toEqual(EXPORTS);
  });
});
