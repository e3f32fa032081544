/** Moving elements between lists: RPOPLPUSH and LMOVE. */
import type { RedisReply } from '../../ShardStore.ts';
import { Deque } from './Deque.ts';
import { readList } from './lists.ts';
import { syntaxError } from '../replies.ts';
import type { Keyspace } from '../Keyspace.ts';
import type { CommandDef } from '../types.ts';

type End = 'left' | 'right';

function endArg(text: string): End {
  const upper = text.toUpperCase();
  if (upper === 'LEFT') return 'left';
  if (upper === 'RIGHT') return 'right';
  throw syntaxError();
}

/** `lmoveGenericCommand`: the push on the destination is notified before the pop on the source, as in Redis. */
export function moveElement(ks: Keyspace, src: string, dst: string, from: End, to: End): RedisReply {
  const source = readList(ks, src);
  if (source === undefined || source.length === 0) return null;
  let target = readList(ks, dst);
  const value = (from === 'left' ? source.popFront() : source.popBack()) as string;
  if (target === undefined) {
    target = new Deque();
    ks.add(dst, target);
  }
  if (to === 'left') target.pushFront(value);
  else target.pushBack(value);
  ks.notify(to === 'left' ? 'lpush' : 'rpush', dst);
  ks.signal(dst);
  ks.notify(from === 'left' ? 'lpop' : 'rpop', src);
  if (source.length === 0 && ks.data.get(src) === source) {
    ks.remove(src);
    ks.notify('del', src);
  }
  return value;
}

export const listMoveCommands: CommandDef[] = [
  { name: 'rpoplpush', arity: 3, handler: ({ ks }, args) => moveElement(ks, args[0]!, args[1]!, 'right', 'left') },
  {
    name: 'lmove',
    arity: 5,
    handler: (ctx, args) => {
      const from = endArg(args[2]!);
      const to = endArg(args[3]!);
      return moveElement(ctx.ks, args[0]!, args[1]!, from, to);
    },
  },
];
