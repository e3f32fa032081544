import { Redis } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import { useEmbeddedServer } from '../helpers.ts';

/**
 * Named deployments (RedisGears' sessions) on the embedded store: RG.JSEXECUTE … ID / UPGRADE, RG.UNREGISTER
 * and RG.JSDUMPSESSIONS. Persistence across restarts is in persistence.spec.ts.
 */

/** A CommandReader gear answering `<label> <arg>`: which version of a deployment runs is visible in its reply. */
const greeter = (label: string, trigger = 'greet'): string =>
  `GB('CommandReader').map(([, who]) => '${label} ' + who).register({ trigger: '${trigger}', mode: 'async_local' })`;

type Session = [string, string, string, string | null, string, string | null, string, string[]];

describe('deployments through the server', () => {
  const env = useEmbeddedServer();
  const call = env.call;
  const sessions = async (): Promise<Session[]> => (await call('RG.JSDUMPSESSIONS')) as Session[];
  const session = async (id: string): Promise<Session | undefined> => (await sessions()).find((s) => s[1] === id);
  const registrationIds = async (): Promise<string[]> =>
    ((await call('RG.DUMPREGISTRATIONS')) as string[][]).map((r) => r[1]!);

  it('ID names a deployment; the same ID again without UPGRADE is refused and changes nothing', async () => {
    expect(await call('RG.JSEXECUTE', greeter('hello'), 'ID', 'greeting', 'DESCRIPTION', 'says hello')).toBe('OK');
    const [line] = (await sessions()).filter((s) => s[1] === 'greeting');
    expect(line).toEqual([
      'ID',
      'greeting',
      'sessionDescription',
      'says hello',
      'restoreError',
      null,
      'registrations',
      [expect.stringMatching(/^[0-9a-f]{40}-\d+$/)],
    ]);
    await expect(call('RG.JSEXECUTE', greeter('bonjour'), 'ID', 'greeting')).rejects.toThrow(
      /^Session greeting already exists$/,
    );
    expect(await call('RG.TRIGGER', 'greet', 'Rick')).toEqual(['hello Rick']);
    expect((await session('greeting'))?.[7]).toEqual(line![7]);
  });

  it('UPGRADE replaces the old registrations with the new script’s', async () => {
    const [oldId] = (await session('greeting'))![7];
    expect(await call('RG.JSEXECUTE', greeter('bonjour'), 'ID', 'greeting', 'UPGRADE')).toBe('OK');
    expect(await call('RG.TRIGGER', 'greet', 'Rick')).toEqual(['bonjour Rick']);
    const [newId] = (await session('greeting'))![7];
    expect(newId).not.toBe(oldId);
    const ids = await registrationIds();
    expect(ids).toContain(newId);
    expect(ids).not.toContain(oldId);
  });

  it('UPGRADE of an ID that does not exist simply deploys', async () => {
    expect(await call('RG.JSEXECUTE', greeter('hi', 'fresh'), 'ID', 'fresh', 'UPGRADE')).toBe('OK');
    expect(await call('RG.TRIGGER', 'fresh', 'Morty')).toEqual(['hi Morty']);
  });

  it('a failed upgrade keeps the old deployment: syntax error, builder error, a throw after registering', async () => {
    const failures: [string, RegExp][] = [
      ["GB('CommandReader').map(", /^SyntaxError: /],
      ["GB('CommandReader').map(42).register({ trigger: 'greet' })", /map argument must be a function/],
      [`${greeter('hola')}; throw new Error('half-way')`, /^Error: half-way$/],
      [`${greeter('hola')}; GB().register('x:*', { mode: 'bogus' })`, /mode/],
    ];
    for (const [script, error] of failures) {
      await expect(call('RG.JSEXECUTE', script, 'ID', 'greeting', 'UPGRADE')).rejects.toThrow(error);
      expect(await call('RG.TRIGGER', 'greet', 'Summer')).toEqual(['bonjour Summer']);
      const line = await session('greeting');
      expect(line?.[7]).toHaveLength(1);
      expect(line?.[5]).toBeNull();
    }
    // Nothing of the failed scripts stayed registered.
    const triggers = (env.gears.dumpRegistrations() as { args: { trigger?: string } }[]).map((r) => r.args.trigger);
    expect(triggers.filter((t) => t === 'greet')).toHaveLength(1);
  });

  it('a script that fails registers nothing, with or without an ID', async () => {
    const before = await registrationIds();
    await expect(call('RG.JSEXECUTE', `${greeter('x', 'broken')}; nosuch()`)).rejects.toThrow(
      'ReferenceError: nosuch is not defined',
    );
    await expect(call('RG.JSEXECUTE', `${greeter('x', 'broken')}; nosuch()`, 'ID', 'broken')).rejects.toThrow(
      'ReferenceError',
    );
    expect(await registrationIds()).toEqual(before);
    expect(await session('broken')).toBeUndefined();
    await expect(call('RG.TRIGGER', 'broken')).rejects.toThrow("unknown trigger 'broken'");
  });

  it('a script that registers nothing is no deployment, even with an ID', async () => {
    expect(await call('RG.JSEXECUTE', "GB().count().run('nothing:*')", 'ID', 'batch')).toEqual([[0], []]);
    expect(await session('batch')).toBeUndefined();
  });

  it('without ID a registering script still becomes a deployment, with a generated id', async () => {
    const before = new Set((await sessions()).map((s) => s[1]));
    expect(await call('RG.JSEXECUTE', greeter('anon', 'anonymous'))).toBe('OK');
    const added = (await sessions()).filter((s) => !before.has(s[1]));
    expect(added.map((s) => s[1])).toEqual([expect.stringMatching(/^[0-9a-f-]{36}$/)]);
  });

  it('RG.UNREGISTER of its last registration forgets the deployment; of a deployment id, all of it', async () => {
    const two = `${greeter('one', 'one')}; ${greeter('two', 'two')}`;
    expect(await call('RG.JSEXECUTE', two, 'ID', 'pair')).toBe('OK');
    const [first, second] = (await session('pair'))![7];
    expect(await call('RG.UNREGISTER', first!)).toBe('OK');
    expect((await session('pair'))?.[7]).toEqual([second]);
    expect(await call('RG.UNREGISTER', second!)).toBe('OK');
    expect(await session('pair')).toBeUndefined();

    expect(await call('RG.JSEXECUTE', two, 'ID', 'pair')).toBe('OK');
    const ids = (await session('pair'))![7];
    expect(await call('RG.UNREGISTER', 'pair')).toBe('OK');
    expect(await session('pair')).toBeUndefined();
    const left = await registrationIds();
    for (const id of ids) expect(left).not.toContain(id);
    await expect(call('RG.UNREGISTER', 'no-such-thing')).rejects.toThrow("registration 'no-such-thing' does not exist");
  });

  it('answers malformed ID and DESCRIPTION arguments like RedisGears', async () => {
    await expect(call('RG.JSEXECUTE', greeter('x', 'bad'), 'ID')).rejects.toThrow(/^ERR ID is missing$/);
    await expect(call('RG.JSEXECUTE', greeter('x', 'bad'), 'DESCRIPTION')).rejects.toThrow(
      /^ERR DESCRIPTION is missing$/,
    );
    await expect(call('RG.JSEXECUTE', greeter('x', 'bad'), 'ID', 'a b')).rejects.toThrow(
      /session id must be composed of letters, digits/,
    );
    await expect(call('RG.JSDUMPSESSIONS', 'x')).rejects.toThrow(/wrong number of arguments/);
  });

  it('an upgrade is one step for other clients: a write during it meets the new registration, not neither', async () => {
    const counter = (name: string): string =>
      `GB().forEach(() => execute('INCR', 'swap:${name}')).register({ prefix: 'swap:in:*', eventTypes: ['set'], mode: 'sync' })`;
    expect(await call('RG.JSEXECUTE', counter('old'), 'ID', 'swap')).toBe('OK');
    // The new script says it started, then takes its time before registering.
    const slow = `await execute('SET', 'swap:started', '1');
await new Promise((resolve) => setTimeout(resolve, 300));
${counter('new')}`;
    const upgrade = call('RG.JSEXECUTE', slow, 'ID', 'swap', 'UPGRADE');
    const other = new Redis({ port: env.server.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    try {
      // Reads are not held back: poll (bounded) until the upgrade is under way.
      await vi.waitFor(async () => expect(await other.get('swap:started')).toBe('1'), {
        timeout: 10_000,
        interval: 5,
      });
      expect(await other.set('swap:in:1', 'x')).toBe('OK'); // waits for the swap, then the new gear ran
      expect(await upgrade).toBe('OK');
      expect(await other.mget('swap:old', 'swap:new')).toEqual([null, '1']);
    } finally {
      other.disconnect();
    }
  });
});
