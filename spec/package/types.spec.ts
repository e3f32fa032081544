// What a TypeScript user of the published package compiles against: the .d.ts files of dist/ that `npm run build`
// writes (with `stripInternal`), imported by name from a project of its own, checked with `skipLibCheck: false` so
// a declaration that names something the build stripped (an `implements` clause, a parameter type) fails here.
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess } from '../lib/server/helpers.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** README's examples, as a consumer types them; `@ts-expect-error` marks what must not be public. */
const CONSUMER = `
import { Redis } from 'ioredis';
import { connect, execute, atomic, log, GearsError, type Gears, type RunResult, type KeysRecord } from 'rxgears';
import { countBy, map } from 'rxgears/operators';
import { keysReader, READER_NAMES } from 'rxgears/readers';
import { assertShardInvariant, redisDataSet } from 'rxgears/testing';
import { createServer, RespClient } from 'rxgears/server';
import { metricsOf } from 'rxgears/metrics';
import { serveHttp } from 'rxgears/http';

const gears: Gears = await connect({ redis: new Redis(), shards: 3 });
const { GB } = gears;
await gears.execute('HSET', 'person:1', 'name', 'Rick Sanchez', 'age', 70);
const ages: RunResult<number> = await GB().map((r: KeysRecord) => Number((r.value as Record<string, string>).age)).run('person:*');
await GB().map((r) => r.key).countBy((k) => k.length).run('person:*', { collect: false });
await GB('StreamReader').foreach((r) => log(r.key)).register({ prefix: 's:*', mode: 'async' });
await GB().foreach(async (r) => { await atomic(() => execute('INCR', r.key)); }).run();
const hooked = await gears.runHook('SET', ['k', 'v'], { inTransaction: true, call: async () => 'OK' });
gears.infoCluster().shards.map((s) => s.slots);
await assertShardInvariant((G) => G().countBy((r) => r.type), redisDataSet({ types: ['hash'] }), { topologies: [1, 3] });
const server = await createServer(gears, { port: 0 });
const client = await RespClient.connect('redis://127.0.0.1:' + server.port);
const http = await serveHttp(gears, { port: 0 });
await metricsOf(gears).registry.metrics();
void [ages, hooked, client, http, countBy, map, keysReader, READER_NAMES, GearsError];

// The engine's internals stay out of the published types.
// @ts-expect-error internal
await gears.executeOn(undefined, 'PING', []);
// @ts-expect-error internal
await gears.settleSync();
// @ts-expect-error internal
gears.logFrom(undefined, 'warning', 'x');
// @ts-expect-error internal
gears.isHooked('SET');
`;

describe('the published types as a TypeScript consumer sees them', { timeout: 120_000 }, () => {
  let project: string;

  beforeAll(async () => {
    project = await mkdtemp(join(tmpdir(), 'rxgears-types-'));
    await mkdir(join(project, 'node_modules'));
    // rxgears by name is this checkout (its dist/); its own dependencies resolve from its node_modules.
    await symlink(root, join(project, 'node_modules', 'rxgears'));
    for (const dep of ['ioredis', '@types'])
      await symlink(join(root, 'node_modules', dep), join(project, 'node_modules', dep));
    await writeFile(join(project, 'package.json'), JSON.stringify({ type: 'module' }));
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          lib: ['ES2023'], // as the package's own tsconfig: no DOM (half the time of the check)
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
        },
        files: ['consumer.ts'],
      }),
    );
    await writeFile(join(project, 'consumer.ts'), CONSUMER);
  });

  afterAll(async () => {
    await rm(project, { recursive: true, force: true });
  });

  it('compile README usage of every export, with the internals left out', async () => {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await runProcess(process.execPath, [tsc, '-p', project], { cwd: project });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
