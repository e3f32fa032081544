import type { Redis } from 'ioredis';
import type { KeyData, KeyType } from '../ShardStore.ts';
import { send } from './connection.ts';
import { pairsToRecord, toReply, toStrings, toZSetMembers } from './replies.ts';
import { wireArgs } from '../bytes.ts';

/**
 * How `readKeys` gets TYPE and value of a batch of keys.
 *
 * - `'pipeline'` (default): plain pipelined reads on a raw connection of the store's own (`PipelinedReader`):
 *   one buffer of pre-encoded commands per batch, each key read as the type of the key read before it (HGETALL
 *   after a hash), a WRONGTYPE answer read again the long way (TYPE, then the typed read). No script, so it
 *   also works where the server refuses them (ACL without `@scripting`, a managed service with EVAL disabled).
 *   A key deleted between the rounds reads as `'none'`; a key whose type changed between them is read again.
 *   Measured with workload 1 (200 000 hashes, pages of 1 000, bench/README "Round 4"): Redis spends what plain
 *   pipelined HGETALLs cost (372 ms against 792 ms for the script), and the client less than with the script.
 *   Through ioredis (`readKeysByPipeline`: the same guess, one pipelined round, replies as text) while the
 *   store's command connection is not ready, and for a batch a Sentinel failover cut off its raw connection (a
 *   Sentinel client's raw connection follows the master ioredis is connected to).
 * - `'script'`: one `EVALSHA` per batch that runs the guessed read (or TYPE and the typed read) of every key on
 *   the server — one round trip, type and value consistent (a script is atomic), but every key crosses the Lua
 *   boundary: about twice Redis' CPU of plain reads. Keys go in ARGV, not KEYS: a script without a shebang may
 *   touch undeclared keys of several slots as long as this node owns them, which SCAN's keys are. Falls back to
 *   `'pipeline'` from the first time the server refuses scripts.
 */
export type ReadStrategy = 'script' | 'pipeline';

/**
 * Returns type then value (or false → nil) for every key in ARGV[2..]; ARGV[1] = '1' to read values.
 *
 * Keys that SCAN returns together are usually of one type, so the script guesses that a key has the type of
 * the key before it and reads it straight away (one `redis.pcall` instead of TYPE + read). A guess is exact
 * when the read answers: Redis deletes empty collections, so an empty reply (nil for GET) means the key is
 * gone, whatever its type was; a WRONGTYPE error means the guess was wrong, and the key is read the long way,
 * TYPE then the typed read. Measured on Redis 7.0 with 200 000 hashes in 1000-key batches: 450 ms of Redis
 * CPU against 600 ms for TYPE + read of every key (plain pipelined HGETALLs: 300 ms, but 1.6 s of client CPU
 * in ioredis against 0.2 s). Keys alternating between types pay one failed guess each.
 */
export const READ_KEYS_SCRIPT = `
local out = {}
local readValue = ARGV[1] == '1'
local call, pcall = redis.call, redis.pcall
local reads = {
  string = function(key, f) return f('GET', key) end,
  hash = function(key, f) return f('HGETALL', key) end,
  list = function(key, f) return f('LRANGE', key, 0, -1) end,
  set = function(key, f) return f('SMEMBERS', key) end,
  zset = function(key, f) return f('ZRANGE', key, 0, -1, 'WITHSCORES') end,
}
local guess, guessed = nil, nil
for i = 2, #ARGV do
  local key = ARGV[i]
  local t = nil
  local v = false
  if guess then
    local r = guess(key, pcall)
    if type(r) ~= 'table' then
      if r then t = 'string'; v = r else t = 'none' end
    elseif not r['err'] then
      if #r == 0 then t = 'none' else t = guessed; v = r end
    end
  end
  if not t then
    t = call('TYPE', key)['ok']
    local read = readValue and reads[t]
    if read then
      v = read(key, call)
      guess = read
      guessed = t
    end
  end
  out[#out + 1] = t
  out[#out + 1] = v
end
return out`;

/** The read command for each type that has a value. */
const READS: Partial<Record<string, readonly string[]>> = {
  string: ['GET'],
  hash: ['HGETALL'],
  list: ['LRANGE', '0', '-1'],
  set: ['SMEMBERS'],
  zset: ['ZRANGE', '0', '-1', 'WITHSCORES'],
};

/**
 * A key's type and raw reply as `KeyData`. `undefined` when the reply says the key is gone (nil, or an empty
 * collection: Redis deletes empty collections, so an empty reply means the key vanished after TYPE).
 *
 * Types outside `KeyType` (module types such as `ReJSON-RL`, Redis 8 `vectorset`) are passed through with
 * value `null`: hiding the key or renaming its type would be worse than a type name the union lacks.
 */
export function toKeyData(key: string, type: string, raw: unknown, readValue: boolean): KeyData | undefined {
  if (type === 'none') return { key, type: 'none', value: null };
  if (type === 'stream' || !readValue || READS[type] === undefined)
    return { key, type: type as KeyType, value: null } as KeyData;
  if (raw === null || raw === undefined || (Array.isArray(raw) && raw.length === 0)) return undefined;
  const items: readonly unknown[] = Array.isArray(raw) ? raw : [];
  switch (type) {
    case 'string':
      return { key, type, value: String(toReply(raw)) };
    case 'hash':
      return { key, type, value: pairsToRecord(items) };
    case 'list':
      return { key, type, value: toStrings(items) };
    case 'set':
      return { key, type, value: toStrings(items) };
    default:
      return { key, type: 'zset', value: toZSetMembers(items) };
  }
}

