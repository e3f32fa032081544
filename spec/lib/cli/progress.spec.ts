import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { connect } from '../../../lib/index.ts';
import { formatProgress } from '../../../lib/cli/progress.ts';

const run = promisify(execFile);

describe('rxgears exec progress', () => {
  it('formats records read, records out, errors and shards done from a live execution', async () => {
    const gears = await connect({ shards: 3 });
    try {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const id = await gears
        .GB('GeneratorReader')
        .map(async (n: unknown) => {
          if (n === 3) await gate;
          return n;
        })
        .run(() => [1, 2, 3], { unblocking: true });
      await new Promise((resolve) => setImmediate(resolve));
      const [info] = gears.runningExecutions();
      expect(info!.executionId).toBe(id);
      expect(formatProgress(info!)).toMatch(new RegExp(`^${id}  9 read · \\d+ out · 0 errors · \\d/3 shards done$`));
      release();
      await gears.getResultsBlocking(id);
      expect(gears.runningExecutions()).toEqual([]);
    } finally {
      await gears.close();
    }
  });

  it('draws the progress line on a terminal (a pty from script(1)), and the results after it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rxgears-progress-'));
    try {
      const file = join(dir, 'slow.js');
      await writeFile(
        file,
        `GB('GeneratorReader')
          .accumulate(async (sum, n) => { await new Promise((r) => setTimeout(r, 40)); return (sum ?? 0) + n; })
          .run(function* () { for (let i = 1; i <= 25; i++) yield i; })`,
      );
      const { stdout } = await run('script', ['-qfec', `node bin/rxgears.js exec ${file} --shards 1`, '/dev/null'], {
        timeout: 60_000,
      });
      expect(stdout).toMatch(/\d+ read · \d+ out · 0 errors · 0\/1 shards done/);
      expect(stdout.lastIndexOf('325')).toBeGreaterThan(stdout.lastIndexOf(' read · ')); // the result, after the progress
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
