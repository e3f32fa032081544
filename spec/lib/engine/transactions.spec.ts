import { afterEach, describe, expect, it } from 'vitest';
import { atomic, execute, type Gears } from '../../../lib/index.ts';
import { allBackends, deleteKeys, uniquePrefix } from '../../support/backends.ts';

let gears: Gears | undefined;
let prefix = '';
afterEach(async () => {
  if (gears) {
    for (const r of gears.dumpRegistrations()) gears.unregister(r.id);
    await deleteKeys(gears, `${prefix}*`);
    await gears.close();
  }
  gears = undefined;
});

describe.each(allBackends())('writes in MULTI/EXEC on $name', (backend) => {
  it('trigger sync registrations, which have run once settleSync() resolves', async () => {
    const g = (gears = await backend.connect());
    prefix = uniquePrefix('tx');
    const key = `{${prefix}}a`;
    await g
      .GB()
      .foreach(async (r) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        await execute('SET', `${r.key}:seen`, String(r.event));
      })
      .register({ prefix: `{${prefix}}a`, mode: 'sync' });
    // atomic() sends its writes in MULTI/EXEC.
    await atomic(async () => {
      await execute('GET', key);
      await execute('SET', key, '1');
    });
    await g.settleSync();
    expect(await g.execute('GET', `${key}:seen`)).toBe('set');
  });
});
