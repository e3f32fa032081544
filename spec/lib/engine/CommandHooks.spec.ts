import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { callNext, execute, overrideReply, type Gears } from '../../../lib/index.ts';
import { createServer, type RxgearsServer } from '../../../lib/server/Server.ts';
import { allBackends, deleteKeys, uniquePrefix } from '../../support/backends.ts';

let gears: Gears | undefined;
let server: RxgearsServer | undefined;
let client: Redis | undefined;
let prefix = '';

afterEach(async () => {
  client?.disconnect();
  await server?.close();
  if (gears) {
    for (const r of gears.dumpRegistrations()) gears.unregister(r.id);
    await deleteKeys(gears, `${prefix}*`);
    await gears.close();
  }
  gears = server = client = undefined;
});

/** An engine on the backend, a server in front of it and a client of that server. */
async function serve(connect: () => Promise<Gears>): Promise<{ g: Gears; c: Redis; p: string }> {
  gears = await connect();
  server = await createServer(gears, { port: 0 });
  client = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  prefix = uniquePrefix('hk');
  return { g: gears, c: client, p: prefix };
}

describe.each(allBackends())('command hooks through the server on $name', (backend) => {
  it('chains sync hooks on one command: the last registered runs first, callNext reaches the command', async () => {
    const { g, c, p } = await serve(() => backend.connect());
    const order: string[] = [];
    await g
      .GB('CommandReader')
      .map(async ([, key, field, value]) => {
        order.push('first');
        return callNext(key!, field!, `${value}+first`);
      })
      .register({ hook: 'hset', mode: 'sync' });
    await g
      .GB('CommandReader')
      .map(async ([, key, field, value]) => {
        order.push('second');
        // execute() works inside a hook (it goes to the store, not through the chain).
        await execute('SET', `${key}:seen`, 'yes');
        return callNext(key!, field!, `${value}+second`);
      })
      .register({ hook: 'hset', mode: 'sync' });
    expect(await c.hset(`${p}h`, 'f', 'v')).toBe(1);
    expect(order).toEqual(['second', 'first']);
    expect(await c.hget(`${p}h`, 'f')).toBe('v+second+first');
    expect(await c.get(`${p}h:seen`)).toBe('yes');
  });

  it("replies 'Command hook must return exactly one result' when the gear yields several", async () => {
    const { g, c, p } = await serve(() => backend.connect());
    await g
      .GB('CommandReader')
      .flatMap((x) => x)
      .register({ hook: 'hset', mode: 'sync' });
    await expect(c.hset(`${p}h`, 'foo', 'bar')).rejects.toThrow('Command hook must return exactly one result');
  });

  it('keyPrefix limits a hook to commands with a key starting with it; unregister removes the hook', async () => {
    const { g, c, p } = await serve(() => backend.connect());
    const id = await g
      .GB('CommandReader')
      .map(() => 'hooked')
      .register({ hook: 'set', keyPrefix: `${p}a`, mode: 'sync' });
    expect(await c.set(`${p}a1`, 'x')).toBe('hooked');
    expect(await c.set(`${p}b1`, 'x')).toBe('OK');
    expect(await c.get(`${p}a1`)).toBeNull();
    g.unregister(id);
    expect(await c.set(`${p}a1`, 'x')).toBe('OK');
  });

  it("KeysReader commands: a sync gear on 'keymiss' overrides GET's reply, an error reply with '-'", async () => {
    const { g, c, p } = await serve(() => backend.connect());
    const seen: unknown[] = [];
    await g
      .GB()
      .foreach((r) => {
        seen.push({ key: r.key, event: r.event, type: r.type });
        overrideReply(r.key.endsWith('bad') ? '-ERR no such key' : 'key does not exists');
      })
      .register({ prefix: `${p}*`, eventTypes: ['keymiss'], commands: ['get'], mode: 'sync' });
    expect(await c.get(`${p}x`)).toBe('key does not exists');
    await expect(c.get(`${p}bad`)).rejects.toThrow('ERR no such key');
    await c.set(`${p}y`, 'there');
    expect(await c.get(`${p}y`)).toBe('there'); // no keymiss, no execution
    expect(await c.get(`other:${p}`)).toBeNull(); // outside the prefix
    expect(seen).toEqual([
      { key: `${p}x`, event: 'keymiss', type: 'empty' },
      { key: `${p}bad`, event: 'keymiss', type: 'empty' },
    ]);
  });

  it('KeysReader commands: an async gear runs on the events of the write before the reply, and may override it', async () => {
    const { g, c, p } = await serve(() => backend.connect());
    const id = await g
      .GB()
      .foreach(async (r) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        await execute('SET', `${r.key}:copy`, JSON.stringify(r.value));
        overrideReply(`${r.event} ${r.key}`);
      })
      .register({ prefix: `${p}*`, commands: ['hset'] });
    expect(await c.hset(`${p}h`, 'a', '1')).toBe(`hset ${p}h`);
    // Before the reply: the gear's write is there.
    expect(await c.get(`${p}h:copy`)).toBe('{"a":"1"}');
    // Only through its commands: an HINCRBY is no trigger.
    expect(await c.hincrby(`${p}h`, 'a', 1)).toBe(2);
    expect(g.dumpRegistrations().find((r) => r.id === id)).toMatchObject({ numTriggered: 1, numSuccess: 1 });
    g.unregister(id);
    expect(await c.hset(`${p}h`, 'b', '1')).toBe(1);
  });

  it('refuses hooks that cannot be, with RedisGears messages, and leaves nothing registered', async () => {
    const { g } = await serve(() => backend.connect());
    const refused: [object, string][] = [
      [{ hook: 'nosuchcommand' }, 'Can not override an unexisting command'],
      [{ hook: 'multi' }, 'Can not override a command which are not allowed inside a script'],
      [{ hook: 'exec' }, 'Can not override a command which are not allowed inside a script'],
      [{ hook: 'eval' }, 'Can not override a command which are not allowed inside a script'],
      [{ hook: 'xread', keyPrefix: 'a' }, 'Can not override a command with moveable keys by key prefix'],
    ];
    for (const [options, message] of refused)
      await expect(g.GB('CommandReader').register(options)).rejects.toThrow(message);
    await expect(g.GB().register({ commands: ['multi'] })).rejects.toThrow(
      'Can not hook a command which are not allowed inside a script',
    );
    await expect(g.GB().register({ commands: ['xread'] })).rejects.toThrow(
      'Can not hook a command with moveable keys by key prefix',
    );
    await expect(g.GB().register({ commands: ['nosuch'] })).rejects.toThrow('Can not hook an unexisting command');
    await g.GB('CommandReader').register({ hook: 'hset' }); // async: nothing can chain on it
    await expect(g.GB('CommandReader').register({ hook: 'hset', mode: 'sync' })).rejects.toThrow(
      'Can not override a none sync registration',
    );
    expect(g.dumpRegistrations()).toHaveLength(1);
  });

  it('in a transaction (runHook inTransaction): sync registrations hold and override, async ones cannot', async () => {
    const { g, p } = await serve(() => backend.connect());
    await g
      .GB()
      .foreach(() => overrideReply('sync override'))
      .register({ prefix: `${p}s*`, commands: ['set'], mode: 'sync' });
    await g
      .GB()
      .foreach(() => overrideReply('async override'))
      .register({ prefix: `${p}a*`, commands: ['set'] });
    const inTx = { inTransaction: true };
    expect(await g.runHook('set', [`${p}s1`, 'x'], inTx)).toEqual({ results: ['sync override'], errors: [] });
    expect(await g.runHook('set', [`${p}a1`, 'x'], inTx)).toEqual({ results: ['OK'], errors: [] });
    expect(await g.runHook('set', [`${p}a2`, 'x'])).toEqual({ results: ['async override'], errors: [] });
    await g
      .GB('CommandReader')
      .map(() => 'hooked')
      .register({ hook: 'incr', mode: 'async_local' });
    expect(await g.runHook('incr', [`${p}n`], inTx)).toEqual({
      results: [],
      errors: ['ERR Blocking module command called from transaction'],
    });
    // `call` runs the command itself where the caller says (here: counting the calls).
    let calls = 0;
    await g
      .GB('CommandReader')
      .map(async ([, k]) => callNext(k!))
      .register({ hook: 'decr', mode: 'sync' });
    const result = await g.runHook('decr', [`${p}n`], { ...inTx, call: async () => ++calls });
    expect(result).toEqual({ results: [1], errors: [] });
  });
});

describe.each(allBackends())('CommandReader inOrder on $name', (backend) => {
  it('with inOrder: true the executions of a trigger run one at a time, in arrival order', async () => {
    gears = await backend.connect();
    prefix = uniquePrefix('io');
    let running = 0;
    let most = 0;
    const order: string[] = [];
    const gear = (name: string, inOrder: boolean) =>
      gears!
        .GB('CommandReader')
        .map(async ([, n]) => {
          most = Math.max(most, ++running);
          await new Promise((resolve) => setTimeout(resolve, 10 - Number(n)));
          order.push(n!);
          running--;
          return n;
        })
        .register({ trigger: name, mode: 'async_local', inOrder });
    await gear('ordered', true);
    await Promise.all(['1', '2', '3', '4', '5'].map((n) => gears!.trigger('ordered', n)));
    expect(order).toEqual(['1', '2', '3', '4', '5']);
    expect(most).toBe(1);
    await gear('loose', false);
    order.length = 0;
    await Promise.all(['1', '2', '3', '4', '5'].map((n) => gears!.trigger('loose', n)));
    expect(most).toBeGreaterThan(1);
    expect(order.sort()).toEqual(['1', '2', '3', '4', '5']);
  });
});
