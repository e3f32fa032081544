/** Commands over several sets: SMOVE, SINTER, SUNION, SDIFF and their STORE forms. */
import type { RedisReply } from '../../ShardStore.ts';
import type { Keyspace } from '../Keyspace.ts';
import { toInt64 } from '../numbers.ts';
import { MAX_INTSET_ENTRIES, readSet, setMembers } from './sets.ts';
import { type CommandContext, type CommandDef } from '../types.ts';
import { RSet } from '../values.ts';

function smove({ ks }: CommandContext, args: string[]): RedisReply {
  const [src, dst, member] = [args[0]!, args[1]!, args[2]!];
  const from = readSet(ks, src);
  if (from === undefined) return 0; // before the destination's type check, as Redis does
  let to = readSet(ks, dst);
  if (from === to) return from.members.has(member) ? 1 : 0;
  if (!from.members.delete(member)) return 0;
  ks.notify('srem', src);
  ks.removeIfEmpty(src, from.members.size);
  if (to === undefined) {
    to = new RSet();
    ks.add(dst, to);
  }
  if (!to.members.has(member)) {
    addMember(to, member);
    ks.notify('sadd', dst);
  }
  return 1;
}

function addMember(set: RSet, member: string): void {
  set.members.add(member);
  if (set.intset && (toInt64(member) === undefined || set.members.size > MAX_INTSET_ENTRIES)) set.intset = false;
}

type SetOp = 'inter' | 'union' | 'diff';

/** The sets named by `keys` (WRONGTYPE for any other type; a missing key is an empty set, `undefined`). */
function sources(ks: Keyspace, keys: string[]): (RSet | undefined)[] {
  return keys.map((key) => readSet(ks, key));
}

function compute(op: SetOp, sets: (RSet | undefined)[]): RSet {
  const out = new RSet();
  const [first, ...rest] = sets;
  if (op === 'union') {
    for (const set of sets) if (set !== undefined) for (const m of set.members) addMember(out, m);
  } else if (op === 'diff') {
    if (first !== undefined) {
      for (const m of first.members) if (!rest.some((s) => s?.members.has(m))) addMember(out, m);
    }
  } else if (!sets.includes(undefined)) {
    // Iterate the smallest set, as Redis does.
    const ordered = [...(sets as RSet[])].sort((a, b) => a.members.size - b.members.size);
    const [smallest, ...others] = ordered;
    for (const m of smallest!.members) if (others.every((s) => s.members.has(m))) addMember(out, m);
  }
  return out;
}

function setOp(op: SetOp, store: boolean) {
  const event = `s${op}store`;
  return ({ ks }: CommandContext, args: string[]): RedisReply => {
    const dst = store ? args[0]! : undefined;
    const sets = sources(ks, store ? args.slice(1) : args);
    const result = compute(op, sets);
    if (dst === undefined) return setMembers(result);
    if (result.members.size > 0) {
      ks.set(dst, result);
      ks.notify(event, dst);
    } else if (ks.lookup(dst) !== undefined) {
      ks.remove(dst);
      ks.notify('del', dst);
    }
    return result.members.size;
  };
}

export const setOpCommands: CommandDef[] = [
  { name: 'smove', arity: 4, handler: smove },
  { name: 'sinter', arity: -2, handler: setOp('inter', false) },
  { name: 'sunion', arity: -2, handler: setOp('union', false) },
  { name: 'sdiff', arity: -2, handler: setOp('diff', false) },
  { name: 'sinterstore', arity: -3, handler: setOp('inter', true) },
  { name: 'sunionstore', arity: -3, handler: setOp('union', true) },
  { name: 'sdiffstore', arity: -3, handler: setOp('diff', true) },
];
