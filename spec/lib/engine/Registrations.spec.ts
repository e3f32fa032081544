import { afterEach, describe, expect, it } from 'vitest';
import { atomic, connect, execute, GearsError, type Gears, type KeysRecord } from '../../../lib/index.ts';
import { allBackends, uniquePrefix, deleteKeys } from '../../support/backends.ts';
import { until } from '../../support/until.ts';

let gears: Gears | undefined;
afterEach(async () => {
  await gears?.close();
  gears = undefined;
});

describe.each(allBackends())('KeysReader registrations on $name', (backend) => {
  it('runs the gear for each keyspace event of a matching key, with the event and the value read then', async () => {
    gears = await backend.connect();
    const prefix = uniquePrefix('ev');
    const seen: KeysRecord[] = [];
    const id = await gears
      .GB()
      .forEach((r) => void seen.push(r))
      .register(`${prefix}*`);
    expect(id).toMatch(/^[0-9a-f]{40}-\d+$/);
    await gears.execute('HSET', `${prefix}1`, 'name', 'Rick', 'age', '70');
    await gears.execute('SET', `other:${prefix}`, 'x'); // no match
    await until(() => seen.length >= 1, 'the hset event');
    expect(seen[0]).toEqual({ key: `${prefix}1`, type: 'hash', value: { name: 'Rick', age: '70' }, event: 'hset' });
    await until(() => gears!.dumpRegistrations()[0]!.numSuccess === 1, 'the execution to be counted');
    expect(gears.dumpRegistrations()[0]).toMatchObject({
      id,
      reader: 'KeysReader',
      mode: 'async',
      numTriggered: 1,
      numSuccess: 1,
      numFailures: 0,
    });
    await deleteKeys(gears, `*${prefix}*`);
  });

  it('matches an exact key when the prefix has no trailing *, and filters event and key types', async () => {
    gears = await backend.connect();
    const prefix = uniquePrefix('ex');
    const exact: string[] = [];
    const typed: string[] = [];
    await gears
      .GB()
      .forEach((r) => void exact.push(`${r.key} ${r.event}`))
      .register(`${prefix}exact`);
    await gears
      .GB()
      .forEach((r) => void typed.push(`${r.key} ${r.event}`))
      .register({ prefix: `${prefix}*`, eventTypes: ['SET', 'del'], keyTypes: ['string'] });
    await gears.execute('SET', `${prefix}exact`, '1');
    await gears.execute('SET', `${prefix}exactly`, '1');
    await gears.execute('HSET', `${prefix}h`, 'f', 'v');
    await gears.execute('LPUSH', `${prefix}l`, 'a');
    await gears.execute('SET', `${prefix}last`, '1');
    await until(() => typed.length >= 3 && exact.length >= 1, 'the events');
    expect(exact).toEqual([`${prefix}exact set`]);
    expect(typed.sort()).toEqual([`${prefix}exact set`, `${prefix}exactly set`, `${prefix}last set`].sort());
    await deleteKeys(gears, `${prefix}*`);
  });

  it('counts failures with the last error, and keeps the executions as registered', async () => {
    gears = await backend.connect();
    const prefix = uniquePrefix('fail');
    const id = await gears
      .GB()
      .map((r) => {
        if (r.key.endsWith('bad')) throw new TypeError('bad key');
        return r.key;
      })
      .register({ prefix: `${prefix}*`, mode: 'async_local' });
    await gears.execute('SET', `${prefix}good`, '1');
    await gears.execute('SET', `${prefix}bad`, '1');
    await until(
      () =>
        gears!.dumpRegistrations()[0]!.numTriggered === 2 &&
        gears!.dumpRegistrations()[0]!.numSuccess + gears!.dumpRegistrations()[0]!.numFailures === 2,
      'two executions',
    );
    expect(gears.dumpRegistrations()[0]).toMatchObject({
      id,
      mode: 'async_local',
      numSuccess: 1,
      numFailures: 1,
      lastError: 'TypeError: bad key',
    });
    const kept = gears.dumpExecutions().filter((e) => e.registered);
    expect(kept).toHaveLength(2);
    gears.clearRegistrationsStats();
    expect(gears.dumpRegistrations()[0]).toMatchObject({
      numTriggered: 0,
      numSuccess: 0,
      numFailures: 0,
      lastError: null,
    });
    await deleteKeys(gears, `${prefix}*`);
  });

  it('stops triggering once unregister() returns', async () => {
    gears = await backend.connect();
    const prefix = uniquePrefix('un');
    let runs = 0;
    const id = await gears
      .GB()
      .forEach(() => void runs++)
      .register(`${prefix}*`);
    await gears.execute('SET', `${prefix}a`, '1');
    await until(() => runs === 1, 'the first event');
    gears.unregister(id);
    expect(gears.dumpRegistrations()).toEqual([]);
    await gears.execute('SET', `${prefix}b`, '1');
    // A later registration's event proves the first one's would have arrived by now.
    let probe = 0;
    await gears
      .GB()
      .forEach(() => void probe++)
      .register(`${prefix}probe`);
    await gears.execute('SET', `${prefix}probe`, '1');
    await until(() => probe === 1, 'the probe event');
    expect(runs).toBe(1);
    await deleteKeys(gears, `${prefix}*`);
  });

  it('runs at most MaxPendingCallbacks executions at once on a shard; later events wait and all run', async () => {
    gears = await backend.connect();
    gears.configSet({ MaxPendingCallbacks: 3 });
    const prefix = uniquePrefix('bound');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let running = 0;
    let most = 0;
    const handled: string[] = [];
    await gears
      .GB()
      .forEach(async (r) => {
        most = Math.max(most, ++running);
        await gate;
        running--;
        handled.push(r.key);
      })
      .register(`${prefix}*`);
    // One hashtag: every key on one shard, so the bound applies to all of them.
    for (let i = 0; i < 10; i++) await gears.execute('SET', `${prefix}{b}${i}`, '1');
    await gears.settleSync(); // every event has reached the registration
    await until(() => running === 3, 'three executions waiting on the gate');
    expect(gears.dumpRegistrations()[0]!.numTriggered).toBe(3);
    release();
    await until(() => handled.length === 10, 'every event handled');
    expect(most).toBe(3);
    expect(new Set(handled).size).toBe(10);
    expect(gears.dumpRegistrations()[0]).toMatchObject({ numTriggered: 10, numSuccess: 10 });
    await deleteKeys(gears, `${prefix}*`);
  });

  it('settleSync() resolves only after the sync registrations a write triggered have run', async () => {
    gears = await backend.connect();
    const prefix = uniquePrefix('sync');
    const handled: string[] = [];
    await gears
      .GB()
      .forEach(async (r) => {
        await execute('SET', `${prefix}seen:${r.key}`, '1');
        handled.push(r.key);
      })
      .register({ prefix: `${prefix}in:*`, mode: 'sync' });
    for (let i = 0; i < 5; i++) {
      await gears.execute('SET', `${prefix}in:${i}`, 'x');
      await gears.settleSync(); // no polling: once this resolves, the gear has run for this write
      expect(handled).toHaveLength(i + 1);
      expect(await gears.execute('GET', `${prefix}seen:${prefix}in:${i}`)).toBe('1');
    }
    await deleteKeys(gears, `${prefix}*`);
  });

  it("the tutorial's event-driven maximum stays right under concurrent writers (atomic CAS)", async () => {
    gears = await backend.connect();
    const prefix = uniquePrefix('age');
    const maxKey = `${prefix}maximum`;
    await gears
      .GB()
      .map((r) => Number((r.value as Record<string, string>).age))
      .forEach((age) =>
        atomic(async () => {
          const current = Number((await execute('GET', maxKey)) ?? 0);
          if (age > current) await execute('SET', maxKey, age);
        }),
      )
      .register({ prefix: `${prefix}person:*`, eventTypes: ['hset'] });
    const writers = await Promise.all([backend.connect(), backend.connect(), backend.connect()]);
    const g = gears;
    try {
      // Memory backends: separate engines are separate stores, so the writers share the engine instead.
      const clients = backend.shared ? writers : [g, g, g];
      const ages = Array.from({ length: 60 }, (_, i) => ((i * 53) % 97) + 1);
      await Promise.all(ages.map((age, i) => clients[i % 3]!.execute('HSET', `${prefix}person:${i}`, 'age', age)));
      await until(() => g.dumpRegistrations()[0]!.numSuccess === ages.length, 'every event handled', 20_000);
      expect(g.dumpRegistrations()[0]!.numFailures).toBe(0);
      expect(await g.execute('GET', maxKey)).toBe(String(Math.max(...ages)));
    } finally {
      await Promise.all(writers.map((w) => w.close()));
    }
    await deleteKeys(g, `${prefix}*`);
  });
});

