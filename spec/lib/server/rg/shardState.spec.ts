import { PassThrough } from 'node:stream';
import { Console } from 'node:console';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Gears } from '../../../../lib/index.ts';
import { runScript } from '../../../../lib/server/rg/sandbox.ts';
import { allBackends, deleteKeys, uniquePrefix } from '../../../support/backends.ts';
import { recordingLogger } from '../../../support/logger.ts';

/** RedisGears gives every shard its own copy of a script's globals; rxgears evaluates the script once per shard. */
describe.each(allBackends())('per-shard script state on $name', (backend) => {
  let gears: Gears;
  const prefix = uniquePrefix('state');

  beforeAll(async () => {
    gears = await backend.connect();
  });
  afterAll(async () => {
    await deleteKeys(gears, `${prefix}*`);
    for (const { id } of gears.dumpRegistrations()) gears.unregister(id);
    await gears.close();
  });

  it("let c = 0; GB('ShardsIDReader').map(() => ++c) yields 1 on every shard", async () => {
    const outcome = await runScript(gears, "let c = 0; GB('ShardsIDReader').map(() => ++c).run()");
    expect(outcome.kind).toBe('run');
    if (outcome.kind !== 'run') return;
    expect(outcome.result.errors).toEqual([]);
    expect(outcome.result.results).toEqual(Array.from({ length: backend.shards }, () => 1));
  });

  it('a registration keeps each shard’s state between its executions', async () => {
    const trigger = `${prefix}tick`;
    await runScript(gears, `let n = 0; GB('CommandReader').map(() => ++n).register({ trigger: '${trigger}' })`);
    const first = await gears.trigger(trigger);
    const second = await gears.trigger(trigger);
    expect(first).toEqual(Array.from({ length: backend.shards }, () => 1));
    expect(second).toEqual(Array.from({ length: backend.shards }, () => 2));
  });

  it('the top level runs its effects once: one INCR, one console line, one reply', async () => {
    const key = `${prefix}{top}:count`;
    const stream = new PassThrough();
    let printed = '';
    stream.on('data', (d: Buffer) => (printed += d.toString()));
    const outcome = await runScript(
      gears,
      `let c = 0; log('top level', 'debug'); const n = await execute('INCR', '${key}'); console.log('top', n);
       GB('ShardsIDReader').map(() => ++c + n).run()`,
      { console: new Console({ stdout: stream, stderr: stream }) },
    );
    expect(await gears.execute('GET', key)).toBe('1');
    expect(printed).toBe('top 1\n');
    // Every copy got the primary's answer (1), not its own INCR, and kept its own c.
    expect(outcome.kind === 'run' && outcome.result.results).toEqual(Array.from({ length: backend.shards }, () => 2));
  });

  it('a script that awaits a run before building its next gear still gets per-shard state', async () => {
    const outcome = await runScript(
      gears,
      `let c = 0;
       const first = await GB('ShardsIDReader').map(() => ++c).run();
       GB('ShardsIDReader').map(() => ++c + first.results.length).run()`,
    );
    expect(outcome.kind === 'run' && outcome.result.results).toEqual(
      Array.from({ length: backend.shards }, () => 2 + backend.shards),
    );
  });
});

describe('a script whose top level depends on the shard', () => {
  let gears: Gears;
  const log = recordingLogger();
  const warnings = (): string[] => log.messages('warn');

  beforeAll(async () => {
    gears = await connect({ shards: 3, logger: log.logger });
  });
  afterAll(() => gears.close());

  /** The initiator's hashtag: what the script's real (primary) top level sees. */
  async function initiatorTag(): Promise<string> {
    await runScript(gears, "execute('SET', 'tag', hashtag())");
    return String(await gears.execute('GET', 'tag'));
  }

  it('runs a gear built differently on another shard with the initiator’s callbacks, and warns', async () => {
    log.entries.length = 0;
    const tag = await initiatorTag();
    const outcome = await runScript(
      gears,
      `(hashtag() === '${tag}'
         ? GB('ShardsIDReader').map(() => 'initiator')
         : GB('ShardsIDReader').filter(() => true).map(() => 'copy')).run()`,
    );
    expect(outcome.kind === 'run' && outcome.result.results).toEqual(['initiator', 'initiator', 'initiator']);
    expect(warnings()).toHaveLength(2);
    expect(warnings()[0]).toMatch(/did not build the same gear on shard [0-9a-f]{40}/);
  });

  it('does not wait for ever on a copy that never gets to the gear', async () => {
    log.entries.length = 0;
    const tag = await initiatorTag();
    const outcome = await runScript(
      gears,
      `if (hashtag() !== '${tag}') await new Promise(() => {});
       let c = 0; GB('ShardsIDReader').map(() => ++c).run()`,
    );
    // One closure for the three shards: the state is shared, as with a library closure.
    expect(outcome.kind === 'run' && [...outcome.result.results].sort()).toEqual([1, 2, 3]);
    expect(warnings()).toHaveLength(2);
  });
});
