import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { wireArgs } from '../../../../lib/store/bytes.ts';
import type { ShardStore } from '../../../../lib/store/ShardStore.ts';
import { deletePrefix, describeStep, runStep, storesUnderTest, uniquePrefix, type Caller } from './runner.ts';
import { scripts } from './scripts.ts';

// The oracle is the real Redis of the global setup, on a database of its own (8) so key names — which some
// error messages quote — are the same for it and for the store under test.
describe.each(storesUnderTest)('the $name store answers like Redis 7.0', ({ name, open }) => {
  let oracle: Redis;
  let store: ShardStore;
  let redisCall: Caller;
  let storeCall: Caller;

  beforeAll(async () => {
    oracle = new Redis(inject('redisUrl'), { db: 8, lazyConnect: true });
    await oracle.connect();
    redisCall = (command, ...args) => oracle.call(command, ...wireArgs(args));
    store = await open();
    storeCall = (command, ...args) => store.call(command, ...args);
  });

  afterAll(async () => {
    await store.close();
    oracle.disconnect();
  });

  for (const script of scripts.filter((s) => s.standalone !== true || name !== 'cluster master')) {
    it(`${script.name}`, async () => {
      const prefix = uniquePrefix(name);
      const mismatches: { step: string; redis: unknown; store: unknown }[] = [];
      try {
        for (const [index, step] of script.steps.entries()) {
          const expected = await runStep(redisCall, step, prefix);
          const actual = await runStep(storeCall, step, prefix);
          try {
            expect(actual).toEqual(expected);
          } catch {
            mismatches.push({ step: describeStep(step, index), redis: expected, store: actual });
          }
        }
      } finally {
        await deletePrefix(redisCall, prefix);
        await deletePrefix(storeCall, prefix);
      }
      expect(mismatches.map((m) => JSON.stringify(m))).toEqual([]);
    });
  }
});
