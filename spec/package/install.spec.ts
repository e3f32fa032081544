// The published package as `npm install rxgears ioredis` gives it: `npm pack` of this checkout (the dist/ that
// `npm test` builds first), installed into a fresh project beside ioredis 5 and, separately, ioredis 6, then the
// tutorial run through connect({ redis: client }) with the project's own standalone and Cluster clients.
// npm reads the registry through its cache (--prefer-offline): after the first run no download is needed.
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connect } from '../../lib/index.ts';
import { parseCommandFile } from '../../lib/server/protocol/commandLine.ts';
import { uniquePrefix } from '../support/backends.ts';
import { runProcess } from '../lib/server/helpers.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const npm = (args: string[], cwd: string) =>
  run('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
    cwd,
    maxBuffer: 16 << 20,
  });

/** Dev tools that must not come with an installation of rxgears. */
const DEV_TOOLS = ['tsx', 'esbuild', 'typescript', 'vitest', 'eslint', 'prettier', 'fast-check', 'puppeteer-core'];

/** The tutorial, as a consumer writes it: its own ioredis client, rxgears by name. */
const TUTORIAL = `
import { Redis, Cluster } from 'ioredis';
import { connect } from 'rxgears';
const { KIND, URL: url, PREFIX, COMMANDS } = process.env;
const { hostname, port } = new URL(url);
const client = KIND === 'cluster' ? new Cluster([{ host: hostname, port: Number(port) }]) : new Redis(url);
const gears = await connect({ redis: client });
for (const [command, ...args] of JSON.parse(COMMANDS)) await gears.execute(command, ...args);
const { GB } = gears;
const age = (r) => Number(r.value.age);
const byKey = (run) => ({ ...run, results: run.results.sort((a, b) => (a.key < b.key ? -1 : 1)) });
const out = {
  kind: gears.topology.kind,
  count: await GB().count().run(PREFIX + 'person:*'),
  families: byKey(await GB().countBy((r) => r.value.name.split(' ')[1]).run(PREFIX + 'person:*')),
  older: await GB().filter((r) => age(r) > 35).map((r) => r.key.slice(PREFIX.length)).sort().run(PREFIX + 'person:*'),
  maxAge: await GB().map(age).aggregate(0, (a, x) => Math.max(a, x), (a, x) => Math.max(a, x)).run(PREFIX + 'person:*'),
};
for (const key of (await GB().map((r) => r.key).run(PREFIX + '*')).results) await gears.execute('DEL', key);
await gears.close();
await client.quit();
console.log(JSON.stringify(out));
`;

describe('the packed package installed with the user’s ioredis', { timeout: 300_000 }, () => {
  let work: string;
  let tarball: string;
  let commands: string[][];
  let expected: unknown;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'rxgears-install-'));
    const { stdout } = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], root);
    tarball = join(work, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
    commands = parseCommandFile(await readFile(join(root, 'examples/persons.txt'), 'utf8'));
    // The same tutorial on the embedded store, in this process: what every installation must answer.
    const gears = await connect({ shards: 3 });
    for (const [command, ...args] of commands) await gears.execute(command!, ...args);
    const { GB } = gears;
    const age = (r: { value: unknown }): number => Number((r.value as Record<string, string>).age);
    expected = {
      count: await GB().count().run('person:*'),
      families: await GB()
        .countBy((r) => (r.value as Record<string, string>).name!.split(' ')[1]!)
        .run('person:*')
        .then((run) => ({ ...run, results: run.results.sort((a, b) => (a.key < b.key ? -1 : 1)) })),
      older: await GB()
        .filter((r) => age(r) > 35)
        .map((r) => r.key)
        .sort()
        .run('person:*'),
      maxAge: await GB()
        .map(age)
        .aggregate(
          0,
          (a, x) => Math.max(a, x),
          (a, x) => Math.max(a, x),
        )
        .run('person:*'),
    };
    await gears.close();
  }, 300_000);
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('packs the build, the sources its maps point to, LICENSE and README, and no specs or benchmarks', async () => {
    const { stdout } = await run('tar', ['tzf', tarball]);
    const files = stdout.trim().split('\n');
    for (const file of ['LICENSE', 'README.md', 'package.json', 'bin/rxgears.js', 'dist/lib/index.js']) {
      expect(files).toContain(`package/${file}`);
    }
    expect(files.filter((f) => /^package\/(spec|bench|examples|node_modules|\.git)\//.test(f))).toEqual([]);
  });

  describe.each(['5', '6'])('with ioredis %s', (major) => {
    let project: string;
    beforeAll(async () => {
      project = join(work, `ioredis${major}`);
      await run('mkdir', ['-p', project]);
      await writeFile(
        join(project, 'package.json'),
        JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
      );
      await npm(['install', tarball, `ioredis@${major}`], project);
      await writeFile(join(project, 'tutorial.mjs'), TUTORIAL);
    }, 300_000);

    it('installs one ioredis, the user’s, and no dev tools', async () => {
      const installed = JSON.parse(await readFile(join(project, 'node_modules/ioredis/package.json'), 'utf8')) as {
        version: string;
      };
      expect(installed.version.split('.')[0]).toBe(major);
      await expect(stat(join(project, 'node_modules/rxgears/node_modules/ioredis'))).rejects.toThrow(/ENOENT/);
      const { stdout } = await npm(['ls', '--omit=dev', '--all', '--parseable'], project);
      const names = stdout.split('\n').map((path) => path.replace(/^.*node_modules\//, ''));
      expect(names.filter((name) => DEV_TOOLS.includes(name) || name.startsWith('@esbuild/'))).toEqual([]);
    });

    it.each(['standalone', 'cluster'] as const)('runs the tutorial through its own %s client', async (kind) => {
      const prefix = `${uniquePrefix(`pkg${major}${kind}`)}:`;
      const result = await runProcess(process.execPath, ['tutorial.mjs'], {
        cwd: project,
        env: {
          ...process.env,
          KIND: kind,
          URL: kind === 'cluster' ? inject('clusterUrls')[0]! : inject('redisUrl'),
          PREFIX: prefix,
          COMMANDS: JSON.stringify(commands.map(([c, k, ...rest]) => [c, prefix + k!, ...rest])),
        },
      });
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout)).toEqual({
        kind: kind === 'cluster' ? 'cluster' : 'redis',
        ...(expected as object),
      });
    });

    it('runs a TypeScript gear file with npx rxgears exec', async () => {
      await copyFile(join(root, 'examples/persons.txt'), join(project, 'persons.txt'));
      await writeFile(
        join(project, 'gear.ts'),
        "interface Person { name: string }\nawait execute('HSET', 'p:1', 'name', 'Rick Sanchez');\n" +
          "GB().map((r: { value: Person }): string => r.value.name).run('p:*')\n",
      );
      const result = await runProcess('npx', ['--no-install', 'rxgears', 'exec', 'gear.ts'], { cwd: project });
      expect(result).toMatchObject({ code: 0, stdout: '"Rick Sanchez"\n', stderr: '' });
    });
  });
});
