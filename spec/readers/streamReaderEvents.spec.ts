import { afterEach, describe, expect, it, vi } from 'vitest';
import { connect, type Gears, type StreamRecord } from '../../lib/index.ts';
import { streamConsumerName, streamReaderEvents } from '../../readers/index.ts';
import type { EventControl, ReaderContext, Trigger } from '../../readers/types.ts';
import { deferred, flush } from '../support/rx.ts';
import { storeWith } from './streamTestStore.ts';
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

async function xadd(g: Gears, key: string, ...fields: string[]): Promise<string> {
  return String(await g.execute('XADD', key, '*', ...(fields.length > 0 ? fields : ['f', 'v'])));
}

async function pending(g: Gears, key: string, name = 'default'): Promise<{ count: number; ids: string[] }> {
  const [count] = (await g.execute('XPENDING', key, `rxgears:${name}`)) as [number];
  const rows = (await g.execute('XPENDING', key, `rxgears:${name}`, '-', '+', 100)) as [string][];
  return { count, ids: rows.map(([id]) => id) };
}

async function ids(g: Gears, key: string): Promise<string[]> {
  return ((await g.execute('XRANGE', key, '-', '+')) as [string][]).map(([id]) => id);
}

/** XINFO GROUPS as `{ name: { pending, last } }`. */
async function groups(g: Gears, key: string): Promise<Record<string, { pending: number; last: string }>> {
  const lines = (await g.execute('XINFO', 'GROUPS', key)) as (string | number)[][];
  return Object.fromEntries(
    lines.map((line) => {
      const f = new Map<string | number, string | number>();
      for (let i = 0; i + 1 < line.length; i += 2) f.set(line[i]!, line[i + 1]!);
      return [String(f.get('name')), { pending: Number(f.get('pending')), last: String(f.get('last-delivered-id')) }];
    }),
  );
}

const info = (g: Gears, id: string) => g.dumpRegistrations().find((r) => r.id === id)!;

/** A gear that records each execution's entries as one batch. */
function batches(g: Gears) {
  const seen: StreamRecord[][] = [];
  const builder = g
    .GB('StreamReader')
    .accumulate((acc: StreamRecord[] | undefined, r) => [...(acc ?? []), r])
    .forEach((batch) => void seen.push(batch));
  return { seen, builder };
}

