import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runProcess, type ProcessResult } from '../server/helpers.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const SHARDS = "GB('ShardsIDReader').run()";

/** `rxgears` with only these RXGEARS_* variables set (none inherited from the machine running the tests). */
const rxgears = (args: string[], env: Record<string, string>, input?: string): Promise<ProcessResult> => {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RXGEARS_')));
  return runProcess(process.execPath, [join(root, 'bin/rxgears.js'), ...args], {
    env: { ...clean, ...env },
    ...(input !== undefined ? { input } : {}),
  });
};

describe('rxgears options from the environment', { timeout: 90_000 }, () => {
  it('--version prints the package version', async () => {
    const { version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
    const result = await rxgears(['--version'], {});
    expect(result).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('takes RXGEARS_SHARDS when --shards is not given, and --shards over it', async () => {
    const fromEnv = await rxgears(['exec', '-'], { RXGEARS_SHARDS: '3' }, SHARDS);
    expect(fromEnv.stderr).toBe('');
    expect(fromEnv.stdout.trim().split('\n')).toHaveLength(3);
    const fromFlag = await rxgears(['exec', '-', '--shards', '2'], { RXGEARS_SHARDS: '3' }, SHARDS);
    expect(fromFlag.stdout.trim().split('\n')).toHaveLength(2);
  });

  it('names the variable when its value is wrong, in one line, exit code 1', async () => {
    const result = await rxgears(['exec', '-'], { RXGEARS_SHARDS: 'many' }, SHARDS);
    expect(result).toMatchObject({
      code: 1,
      stdout: '',
      stderr: "rxgears: RXGEARS_SHARDS must be an integer from 1 to 16384, got 'many'\n",
    });
  });
});
