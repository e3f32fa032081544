import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ShardStore } from '../../../../lib/store/ShardStore.ts';
import { deletePrefix, runStep, storesUnderTest, uniquePrefix, type Caller } from './runner.ts';
import { contractRuns, randomStep } from './randomCommands.ts';

// Every reply (or error message) of the store under test must equal Redis' for the same sequence.
describe.each(storesUnderTest)('the $name store answers random command sequences like Redis', ({ name, open }) => {
  let oracle: Redis;
  let store: ShardStore;
  const redisCall: Caller = (command, ...args) => oracle.call(command, ...args);
  const storeCall: Caller = (command, ...args) => store.call(command, ...args);

  beforeAll(async () => {
    oracle = new Redis(inject('redisUrl'), { db: 8 });
    store = await open();
  });

  afterAll(async () => {
    await store.close();
    oracle.disconnect();
  });

  it('gives the same reply at every step', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(randomStep, { minLength: 1, maxLength: 25 }), async (steps) => {
        const prefix = uniquePrefix(`${name}-random`);
        try {
          const redis = [];
          const ours = [];
          for (const s of steps) {
            redis.push(await runStep(redisCall, s, prefix));
            ours.push(await runStep(storeCall, s, prefix));
          }
          expect(ours).toEqual(redis);
        } finally {
          await deletePrefix(redisCall, prefix);
          await deletePrefix(storeCall, prefix);
        }
      }),
      { numRuns: contractRuns },
    );
  });
});