describe.each(allBackends())('StreamReader registrations on $name', (backend) => {
  it('consumes the matching streams that exist when it registers, each entry once as { key, id, value }', async () => {
    const g = (gears = await backend.connect());
    const p = fresh('sx');
    const a1 = await xadd(g, `${p}s:a`, 'n', '1');
    const a2 = await xadd(g, `${p}s:a`, 'n', '2');
    const b1 = await xadd(g, `${p}s:b`, 'n', '3');
    await xadd(g, `${p}t`, 'n', '4'); // outside the prefix
    await g.execute('SET', `${p}s:string`, 'not a stream');
    const seen: StreamRecord[] = [];
    const id = await g
      .GB('StreamReader')
      .forEach((r) => void seen.push(r))
      .register(`${p}s:*`);
    await until(() => info(g, id).numSuccess === 3, 'three executions');
    expect(seen.sort((x, y) => (x.key + x.id < y.key + y.id ? -1 : 1))).toEqual([
      { key: `${p}s:a`, id: a1, value: { n: '1' } },
      { key: `${p}s:a`, id: a2, value: { n: '2' } },
      { key: `${p}s:b`, id: b1, value: { n: '3' } },
    ]);
    expect(await groups(g, `${p}t`)).toEqual({});
    expect(info(g, id)).toMatchObject({ reader: 'StreamReader', numTriggered: 3, numFailures: 0, status: 'OK' });
  });

  it('picks up a new stream on its first XADD; a prefix without * is the exact key', async () => {
    const g = (gears = await backend.connect());
    const p = fresh('sn');
    const all: string[] = [];
    const exact: string[] = [];
    await g
      .GB('StreamReader')
      .forEach((r) => void all.push(r.key))
      .register({ prefix: `${p}*`, name: 'all' });
    await g
      .GB('StreamReader')
      .forEach((r) => void exact.push(r.key))
      .register({ prefix: `${p}exact`, name: 'exact' });
    await xadd(g, `${p}exact`);
    await xadd(g, `${p}exactly`);
    await until(() => all.length === 2 && exact.length === 1, 'both streams consumed');
    expect(all.sort()).toEqual([`${p}exact`, `${p}exactly`]);
    expect(exact).toEqual([`${p}exact`]);
    expect(Object.keys(await groups(g, `${p}exactly`))).toEqual(['rxgears:all']);
  });

  it('finds a matching stream that appeared without an xadd event (RENAME) on its next rescan', async () => {
    const g = (gears = await backend.connect());
    const p = fresh('sf');
    const seen: StreamRecord[] = [];
    await g
      .GB('StreamReader')
      .forEach((r) => void seen.push(r))
      .register({ prefix: `${p}*`, rescanInterval: 0.05, name: 'found' });
    // Written outside the prefix, then renamed into it (one slot, for the cluster): Redis notifies rename_from
    // and rename_to, never xadd, so only a rescan can find it — as when an xadd notification is lost.
    const built = `built{${p}}`;
    const key = `${p}s{${p}}`;
    const first = await xadd(g, built, 'n', '1');
    await g.execute('RENAME', built, key);
    await until(() => seen.length === 1, 'the renamed stream to be found');
    expect(seen).toEqual([{ key, id: first, value: { n: '1' } }]);
    const second = await xadd(g, key, 'n', '2');
    await until(() => seen.length === 2, 'its next entry');
    expect(seen[1]).toEqual({ key, id: second, value: { n: '2' } });
    await until(async () => (await pending(g, key, 'found')).count === 0, 'both acknowledged');
    expect(Object.keys(await groups(g, key))).toEqual(['rxgears:found']);
  });

  it('batch: 3 runs waiting entries three at a time, a partial batch only once full (as RedisGears)', async () => {
    const g = (gears = await backend.connect());
    const p = fresh('sb');
    const waiting: string[] = [];
    for (let i = 0; i < 7; i++) waiting.push(await xadd(g, `${p}old`, 'i', String(i)));
    const old = batches(g);
    const id = await old.builder.register({ prefix: `${p}old`, batch: 3, name: 'old' });
    await until(() => old.seen.length === 2, 'two full batches');
    // The seventh entry waits for two more: it is read (pending), not run.
    await until(async () => (await pending(g, `${p}old`, 'old')).count === 1, 'the acks of the two batches');
    expect(info(g, id).numTriggered).toBe(2);
    for (let i = 7; i < 9; i++) waiting.push(await xadd(g, `${p}old`, 'i', String(i)));
    await until(() => old.seen.length === 3, 'the third batch once full');
    expect(old.seen.map((b) => b.map((r) => r.id))).toEqual([
      waiting.slice(0, 3),
      waiting.slice(3, 6),
      waiting.slice(6, 9),
    ]);

    const live = batches(g);
    await live.builder.register({ prefix: `${p}live`, batch: 3, duration: 60_000, name: 'live' });
    const written: string[] = [];
    for (let i = 0; i < 6; i++) written.push(await xadd(g, `${p}live`, 'i', String(i)));
    await until(() => live.seen.length === 2, 'two full batches');
    expect(live.seen.map((b) => b.map((r) => r.id))).toEqual([written.slice(0, 3), written.slice(3)]);
  });

  it('duration runs a partial batch once its first entry waited that long', async () => {
    const g = (gears = await backend.connect());
    const p = fresh('sd');
    const { seen, builder } = batches(g);
    let ranAt = 0;
    await builder.forEach(() => void (ranAt = Date.now())).register({ prefix: `${p}s`, batch: 100, duration: 200 });
    const started = Date.now();
    const written = [await xadd(g, `${p}s`), await xadd(g, `${p}s`)];
    await until(() => seen.length === 1, 'the partial batch');
    expect(seen[0]!.map((r) => r.id)).toEqual(written);
    expect(ranAt - started).toBeGreaterThanOrEqual(190);
  });

  it.each(['async', 'async_local', 'sync'] as const)(
    'in %s mode keeps one execution in flight per stream, entries in order',
    async (mode) => {
      const g = (gears = await backend.connect());
      const p = fresh('so');
      const order = new Map<string, string[]>();
      const inFlight = new Map<string, number>();
      let maxInFlight = 0;
      await g
        .GB('StreamReader')
        .forEach(async (r) => {
          const now = (inFlight.get(r.key) ?? 0) + 1;
          inFlight.set(r.key, now);
          maxInFlight = Math.max(maxInFlight, now);
          await new Promise((resolve) => setTimeout(resolve, 3));
          order.set(r.key, [...(order.get(r.key) ?? []), r.id]);
          inFlight.set(r.key, now - 1);
        })
        .register({ prefix: `${p}*`, mode });
      const written = await Promise.all(
        ['x', 'y'].map(async (s) => {
          const out: string[] = [];
          for (let i = 0; i < 8; i++) out.push(await xadd(g, `${p}${s}`, 'i', String(i)));
          return out;
        }),
      );
      await until(() => (order.get(`${p}x`)?.length ?? 0) + (order.get(`${p}y`)?.length ?? 0) === 16, 'every entry');
      expect(order.get(`${p}x`)).toEqual(written[0]);
      expect(order.get(`${p}y`)).toEqual(written[1]);
      expect(maxInFlight).toBe(1);
    },
  );

  it('acknowledges every batch and trims what it processed (trimStream: false keeps it)', async () => {
    const g = (gears = await backend.connect());
    const p = fresh('sa');
    const written: string[] = [];
    for (let i = 0; i < 12; i++) written.push(await xadd(g, `${p}trim`, 'i', String(i)));
    for (let i = 0; i < 12; i++) await xadd(g, `${p}keep`, 'i', String(i));
    const trim = await g.GB('StreamReader').register({ prefix: `${p}trim`, batch: 4, name: 't' });
    const keep = await g.GB('StreamReader').register({ prefix: `${p}keep`, batch: 4, name: 'k', trimStream: false });
    await until(() => info(g, trim).numSuccess === 3 && info(g, keep).numSuccess === 3, 'three batches each');
    await until(async () => (await g.execute('XLEN', `${p}trim`)) === 0, 'the trimmed stream to be empty');
    expect(await pending(g, `${p}trim`, 't')).toEqual({ count: 0, ids: [] });
    expect(await groups(g, `${p}trim`)).toEqual({ 'rxgears:t': { pending: 0, last: written[11] } });
    expect(await pending(g, `${p}keep`, 'k')).toEqual({ count: 0, ids: [] });
    expect(await g.execute('XLEN', `${p}keep`)).toBe(12);
  });

  it('never trims what another registration on the stream has not acknowledged (one paused)', async () => {
    const g = (gears = await backend.connect());
    const p = fresh('st');
    const key = `${p}s`;
    const first = await xadd(g, key);
    const slow: string[] = [];
    const fast: string[] = [];
    const b = await g
      .GB('StreamReader')
      .forEach((r) => void slow.push(r.id))
      .register({ prefix: key, name: 'b' });
    await until(() => info(g, b).numSuccess === 1, 'b to read the first entry');
    await until(async () => (await g.execute('XLEN', key)) === 0, 'b to trim it (trims run after the ack)');
    g.pauseRegistrations([b]);
    const a = await g
      .GB('StreamReader')
      .forEach((r) => void fast.push(r.id))
      .register({ prefix: key, name: 'a' });
    const written: string[] = [];
    for (let i = 0; i < 10; i++) written.push(await xadd(g, key, 'i', String(i)));
    await until(() => info(g, a).numSuccess === 10, 'a to process all of it');
    await until(async () => (await groups(g, key))['rxgears:a']?.pending === 0, 'a to acknowledge');
    expect(fast).toEqual(written);
    expect(slow).toEqual([first]);
    // a's trims went only up to what b has not read.
    expect(await ids(g, key)).toEqual(written);
    g.unpauseRegistrations([b]);
    await until(() => slow.length === 11, 'b to catch up after unpause');
    expect(slow).toEqual([first, ...written]);
    await until(async () => (await g.execute('XLEN', key)) === 0, 'the stream trimmed once both are done');
  });

  it("onFailedPolicy 'continue' (default) acknowledges a failed batch and goes on", async () => {
    const g = (gears = await backend.connect());
    const p = fresh('sc');
    const ok: string[] = [];
    const id = await g
      .GB('StreamReader')
      .forEach((r) => {
        if (r.value['bad']) throw new RangeError('bad entry');
        ok.push(r.value['i']!);
      })
      .register({ prefix: `${p}s` });
    await xadd(g, `${p}s`, 'i', '1');
    await xadd(g, `${p}s`, 'bad', 'yes');
    await xadd(g, `${p}s`, 'i', '3');
    await until(() => info(g, id).numSuccess + info(g, id).numFailures === 3, 'three executions');
    expect(ok).toEqual(['1', '3']);
    expect(info(g, id)).toMatchObject({ numFailures: 1, lastError: 'RangeError: bad entry', status: 'OK' });
    expect((await pending(g, `${p}s`)).count).toBe(0);
  });

  it("onFailedPolicy 'abort' stops the registration (ABORTED) and leaves the batch pending", async () => {
    const g = (gears = await backend.connect());
    const p = fresh('sab');
    const key = `${p}s`;
    const written: string[] = [];
    for (let i = 1; i <= 5; i++) written.push(await xadd(g, key, 'i', String(i)));
    const seen: string[] = [];
    const id = await g
      .GB('StreamReader')
      .forEach((r) => {
        seen.push(r.id);
        if (r.value['i'] === '3') throw new Error('no 3');
      })
      .register({ prefix: key, batch: 2, onFailedPolicy: 'abort', name: 'ab' });
    await until(() => info(g, id).status === 'ABORTED', 'ABORTED');
    await until(async () => (await ids(g, key))[0] === written[2], 'the first batch trimmed');
    expect(await pending(g, key, 'ab')).toEqual({ count: 2, ids: written.slice(2, 4) });
    const more = await xadd(g, key, 'i', '6');
    // Another registration on the stream sees the new entry: the aborted one had every chance to.
    const probe: string[] = [];
    await g
      .GB('StreamReader')
      .forEach((r) => void probe.push(r.id))
      .register({ prefix: key, name: 'probe' });
    await until(() => probe.includes(more), 'the probe to read the new entry');
    expect(seen).toEqual(written.slice(0, 4));
    expect(probe).toEqual([...written.slice(2), more]); // 1 and 2 were acknowledged and trimmed, 3 on kept
    expect(info(g, id)).toMatchObject({ status: 'ABORTED', numSuccess: 1, numFailures: 1, lastError: 'Error: no 3' });
    expect(await pending(g, key, 'ab')).toEqual({ count: 2, ids: written.slice(2, 4) });
  });

  it("onFailedPolicy 'retry' runs the same batch again (WAITING_FOR_RETRY_ON_FAILURE, then OK)", async () => {
    const g = (gears = await backend.connect());
    const p = fresh('sr');
    const key = `${p}s`;
    const attempts: { id: string; status: string }[] = [];
    let id = '';
    id = await g
      .GB('StreamReader')
      .forEach((r) => {
        attempts.push({ id: r.id, status: info(g, id).status });
        if (attempts.filter((a) => a.id === r.id).length < 3 && r.value['i'] === '1') throw new Error('not yet');
      })
      .register({ prefix: key, onFailedPolicy: 'retry', onFailedRetryInterval: 0.05 });
    const e1 = await xadd(g, key, 'i', '1');
    await until(() => info(g, id).status === 'WAITING_FOR_RETRY_ON_FAILURE', 'the retry wait');
    const e2 = await xadd(g, key, 'i', '2'); // waits for the retried batch
    await until(() => info(g, id).numSuccess === 2, 'both entries done');
    expect(attempts).toEqual([
      { id: e1, status: 'OK' },
      { id: e1, status: 'WAITING_FOR_RETRY_ON_FAILURE' },
      { id: e1, status: 'WAITING_FOR_RETRY_ON_FAILURE' },
      { id: e2, status: 'OK' },
    ]);
    expect(info(g, id)).toMatchObject({ status: 'OK', numTriggered: 4, numFailures: 2, numSuccess: 2 });
    expect((await pending(g, key)).count).toBe(0);
  });

  it('stops reading while paused and catches up after unpause', async () => {
    const g = (gears = await backend.connect());
    const p = fresh('sp');
    const key = `${p}s`;
    const seen: string[] = [];
    const id = await g
      .GB('StreamReader')
      .forEach((r) => void seen.push(r.id))
      .register({ prefix: key, name: 'paused' });
    g.pauseRegistrations([id]);
    const written = [await xadd(g, key), await xadd(g, key), await xadd(g, key)];
    await until(async () => (await groups(g, key))['rxgears:paused'] !== undefined, 'the paused group');
    const probe: string[] = [];
    await g
      .GB('StreamReader')
      .forEach((r) => void probe.push(r.id))
      .register({ prefix: key, name: 'probe' });
    await until(() => probe.length === 3, 'the probe to read everything');
    expect(seen).toEqual([]);
    expect((await groups(g, key))['rxgears:paused']).toEqual({ pending: 0, last: '0-0' });
    expect(info(g, id).status).toBe('PAUSED');
    g.unpauseRegistrations([id]);
    await until(() => seen.length === 3, 'the entries after unpause');
    expect(seen).toEqual(written);
    expect(info(g, id).status).toBe('OK');
  });

  it('reads nothing more once unregister() returns', async () => {
    const g = (gears = await backend.connect());
    const p = fresh('su');
    const key = `${p}s`;
    const seen: string[] = [];
    const id = await g
      .GB('StreamReader')
      .forEach((r) => void seen.push(r.id))
      .register({ prefix: key, name: 'gone' });
    const e1 = await xadd(g, key);
    await until(() => seen.length === 1, 'the first entry');
    await until(async () => (await groups(g, key))['rxgears:gone']?.pending === 0, 'its acknowledgement');
    g.unregister(id);
    const e2 = await xadd(g, key);
    const probe: string[] = [];
    await g
      .GB('StreamReader')
      .forEach((r) => void probe.push(r.id))
      .register({ prefix: key, name: 'probe' });
    await until(() => probe.includes(e2), 'the probe to read the second entry');
    expect(seen).toEqual([e1]);
    expect((await groups(g, key))['rxgears:gone']).toEqual({ pending: 0, last: e1 });
  });

  it('reads its own pending entries first, then claims idle ones of a dead consumer, then new ones', async () => {
    const g = (gears = await backend.connect());
    const p = fresh('sh');
    const key = `${p}s`;
    const written: string[] = [];
    for (let i = 0; i < 6; i++) written.push(await xadd(g, key, 'i', String(i)));
    const group = 'rxgears:crash';
    await g.execute('XGROUP', 'CREATE', key, group, '0');
    await g.execute('XREADGROUP', 'GROUP', group, 'dead', 'COUNT', 2, 'STREAMS', key, '>');
    // Pending for a minute, as if the dead consumer's process went away long ago.
    await g.execute('XCLAIM', key, group, 'dead', 0, written[0]!, written[1]!, 'IDLE', 60_000, 'JUSTID');
    await g.execute('XREADGROUP', 'GROUP', group, streamConsumerName('crash'), 'COUNT', 2, 'STREAMS', key, '>');
    const { seen, builder } = batches(g);
    await builder.register({ prefix: key, batch: 2, name: 'crash' });
    await until(() => seen.length === 3, 'three batches');
    expect(seen.map((b) => b.map((r) => r.id))).toEqual([written.slice(2, 4), written.slice(0, 2), written.slice(4)]);
    await until(async () => (await pending(g, key, 'crash')).count === 0, 'nothing pending');
  });

  it('reports executions and estimated lag in dumpRegistrations()', async () => {
    const g = (gears = await backend.connect());
    const p = fresh('sl');
    const key = `${p}s`;
    const past = Date.now() - 5000;
    for (let i = 0; i < 4; i++) await g.execute('XADD', key, `${past}-${i}`, 'i', String(i));
    const id = await g.GB('StreamReader', undefined, 'lag').register({ prefix: key, batch: 2 });
    await until(() => info(g, id).numSuccess === 2, 'two batches');
    const line = info(g, id);
    expect(line).toMatchObject({
      reader: 'StreamReader',
      desc: 'lag',
      mode: 'async',
      status: 'OK',
      numTriggered: 2,
      numSuccess: 2,
      numFailures: 0,
      numAborted: 0,
      lastError: null,
      args: { prefix: key, batch: 2 },
    });
    expect(line.lastEstimatedLagMS).toBeGreaterThanOrEqual(5000);
    expect(line.lastEstimatedLagMS).toBeLessThan(35_000);
    expect(line.avgEstimatedLagMS).toBeGreaterThanOrEqual(5000);
    expect(line.avgEstimatedLagMS).toBeLessThanOrEqual(line.lastEstimatedLagMS!);
  });
});

