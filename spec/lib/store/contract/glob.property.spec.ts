import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { compileGlob, globMatch } from '../../../../lib/store/memory/index.ts';

// Keys must be whole names (a prefix would change what a pattern matches), so the property works in a database
// nobody else uses (8 is the contract oracle's, 9 a Redis store's under test), and deletes exactly the keys it
// wrote.
let redis: Redis;

beforeAll(async () => {
  redis = new Redis(inject('redisUrl'), { db: 10, lazyConnect: true });
  await redis.connect();
});

afterAll(() => {
  redis.disconnect();
});

// A small alphabet with every character the matcher treats specially, and a two-byte one (é) so that `?` and
// ranges are checked on UTF-8 bytes as Redis sees them.
const char = fc.constantFrom('a', 'b', 'c', 'x', '-', '^', ']', '[', '\\', '*', '?', '/', 'é');
const plain = fc.constantFrom('a', 'b', 'c', 'x', '-', '/', 'é');

const fragment = fc.oneof(
  { weight: 4, arbitrary: plain },
  { weight: 2, arbitrary: fc.constant('*') },
  { weight: 2, arbitrary: fc.constant('?') },
  { weight: 1, arbitrary: fc.tuple(plain, plain).map(([a, b]) => `[${a}-${b}]`) },
  { weight: 1, arbitrary: fc.array(char, { maxLength: 3 }).map((cs) => `[${cs.join('')}]`) },
  { weight: 1, arbitrary: fc.array(char, { maxLength: 3 }).map((cs) => `[^${cs.join('')}]`) },
  { weight: 1, arbitrary: char.map((c) => `\\${c}`) },
  { weight: 1, arbitrary: char },
);

const pattern = fc.array(fragment, { maxLength: 6 }).map((parts) => parts.join(''));
const key = fc.array(char, { maxLength: 6 }).map((cs) => cs.join(''));

it('matches exactly the keys real Redis KEYS returns, for random patterns and keys', async () => {
  await fc.assert(
    fc.asyncProperty(pattern, fc.uniqueArray(key, { minLength: 1, maxLength: 12 }), async (p, keys) => {
      await redis.mset(...keys.flatMap((k) => [k, '1']));
      try {
        const expected = (await redis.keys(p)).sort();
        const actual = keys.filter((k) => globMatch(p, k)).sort();
        expect(actual).toEqual(expected);
      } finally {
        await redis.del(...keys);
      }
    }),
    { numRuns: 300 },
  );
});

it('agrees with itself when compiled once and used many times', () => {
  fc.assert(
    fc.property(pattern, key, (p, k) => {
      expect(compileGlob(p)(k)).toBe(globMatch(p, k));
    }),
    { numRuns: 200 },
  );
});
