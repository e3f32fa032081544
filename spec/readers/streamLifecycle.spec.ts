import { afterEach, describe, expect, it } from 'vitest';
import type { Gears, StreamRecord } from '../../lib/index.ts';
import { deferred } from '../support/rx.ts';
import { allBackends, deleteKeys, uniquePrefix } from '../support/backends.ts';
import { until } from '../support/until.ts';

let gears: Gears | undefined;
let prefixes: string[] = [];
afterEach(async () => {
  if (gears) {
    for (const id of gears.dumpRegistrations().map((r) => r.id)) gears.unregister(id);
    for (const prefix of prefixes) await deleteKeys(gears, `${prefix}*`);
    await gears.close();
  }
  gears = undefined;
  prefixes = [];
});

function fresh(label: string): string {
  const prefix = uniquePrefix(label);
  prefixes.push(prefix);
  return prefix;
}

const xadd = async (g: Gears, key: string, n: number): Promise<string> =>
  String(await g.execute('XADD', key, '*', 'n', String(n)));

async function pendingCount(g: Gears, key: string, name: string): Promise<number> {
  const [count] = (await g.execute('XPENDING', key, `rxgears:${name}`)) as [number];
  return count;
}

const info = (g: Gears, id: string) => g.dumpRegistrations().find((r) => r.id === id)!;

describe.each(allBackends())('StreamReader registration lifecycle on $name', (backend) => {
  it('unregister lets the running batch finish, acknowledges it and trims the stream', async () => {
    const g = (gears = await backend.connect());
    const key = `${fresh('ul')}s`;
    const release = deferred<void>();
    const started = deferred<void>();
    const id = await g
      .GB('StreamReader')
      .forEach(async () => {
        started.resolve();
        await release.promise;
      })
      .register({ prefix: key, batch: 2, name: 'ul' });
    await xadd(g, key, 1);
    await xadd(g, key, 2);
    await started.promise;
    g.unregister(id);
    expect(g.dumpRegistrations().map((r) => r.id)).not.toContain(id);
    release.resolve();
    await until(async () => (await pendingCount(g, key, 'ul')) === 0, 'the batch to be acknowledged');
    await until(async () => (await g.execute('XLEN', key)) === 0, 'the stream to be trimmed');
  });

  it('unregister with abortPending aborts the running batch (left pending) and drops its executions', async () => {
    const g = (gears = await backend.connect());
    const key = `${fresh('ua')}s`;
    const started = deferred<void>();
    let runs = 0;
    const id = await g
      .GB('StreamReader')
      .forEach(async () => {
        if (++runs === 1) return;
        started.resolve();
        await new Promise(() => undefined); // never finishes: only the abort ends it
      })
      .register({ prefix: key, name: 'ua' });
    await xadd(g, key, 1);
    await until(() => info(g, id).numSuccess === 1, 'the first execution');
    await xadd(g, key, 2);
    await started.promise;
    const mine = g.dumpExecutions().filter((e) => e.registered);
    expect(mine).toHaveLength(2);
    g.unregister(id, { abortPending: true });
    const left = new Set(g.dumpExecutions().map((e) => e.executionId));
    for (const e of mine) expect(left.has(e.executionId)).toBe(false);
    // The aborted batch is not acknowledged: a later registration of the same group gets it again.
    await until(async () => (await pendingCount(g, key, 'ua')) === 1, 'the aborted entry to stay pending');
    expect(await g.execute('XLEN', key)).toBe(1);
  });

  it("a gear throwing 'PAUSE' pauses its registration; the batch stays pending and runs after unpause", async () => {
    const g = (gears = await backend.connect());
    const key = `${fresh('up')}s`;
    const seen: string[] = [];
    let pauses = 0;
    const id = await g
      .GB('StreamReader')
      .forEach((r: StreamRecord) => {
        if (r.value['n'] === '2' && pauses++ === 0) throw new Error('PAUSE');
        seen.push(r.value['n']!);
      })
      .register({ prefix: key, name: 'up' });
    await xadd(g, key, 1);
    await until(() => seen.length === 1, 'the first entry');
    await xadd(g, key, 2);
    await until(() => info(g, id).status === 'PAUSED', 'the registration to pause itself');
    await xadd(g, key, 3);
    await until(async () => (await pendingCount(g, key, 'up')) >= 1, 'the paused batch to be pending');
    expect(seen).toEqual(['1']);
    expect(info(g, id)).toMatchObject({ numFailures: 0, lastError: null });
    g.unpauseRegistrations([id]);
    await until(() => seen.length === 3, 'the held entries after unpause');
    expect(seen).toEqual(['1', '2', '3']);
    expect(info(g, id).status).toBe('OK');
    await until(async () => (await pendingCount(g, key, 'up')) === 0, 'everything acknowledged');
  });
});

describe.each(allBackends())('KeysReader PAUSE on $name', (backend) => {
  it("a gear throwing 'PAUSE' pauses its registration: later events are dropped until unpause", async () => {
    const g = (gears = await backend.connect());
    const p = fresh('kp');
    const seen: string[] = [];
    const id = await g
      .GB()
      .foreach((r) => {
        if (r.key === `${p}stop`) throw new Error('PAUSE');
        seen.push(r.key);
      })
      .register(`${p}*`);
    await g.execute('SET', `${p}stop`, '1');
    await until(() => info(g, id).status === 'PAUSED', 'the registration to pause itself');
    await g.execute('SET', `${p}dropped`, '1');
    await g.settleSync(); // its event was delivered (and dropped) before the unpause
    g.unpauseRegistrations([id]);
    await g.execute('SET', `${p}after`, '1');
    await until(() => seen.includes(`${p}after`), 'an event after unpause');
    expect(seen).toEqual([`${p}after`]);
  });
});