describe('registration modes and options (embedded, 3 shards)', () => {
  it('sync mode handles events one at a time, in order', async () => {
    gears = await connect({ shards: 3 });
    const order: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    await gears
      .GB()
      .forEach(async (r) => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        order.push(r.key);
        inFlight--;
      })
      .register({ prefix: 'k{a}*', mode: 'sync' });
    for (let i = 0; i < 10; i++) await gears.execute('SET', `k{a}${i}`, '1');
    await until(() => order.length === 10, 'ten events');
    expect(order).toEqual(Array.from({ length: 10 }, (_, i) => `k{a}${i}`));
    expect(maxInFlight).toBe(1);
  });

  it('settleSync() does not wait for sync triggers that were still queued when the registration stopped', async () => {
    gears = await connect();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    const id = await gears
      .GB()
      .forEach(async () => {
        started++;
        await gate;
      })
      .register({ prefix: 'q*', mode: 'sync' });
    for (let i = 0; i < 3; i++) await gears.execute('SET', `q${i}`, '1'); // one runs, two wait in line
    await until(() => started === 1, 'the first trigger to start');
    gears.unregister(id);
    release();
    await gears.settleSync(); // would hang if the two queued triggers were still counted
    expect(started).toBe(1);
  });

  it('async mode runs global steps across shards, from the event’s shard', async () => {
    gears = await connect({ shards: 3 });
    const results: unknown[][] = [];
    await gears
      .GB()
      .flatMap((r) => [r.key, `${r.key}-copy`])
      .repartition((k) => k)
      .collect()
      .accumulate((n: number | undefined) => (n ?? 0) + 1)
      .forEach((n) => void results.push([n]))
      .register('x*');
    await gears.execute('SET', 'x1', '1');
    await until(() => results.length === 1, 'one execution');
    expect(results).toEqual([[2]]);
  });

  it('runs onRegistered once per shard, in that shard’s context', async () => {
    gears = await connect({ shards: 3 });
    const calls: string[] = [];
    const { currentContext } = await import('../../../lib/engine/runtime.ts');
    await gears.GB().register({ prefix: 'x', onRegistered: () => void calls.push(currentContext()!.shard.id) });
    expect(calls.sort()).toEqual(gears.shards.map((s) => s.id).sort());
  });

  it('drops events while paused and handles them again after unpause', async () => {
    gears = await connect();
    let runs = 0;
    const id = await gears
      .GB()
      .forEach(() => void runs++)
      .register('p*');
    gears.pauseRegistrations([id]);
    expect(gears.dumpRegistrations()[0]!.status).toBe('PAUSED');
    await gears.execute('SET', 'p1', '1');
    gears.unpauseRegistrations([id]);
    await gears.execute('SET', 'p2', '1');
    await until(() => runs === 1, 'the event after unpause');
    expect(gears.dumpRegistrations()[0]!.status).toBe('OK');
  });

  it('keeps at most MaxExecutionsPerRegistration executions of a registration', async () => {
    gears = await connect({ config: { MaxExecutionsPerRegistration: 3 } });
    await gears.GB().register('m*');
    for (let i = 0; i < 8; i++) await gears.execute('SET', `m${i}`, '1');
    await until(() => gears!.dumpRegistrations()[0]!.numSuccess === 8, 'eight executions');
    expect(gears.dumpExecutions().filter((e) => e.registered)).toHaveLength(3);
  });

  it.each([
    [{ prefix: 3 }, 'regex argument must be a string'],
    [{ mode: 'fast' }, "option 'mode' must be 'async', 'async_local' or 'sync'"],
    [{ eventTypes: 'set' }, "option 'eventTypes' must be a list of strings"],
    [{ batch: 5 }, "unknown option 'batch' for KeysReader.register()"],
  ])('rejects %o with "%s"', async (options, message) => {
    gears = await connect();
    await expect(gears.GB().register(options as never)).rejects.toThrow(new GearsError(message));
  });

  it("refuses register() for readers without events: 'reader do not support register'", async () => {
    gears = await connect();
    await expect(gears.GB('ShardsIDReader').register()).rejects.toThrow('reader do not support register');
  });

  it("answers an unknown registration id with 'registration … does not exist'", async () => {
    gears = await connect();
    expect(() => gears!.unregister('nope')).toThrow("registration 'nope' does not exist");
    expect(() => gears!.pauseRegistrations(['nope'])).toThrow("registration 'nope' does not exist");
  });
});