describe('StreamReader registrations (embedded)', () => {
  it("keeps engines apart: one engine's aborted registration does not stop another's with the same id", async () => {
    const [a, b] = await Promise.all([connect(), connect()]);
    try {
      const failing = await a
        .GB('StreamReader')
        .forEach(() => {
          throw new Error('fails');
        })
        .register({ prefix: 's', onFailedPolicy: 'abort' });
      const seen: string[] = [];
      const working = await b
        .GB('StreamReader')
        .forEach((r) => void seen.push(r.id))
        .register({ prefix: 's', onFailedPolicy: 'abort' });
      expect(working).toBe(failing);
      await a.execute('XADD', 's', '*', 'f', 'v');
      await until(() => info(a, failing).status === 'ABORTED', 'the abort');
      await b.execute('XADD', 's', '*', 'f', 'v');
      await b.execute('XADD', 's', '*', 'f', 'v');
      await until(() => seen.length === 2, "the other engine's entries");
      expect(info(b, working).status).toBe('OK');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('leaves no timer behind once closed, even with a batch waiting for its retry and one for its duration', async () => {
    // Fake timers only: promises and I/O run as usual, timers are counted.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    try {
      const settle = async (condition: () => Promise<boolean> | boolean): Promise<void> => {
        for (let i = 0; i < 1000 && !(await condition()); i++) await vi.advanceTimersByTimeAsync(5);
        expect(await condition()).toBe(true);
      };
      const g = await connect();
      const before = vi.getTimerCount();
      await g
        .GB('StreamReader')
        .forEach(() => {
          throw new Error('fails');
        })
        .register({ prefix: 'r', onFailedPolicy: 'retry', onFailedRetryInterval: 60 });
      const id = await g.GB('StreamReader').register({ prefix: 'd', batch: 10, duration: 60_000, name: 'd' });
      await g.execute('XADD', 'r', '*', 'f', 'v');
      await g.execute('XADD', 'd', '*', 'f', 'v');
      await settle(() => g.dumpRegistrations()[0]!.status === 'WAITING_FOR_RETRY_ON_FAILURE');
      await settle(async () => (await pending(g, 'd', 'd')).count === 1);
      // Two poll clocks, two rescan timers, a retry timer and a duration timer.
      expect(vi.getTimerCount() - before).toBe(6);
      expect(info(g, id).numTriggered).toBe(0);
      g.unregister(id);
      expect(vi.getTimerCount() - before).toBe(3);
      await g.close();
      expect(vi.getTimerCount()).toBeLessThanOrEqual(before);
    } finally {
      vi.useRealTimers();
    }
  });

  it('takes rescanInterval in seconds, 0 or more', async () => {
    const g = (gears = await connect());
    for (const bad of [-1, Number.NaN, Infinity, '5'] as unknown as number[]) {
      await expect(g.GB('StreamReader').register({ prefix: 's', rescanInterval: bad })).rejects.toThrow(
        "option 'rescanInterval' must be a non-negative number of seconds",
      );
    }
    const id = await g.GB('StreamReader').register({ prefix: 's', rescanInterval: 0 });
    expect(info(g, id).args).toEqual({ prefix: 's', rescanInterval: 0 });
  });

  it('reports a failing SCAN once, rescans every rescanInterval, and leaves no timer when stopped mid-scan', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    try {
      const g = (gears = await connect());
      await g.execute('XADD', 's', '*', 'f', 'v');
      const shard = g.shards[0]!;
      let scans = 0;
      let failures = 2;
      const hold = deferred<void>();
      let holding = false;
      const store = storeWith(shard.store, {
        scan: async (cursor, options) => {
          scans++;
          if (holding) await hold.promise;
          if (failures-- > 0) throw new Error('connection lost');
          return shard.store.scan(cursor, options);
        },
      });
      const warnings: string[] = [];
      const control: EventControl = {
        registrationId: 'r',
        name: 'rescan',
        paused: () => false,
        setStatus: () => undefined,
        warn: (message) => void warnings.push(message),
      };
      const context: ReaderContext = {
        shard: { ...shard, store },
        topology: g.topology,
        owns: () => true,
        invoke: (fn) => fn(),
      };
      const before = vi.getTimerCount();
      const triggers: Trigger[] = [];
      const subscription = streamReaderEvents(context, { prefix: 's', rescanInterval: 10 }, control).subscribe(
        (trigger) => void triggers.push(trigger),
      );
      const settle = async (condition: () => boolean): Promise<void> => {
        for (let i = 0; i < 1000 && !condition(); i++) await flush();
        expect(condition()).toBe(true);
      };
      await settle(() => warnings.length === 1);
      expect(warnings).toEqual(['finding existing streams failed (tried again every 10 s): Error: connection lost']);
      await vi.advanceTimersByTimeAsync(10_000);
      await settle(() => scans === 2);
      await vi.advanceTimersByTimeAsync(10_000);
      await settle(() => triggers.length === 1);
      expect(scans).toBe(3);
      expect(warnings).toHaveLength(1); // the second failure was not reported again

      holding = true;
      await vi.advanceTimersByTimeAsync(10_000);
      await settle(() => scans === 4);
      subscription.unsubscribe();
      hold.resolve();
      for (let i = 0; i < 10; i++) await flush();
      expect(vi.getTimerCount()).toBe(before);
      expect(warnings).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
