/**
 * PFADD PFCOUNT PFMERGE PFDEBUG: Redis 7.0's HyperLogLog commands on string values holding its exact byte layout
 * (`Hll.ts`), with its replies, errors and keyspace events (`pfadd`, also for PFMERGE).
 */
import { RedisReplyError } from '../../../errors.ts';
import type { RedisReply } from '../../ShardStore.ts';
import { bytesOf, stringOf, toBytes } from '../bytes.ts';
import type { Keyspace } from '../Keyspace.ts';
import { wrongType } from '../replies.ts';
import type { CommandContext, CommandDef } from '../types.ts';
import { estimate } from './estimate.ts';
import { HLL_DENSE, HLL_SPARSE, Hll } from './Hll.ts';
import { HLL_REGISTERS } from './murmur.ts';

const ERR_INVALID_HLL = 'INVALIDOBJ Corrupted HLL object detected';
const ERR_NOT_HLL = 'WRONGTYPE Key is not a valid HyperLogLog string value.';

const invalid = (): RedisReplyError => new RedisReplyError(ERR_INVALID_HLL);

/** `isHLLObjectOrReply` on the value of `key`: undefined when missing, WRONGTYPE when not a valid HLL string. */
function lookupHll(ks: Keyspace, key: string): Hll | undefined {
  const value = ks.lookup(key);
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw wrongType();
  const hll = Hll.from(bytesOf(value));
  if (hll === undefined) throw new RedisReplyError(ERR_NOT_HLL);
  hll.sparseMaxBytes = ks.config.int('hll-sparse-max-bytes');
  return hll;
}

/** Whether a string value is one PFCOUNT would take (`isHLLObjectOrReply`'s checks). */
export function isHllString(value: string): boolean {
  return Hll.from(bytesOf(value)) !== undefined;
}

/** Writes a changed HLL back in place: same key, same TTL (Redis changes the string it holds). */
function store(ks: Keyspace, key: string, hll: Hll): void {
  ks.set(key, stringOf(hll.toBuffer()), true);
}

function pfadd({ ks }: CommandContext, args: string[]): RedisReply {
  const key = args[0]!;
  let hll = lookupHll(ks, key);
  let updated = 0;
  if (hll === undefined) {
    hll = Hll.create();
    hll.sparseMaxBytes = ks.config.int('hll-sparse-max-bytes');
    updated++;
  }
  for (let j = 1; j < args.length; j++) {
    const result = hll.add(toBytes(args[j]!));
    if (result === -1) {
      // The elements before changed the string already, as in Redis; no event.
      store(ks, key, hll);
      throw invalid();
    }
    updated += result;
  }
  if (updated === 0) return 0;
  hll.invalidateCache();
  store(ks, key, hll);
  ks.notify('pfadd', key);
  return 1;
}

function pfcount({ ks }: CommandContext, args: string[]): RedisReply {
  if (args.length > 1) {
    // The union's count, from the maximum of each register; nothing is written.
    const max = new Uint8Array(HLL_REGISTERS);
    for (const key of args) {
      const hll = lookupHll(ks, key);
      if (hll !== undefined && !hll.mergeInto(max)) throw invalid();
    }
    const histo = new Float64Array(64);
    for (let i = 0; i < HLL_REGISTERS; i++) histo[max[i]!]!++;
    return estimate(histo);
  }
  const key = args[0]!;
  const hll = lookupHll(ks, key);
  if (hll === undefined) return 0;
  const cached = hll.cachedCount();
  if (cached !== undefined) return cached;
  const { histo, invalid: broken } = hll.histogram();
  if (broken) throw invalid();
  const card = estimate(histo);
  // The cache is part of the string: Redis rewrites it (a read-only command that modifies the value: no
  // event, but a WATCH of the key sees it).
  hll.setCachedCount(card);
  store(ks, key, hll);
  ks.touch(key);
  return card;
}

function pfmerge({ ks }: CommandContext, args: string[]): RedisReply {
  const max = new Uint8Array(HLL_REGISTERS);
  let useDense = false;
  for (const key of args) {
    const hll = lookupHll(ks, key);
    if (hll === undefined) continue;
    if (hll.encoding === HLL_DENSE) useDense = true;
    if (!hll.mergeInto(max)) throw invalid();
  }
  const dest = args[0]!;
  let hll = lookupHll(ks, dest);
  if (hll === undefined) {
    hll = Hll.create();
    hll.sparseMaxBytes = ks.config.int('hll-sparse-max-bytes');
  }
  if (useDense && !hll.toDense()) throw invalid();
  for (let j = 0; j < HLL_REGISTERS; j++) if (max[j] !== 0) hll.set(j, max[j]!);
  hll.invalidateCache();
  store(ks, dest, hll);
  // Redis raises `pfadd` for PFMERGE too ("in theory this is a mass-add of elements").
  ks.notify('pfadd', dest);
  return 'OK';
}

/** PFDEBUG GETREG | DECODE | ENCODING | TODENSE key (arity 3 in Redis 7.0: the key is checked first). */
function pfdebug({ ks }: CommandContext, args: string[]): RedisReply {
  const cmd = args[0]!;
  const key = args[1]!;
  const hll = lookupHll(ks, key);
  if (hll === undefined) throw new RedisReplyError('ERR The specified key does not exist');
  switch (cmd.toLowerCase()) {
    case 'getreg':
      if (hll.encoding === HLL_SPARSE) {
        if (!hll.toDense()) throw invalid();
        store(ks, key, hll);
      }
      return hll.registers();
    case 'decode':
      if (hll.encoding !== HLL_SPARSE) throw new RedisReplyError('ERR HLL encoding is not sparse');
      return hll.decode();
    case 'encoding':
      return hll.encoding === HLL_DENSE ? 'dense' : 'sparse';
    case 'todense': {
      if (hll.encoding !== HLL_SPARSE) return 0;
      if (!hll.toDense()) throw invalid();
      store(ks, key, hll);
      return 1;
    }
    default:
      throw new RedisReplyError(`ERR Unknown PFDEBUG subcommand '${cmd}'`);
  }
}

export const hyperLogLogCommands: CommandDef[] = [
  { name: 'pfadd', arity: -2, handler: pfadd },
  { name: 'pfcount', arity: -2, handler: pfcount },
  { name: 'pfmerge', arity: -2, handler: pfmerge },
  { name: 'pfdebug', arity: 3, handler: pfdebug },
];
