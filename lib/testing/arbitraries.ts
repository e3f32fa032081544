import fc from 'fast-check';
import type { RedisArg, RedisReply } from '../store/ShardStore.ts';

/** One key of a generated data set, with its type and value as rxgears' KeysReader reads it back. */
export type RedisEntry =
  | { key: string; type: 'string'; value: string }
  | { key: string; type: 'hash'; value: Record<string, string> }
  | { key: string; type: 'list'; value: string[] }
  | { key: string; type: 'set'; value: string[] }
  | { key: string; type: 'zset'; value: { member: string; score: number }[] }
  | { key: string; type: 'stream'; value: Record<string, string>[] };

export type RedisDataSet = RedisEntry[];
export type RedisEntryType = RedisEntry['type'];

export interface DataSetOptions {
  /** Types to generate (default all six). */
  types?: readonly RedisEntryType[];
  minKeys?: number;
  /** Default 20. */
  maxKeys?: number;
  /**
   * Hashtags to put in key names (`{user1}:a`), so keys land together on one shard: `true` draws from a few
   * short tags, an array uses those tags, `false` (default) none.
   */
  hashtags?: boolean | readonly string[];
  /** Key names, without the run's prefix (default: 1-10 chars of `a-z0-9:_-`). */
  keyName?: fc.Arbitrary<string>;
  /** Strings for values, fields and members (default: short strings, unicode included). */
  text?: fc.Arbitrary<string>;
}

const defaultKeyName = fc.stringMatching(/^[a-z0-9:_-]{1,10}$/);
const defaultText = fc.string({ maxLength: 12 });

/** A random Redis value of one type (never empty: Redis has no empty hashes, lists, sets or streams). */
export function redisValue(
  type: RedisEntryType,
  text: fc.Arbitrary<string> = defaultText,
): fc.Arbitrary<RedisEntry['value']> {
  switch (type) {
    case 'string':
      return text;
    case 'hash':
      return fc.dictionary(text, text, { minKeys: 1, maxKeys: 5 });
    case 'list':
      return fc.array(text, { minLength: 1, maxLength: 6 });
    case 'set':
      return fc.uniqueArray(text, { minLength: 1, maxLength: 6 });
    case 'zset':
      return fc
        .uniqueArray(fc.record({ member: text, score: fc.integer({ min: -1000, max: 1000 }).map((n) => n / 2) }), {
          minLength: 1,
          maxLength: 6,
          selector: (m) => m.member,
        })
        .map((members) => [...members].sort((a, b) => a.score - b.score || (a.member < b.member ? -1 : 1)));
    case 'stream':
      return fc.array(fc.dictionary(text, text, { minKeys: 1, maxKeys: 3 }), { minLength: 1, maxLength: 4 });
  }
}

/**
 * A random Redis data set: unique keys of the chosen types, optionally sharing hashtags.
 *
 * @example
 * fc.assert(fc.asyncProperty(redisDataSet({ types: ['hash'] }), async (data) => { … }))
 */
export function redisDataSet(options: DataSetOptions = {}): fc.Arbitrary<RedisDataSet> {
  const types = options.types ?? (['string', 'hash', 'list', 'set', 'zset', 'stream'] as const);
  const text = options.text ?? defaultText;
  const baseName = options.keyName ?? defaultKeyName;
  const tags = options.hashtags === true ? ['a', 'b', 'c', 'user1'] : options.hashtags || [];
  const keyName =
    tags.length === 0
      ? baseName
      : fc
          .tuple(fc.option(fc.constantFrom(...tags)), baseName)
          .map(([tag, name]) => (tag === null ? name : `{${tag}}${name}`));
  const entry = fc
    .constantFrom(...types)
    .chain((type) =>
      fc.record({ key: keyName, type: fc.constant(type), value: redisValue(type, text) }),
    ) as fc.Arbitrary<RedisEntry>;
  return fc.uniqueArray(entry, {
    minLength: options.minKeys ?? 0,
    maxLength: options.maxKeys ?? 20,
    selector: (e) => e.key,
  });
}

/** The commands that write an entry, with `prefix` in front of the key. */
export function entryCommands(entry: RedisEntry, prefix = ''): RedisArg[][] {
  const key = prefix + entry.key;
  switch (entry.type) {
    case 'string':
      return [['SET', key, entry.value]];
    case 'hash':
      return [['HSET', key, ...Object.entries(entry.value).flat()]];
    case 'list':
      return [['RPUSH', key, ...entry.value]];
    case 'set':
      return [['SADD', key, ...entry.value]];
    case 'zset':
      return [['ZADD', key, ...entry.value.flatMap((m) => [m.score, m.member])]];
    case 'stream':
      return entry.value.map((fields) => ['XADD', key, '*', ...Object.entries(fields).flat()]);
  }
}

/** Writes a data set through an engine (`gears.execute`), each key with `prefix` in front. */
export async function writeDataSet(
  execute: (command: string, ...args: RedisArg[]) => Promise<RedisReply>,
  data: RedisDataSet,
  prefix = '',
): Promise<void> {
  await Promise.all(
    data.map(async (entry) => {
      for (const [command, ...args] of entryCommands(entry, prefix)) await execute(String(command), ...args);
    }),
  );
}