/** One EVALSHA (EVAL when the script is not cached yet) for the whole batch. */
export async function readKeysByScript(
  client: Redis,
  sha: string,
  keys: readonly string[],
  readValue: boolean,
): Promise<KeyData[]> {
  const args = [readValue ? '1' : '0', ...keys];
  let reply: unknown;
  try {
    reply = await send(client, 'EVALSHA', [sha, '0', ...args]);
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
    reply = await send(client, 'EVAL', [READ_KEYS_SCRIPT, '0', ...args]);
  }
  const flat = Array.isArray(reply) ? reply : [];
  return keys.map((key, i) => {
    const type = String(toReply(flat[2 * i]));
    return toKeyData(key, type, flat[2 * i + 1], readValue) ?? { key, type: 'none', value: null };
  });
}

/**
 * Runs one explicit pipeline; a command's error reply comes back in its slot, a connection error throws. With
 * `text`, replies come as strings (UTF-8 decoded by ioredis' parser: cheaper than Buffers, but bytes that are not
 * UTF-8 turn into U+FFFD, so the caller reads those keys again as bytes).
 */
async function runPipeline(
  client: Redis,
  commands: readonly (readonly string[])[],
  text = false,
): Promise<[Error | null, unknown][]> {
  if (commands.length === 0) return [];
  const pipeline = client.pipeline();
  for (const [name, ...args] of commands) {
    if (text) pipeline.call(name!, ...wireArgs(args));
    else pipeline.callBuffer(name!, ...wireArgs(args));
  }
  const results = (await pipeline.exec()) ?? [];
  for (const [error] of results) {
    if (error && error.name !== 'ReplyError') throw error;
  }
  return results;
}

/** What `readKeysByPipeline` keeps from one batch to the next: the type of the last key read with a value. */
export interface PipelineGuess {
  type: string | undefined;
}

/** Whether a text reply holds U+FFFD: bytes that were not UTF-8 (or the character itself), read again as bytes. */
function hasReplacement(reply: unknown): boolean {
  if (typeof reply === 'string') return reply.includes('\ufffd');
  if (!Array.isArray(reply)) return false;
  for (const item of reply) if (typeof item === 'string' && item.includes('\ufffd')) return true;
  return false;
}

/**
 * Reads `indexes` as `type` in one pipelined round (as text; the keys whose text shows U+FFFD once more as
 * bytes). The keys that are not of `type` go to `wrong`; another error reply throws.
 */
async function readAs(
  client: Redis,
  keys: readonly string[],
  indexes: readonly number[],
  type: string,
  results: (KeyData | undefined)[],
  wrong: number[],
  guess: PipelineGuess,
): Promise<void> {
  const [name, ...rest] = READS[type]!;
  let todo = indexes;
  for (const text of [true, false]) {
    const replies = await runPipeline(
      client,
      todo.map((index) => [name!, keys[index]!, ...rest]),
      text,
    );
    const again: number[] = [];
    for (let j = 0; j < todo.length; j++) {
      const index = todo[j]!;
      const [error, reply] = replies[j]!;
      if (error?.message.startsWith('WRONGTYPE')) wrong.push(index);
      else if (error) throw error;
      else if (text && hasReplacement(reply)) again.push(index);
      else {
        const data = toKeyData(keys[index]!, type, reply, true);
        results[index] = data ?? { key: keys[index]!, type: 'none', value: null };
        if (data) guess.type = type;
      }
    }
    if (again.length === 0) return;
    todo = again;
  }
}

/**
 * The `'pipeline'` strategy through ioredis (while the store's connection is not ready, or for a batch a
 * Sentinel failover cut off its raw connection), the same way as `PipelinedReader` on a raw connection: each key is first read as
 * the type of the key read before it (`guess`, kept across batches), in one pipelined round; a WRONGTYPE reply
 * sends the key the long way, a pipelined TYPE round, then the typed reads. With no guess yet or
 * `readValue: false`, keys start with TYPE.
 */
export async function readKeysByPipeline(
  client: Redis,
  keys: readonly string[],
  readValue: boolean,
  guess: PipelineGuess = { type: undefined },
): Promise<KeyData[]> {
  const results = new Array<KeyData | undefined>(keys.length);
  let pending = keys.map((_, i) => i);
  if (readValue && guess.type !== undefined) {
    const all = pending;
    pending = [];
    await readAs(client, keys, all, guess.type, results, pending, guess);
  }
  // A key whose type changes between the rounds is read again; after 3 rounds it is reported as gone.
  for (let round = 0; round < 3 && pending.length > 0; round++) {
    const types = await runPipeline(
      client,
      pending.map((i) => ['TYPE', keys[i]!]),
    );
    const byType = new Map<string, number[]>();
    pending.forEach((index, j) => {
      const [error, reply] = types[j]!;
      if (error) throw error;
      const type = String(toReply(reply));
      if (!readValue || READS[type] === undefined) results[index] = toKeyData(keys[index]!, type, null, readValue);
      else {
        const list = byType.get(type) ?? [];
        list.push(index);
        byType.set(type, list);
      }
    });
    pending = [];
    for (const [type, indexes] of byType) await readAs(client, keys, indexes, type, results, pending, guess);
    pending.sort((a, b) => a - b);
  }
  return results.map((data, i) => data ?? { key: keys[i]!, type: 'none', value: null });
}
