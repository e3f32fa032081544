/**
 * DUMP and RESTORE with Redis 7.0's payloads (rdbSave.ts, rdbLoad.ts): a value dumped from redis-server restores
 * here and the other way round. RESTORE's IDLETIME and FREQ are checked as Redis checks them and then dropped:
 * the store tracks neither (OBJECT IDLETIME answers 0, OBJECT FREQ 0).
 */
import { RedisReplyError } from '../../../errors.ts';
import type { RedisReply } from '../../ShardStore.ts';
import { fromBytes, toBytes } from '../bytes.ts';
import { BadFormat } from './listpack.ts';
import { intArg } from '../numbers.ts';
import { payloadIsValid, restoreValue } from './rdbLoad.ts';
import { dumpPayload } from './rdbSave.ts';
import { syntaxError } from '../replies.ts';
import type { CommandContext, CommandDef } from '../types.ts';
import type { Value } from '../values.ts';

function dump({ ks }: CommandContext, args: string[]): RedisReply {
  const value = ks.lookup(args[0]!);
  return value === undefined ? null : fromBytes(dumpPayload(ks, value));
}

/** `RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f]`, checked in Redis' order. */
function restore({ ks }: CommandContext, args: string[]): RedisReply {
  const key = args[0]!;
  let replace = false;
  let absttl = false;
  let idle = -1;
  let freq = -1;
  for (let j = 3; j < args.length; j++) {
    const opt = args[j]!.toLowerCase();
    const more = j + 1 < args.length;
    if (opt === 'replace') replace = true;
    else if (opt === 'absttl') absttl = true;
    else if (opt === 'idletime' && more && freq === -1) {
      idle = intArg(args[++j]!);
      if (idle < 0) throw new RedisReplyError('ERR Invalid IDLETIME value, must be >= 0');
    } else if (opt === 'freq' && more && idle === -1) {
      freq = intArg(args[++j]!);
      if (freq < 0 || freq > 255) throw new RedisReplyError('ERR Invalid FREQ value, must be >= 0 and <= 255');
    } else throw syntaxError();
  }
  if (!replace && ks.lookup(key) !== undefined) {
    throw new RedisReplyError('BUSYKEY Target key name already exists.');
  }
  const ttl = intArg(args[1]!);
  if (ttl < 0) throw new RedisReplyError('ERR Invalid TTL value, must be >= 0');
  const payload = toBytes(args[2]!);
  if (!payloadIsValid(payload)) throw new RedisReplyError('ERR DUMP payload version or checksum are wrong');
  let value: Value;
  try {
    value = restoreValue(ks, payload);
  } catch (error) {
    if (error instanceof BadFormat) throw new RedisReplyError('ERR Bad data format');
    throw error;
  }
  const deleted = replace && ks.remove(key);
  const deadline = ttl !== 0 && !absttl ? ttl + ks.time : ttl;
  if (ttl !== 0 && deadline <= ks.time) {
    // Already expired: nothing is created, and a replaced key is simply gone.
    if (deleted) ks.notify('del', key);
    return 'OK';
  }
  ks.add(key, value);
  if (ttl !== 0) ks.setExpire(key, deadline);
  ks.notify('restore', key);
  return 'OK';
}

export const dumpCommands: CommandDef[] = [
  { name: 'dump', arity: 2, handler: dump },
  { name: 'restore', arity: -4, handler: restore },
];