describe('CommandReader', () => {
  it('a hook overrides a command: the gear gets [command, ...args] and callNext runs the original', async () => {
    gears = await connect({ shards: 3 });
    const { callNext } = await import('../../../lib/index.ts');
    await gears
      .GB('CommandReader')
      .map(async ([, key, value]) => callNext(key!, String(value).toUpperCase()))
      .register({ hook: 'SET', mode: 'async_local' });
    expect(await gears.runHook('set', ['Smith', 'quiet'])).toEqual({ results: ['OK'], errors: [] });
    expect(await gears.execute('GET', 'Smith')).toBe('QUIET');
    expect(await gears.runHook('GET', ['Smith'])).toBeUndefined(); // not hooked
    await expect(gears.GB('CommandReader').register({ hook: 'set' })).rejects.toThrow(
      'Can not override a none sync registration',
    );
  });

  it('callNext outside a hook is a clear error', async () => {
    gears = await connect();
    const { callNext } = await import('../../../lib/index.ts');
    await expect(callNext('x')).rejects.toThrow('callNext() can only be used inside a command hook');
  });

  it('runs on trigger() with the record [name, ...args], on every shard in async mode', async () => {
    gears = await connect({ shards: 3 });
    await gears
      .GB('CommandReader')
      .map(([, who]) => `hello ${who}`)
      .register({ trigger: 'greet' });
    expect(await gears.trigger('greet', 'Rick')).toEqual(['hello Rick', 'hello Rick', 'hello Rick']);
    expect(gears.dumpRegistrations()[0]).toMatchObject({ reader: 'CommandReader', numTriggered: 1, numSuccess: 1 });
  });

  it('runs once in async_local mode, and triggerOnKey on the shard that owns the key', async () => {
    gears = await connect({ shards: 3 });
    const { currentContext } = await import('../../../lib/engine/runtime.ts');
    await gears
      .GB('CommandReader')
      .map((record) => ({ record, shard: currentContext()!.shard.id }))
      .register({ trigger: 'where', mode: 'async_local' });
    expect(await gears.trigger('where', 1)).toEqual([{ record: ['where', '1'], shard: gears.shards[0]!.id }]);
    const onKey = (await gears.triggerOnKey('where', 'Smith', 'x')) as { record: string[]; shard: string }[];
    expect(onKey).toEqual([{ record: ['where', 'Smith', 'x'], shard: gears.shards[2]!.id }]); // slot 14205
  });

  it('rejects with a GearsError carrying the first error', async () => {
    gears = await connect();
    await gears
      .GB('CommandReader')
      .map(() => {
        throw new RangeError('nope');
      })
      .register({ trigger: 'fail' });
    await expect(gears.trigger('fail')).rejects.toThrow(GearsError);
    await expect(gears.trigger('fail')).rejects.toThrow('RangeError: nope');
  });

  it('refuses a second trigger of the same name, a registration without trigger or hook, and an unknown trigger', async () => {
    gears = await connect();
    await gears.GB('CommandReader').register({ trigger: 't' });
    await expect(gears.GB('CommandReader').register({ trigger: 't' })).rejects.toThrow('trigger already registered');
    await expect(gears.GB('CommandReader').register()).rejects.toThrow('no trigger or hook argument was given');
    await expect(gears.trigger('missing')).rejects.toThrow("unknown trigger 'missing'");
  });
});
