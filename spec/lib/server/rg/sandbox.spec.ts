import { Console } from 'node:console';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connect, type Gears } from '../../../../lib/index.ts';
import { runScript } from '../../../../lib/server/rg/sandbox.ts';

describe('runScript', () => {
  let gears: Gears;

  beforeAll(async () => {
    gears = await connect({ shards: 2 });
    await gears.execute('SET', 'a', '1');
    await gears.execute('SET', 'b', '2');
  });
  afterAll(async () => {
    await gears?.close();
  });

  it('lets the last builder action decide the outcome', async () => {
    const outcome = await runScript(gears, "GB().count().run(); GB().map(r => r.key).run('a')");
    expect(outcome).toEqual({ kind: 'run', result: { results: ['a'], errors: [] }, registrations: [] });
  });

  it('waits for actions started by other actions', async () => {
    const outcome = await runScript(gears, "GB().count().run().then(() => GB().map(r => r.value).run('b'))");
    expect(outcome).toEqual({ kind: 'run', result: { results: ['2'], errors: [] }, registrations: [] });
  });

  it('makes every run unblocking when asked, resolving with the execution id', async () => {
    const outcome = await runScript(gears, 'GB().run()', { unblocking: true });
    expect(outcome).toEqual({
      kind: 'unblocking',
      executionId: expect.stringMatching(/^[0-9a-f]{40}-\d+$/) as unknown,
      registrations: [],
    });
  });

  it('keeps a run the script itself makes unblocking unblocking: its id, and nothing dropped', async () => {
    const outcome = await runScript(gears, "GB().map((r) => r.key).run('a', { unblocking: true })");
    expect(outcome.kind).toBe('unblocking');
    if (outcome.kind !== 'unblocking') return;
    expect(await gears.getResultsBlocking(outcome.executionId)).toEqual({ results: ['a'], errors: [] });
    gears.dropExecution(outcome.executionId);
  });

  it('reports no action for a script that only defines things', async () => {
    expect(await runScript(gears, 'function helper() { return 1 }')).toEqual({ kind: 'none', registrations: [] });
  });

  it('rejects with the script’s own error when it throws after starting a failing action', async () => {
    await expect(runScript(gears, "GB().run('*', { bogus: 1 }); throw new RangeError('first')")).rejects.toThrow(
      'first',
    );
  });

  it('rejects with the first failed action', async () => {
    await expect(runScript(gears, "GB().run('*', { bogus: true })")).rejects.toThrow(/unknown option 'bogus'/);
  });

  it('logs errors thrown by timer callbacks instead of crashing', async () => {
    const stream = new PassThrough();
    let logged = '';
    stream.on('data', (d: Buffer) => (logged += d.toString()));
    const log = new Console({ stdout: stream, stderr: stream });
    await runScript(gears, "setTimeout(() => { throw new Error('late') }, 0)", { console: log });
    await vi.waitFor(() => expect(logged).toContain('Error: late'));
  });

  it('strips TypeScript types, generics included', async () => {
    const outcome = await runScript(
      gears,
      "function first<T>(xs: T[]): T | undefined { return xs[0] }\nGB().map((r): string => first([r.key])!).run('a')",
    );
    expect(outcome).toEqual({ kind: 'run', result: { results: ['a'], errors: [] }, registrations: [] });
  });

  it('lists every registration the script made, whatever its last action', async () => {
    const outcome = await runScript(
      gears,
      "GB().register('listed:a:*'); GB().register('listed:b:*'); GB().count().run('a')",
    );
    expect(outcome).toEqual({
      kind: 'run',
      result: { results: [1], errors: [] },
      registrations: [expect.any(String), expect.any(String)],
    });
    const ids = gears.dumpRegistrations().map((r) => r.id);
    expect(ids).toEqual(expect.arrayContaining(outcome.registrations));
    for (const id of outcome.registrations) gears.unregister(id);
  });

  it('unregisters what a failing script registered: all of its gears or none', async () => {
    const before = gears.dumpRegistrations().length;
    await expect(
      runScript(gears, "GB().register('rolled:a:*'); GB().register('rolled:b:*'); nosuchfunction()"),
    ).rejects.toThrow('nosuchfunction is not defined');
    await expect(runScript(gears, "GB().register('rolled:c:*'); GB().run('*', { bogus: 1 })")).rejects.toThrow(
      /unknown option 'bogus'/,
    );
    expect(gears.dumpRegistrations()).toHaveLength(before);
  });

  it('calls beforeRun once the source compiled, and not for a syntax error', async () => {
    const calls: string[] = [];
    await runScript(gears, "GB().count().run('a')", { beforeRun: () => calls.push('compiled') });
    await expect(runScript(gears, 'GB(', { beforeRun: () => calls.push('broken') })).rejects.toThrow(SyntaxError);
    expect(calls).toEqual(['compiled']);
  });

  it('names the line of a syntax error', async () => {
    await expect(runScript(gears, 'const ok = 1;\nGB().map(r => r.key).run(')).rejects.toThrow(
      'Unexpected end of input (line 2)',
    );
    await expect(runScript(gears, 'const ok = 1;\nlet x = ;')).rejects.toThrow("Unexpected token ';' (line 2)");
    // TypeScript: V8 would blame the annotation; the TypeScript parser's place is the one reported.
    await expect(runScript(gears, 'const ok = 1;\n\nlet x: number = ;')).rejects.toThrow(
      new SyntaxError('Unexpected token (line 3)'),
    );
  });

  it('gives scripts the runtime, console, timers and web globals; no require, process, Buffer or module', async () => {
    const expected: Record<string, string> = {
      GB: 'function',
      execute: 'function',
      atomic: 'function',
      log: 'function',
      configGet: 'function',
      hashtag: 'function',
      callNext: 'function',
      setTimeout: 'function',
      setInterval: 'function',
      setImmediate: 'function',
      queueMicrotask: 'function',
      structuredClone: 'function',
      TextEncoder: 'function',
      URL: 'function',
      console: 'object',
      performance: 'object',
      Math: 'object',
      JSON: 'object',
      require: 'undefined',
      process: 'undefined',
      Buffer: 'undefined',
      module: 'undefined',
    };
    const names = JSON.stringify(Object.keys(expected));
    const outcome = await runScript(
      gears,
      `GB('ShardsIDReader').map(() => Object.fromEntries(${names}.map((n) => [n, typeof globalThis[n]]))).run()`,
    );
    expect(outcome.kind === 'run' && outcome.result.results).toEqual([expected, expected]);
  });

  it('gives each script globals of its own: one deployment cannot see or change another’s', async () => {
    await runScript(gears, "globalThis.shared = 'first'; var declared = 1");
    const outcome = await runScript(gears, "GB('ShardsIDReader').map(() => typeof shared + typeof declared).run()");
    expect(outcome.kind === 'run' && outcome.result.results).toEqual(['undefinedundefined', 'undefinedundefined']);
  });

  it('library closures share one state across shards (the Differences table): only source text is per shard', async () => {
    let c = 0;
    const { results } = await gears
      .GB('ShardsIDReader')
      .map(() => ++c)
      .run();
    expect([...results].sort()).toEqual([1, 2]);
  });
});
