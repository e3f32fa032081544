/**
 * Connection state on the embedded store: a client of `rxgears serve` without `--redis` (one shard) gets a
 * `MemorySession`, which answers MULTI/EXEC/WATCH and parks blocking commands natively — nothing is shared
 * between clients there, so nothing needs refusing. What the session does not claim takes the proxy's path.
 * A transaction holding hooked commands runs at EXEC split at them (`hookedTransaction.ts`).
 */
import type { Gears } from '../../Gears.ts';
import {
  MemorySession,
  MemoryStore,
  NULL_ARRAY,
  Status,
  withNullArrays,
  type OutsideCommands,
  type QueuedEntry,
  type SessionReply,
} from '../../store/memory/index.ts';
import { RedisReplyError } from '../../errors.ts';
import type { RedisReply } from '../../store/ShardStore.ts';
import { runSplit } from './hookedTransaction.ts';
import {
  encodeReply,
  ErrorReply,
  NULL_ARRAY_REPLY,
  NullArrayReply,
  RawReply,
  SimpleString,
  type Protocol,
  type Reply,
} from '../protocol/replies.ts';
import { valueReply } from '../rg/convert.ts';
import { fromBytes } from '../../store/memory/bytes.ts';
import { isBlockingRequest } from './WireProxy.ts';
import { repliesStatus } from './proxy.ts';
import { resp3Shape } from '../protocol/resp3Shapes.ts';
import { ShardedSession, type ClientSession } from './ShardedSession.ts';
import type { Shard } from '../../cluster/topology.ts';

/**
 * A session for a connection when the engine's data is the embedded store (several shards: transactions and
 * blocking commands within one slot, see `ShardedSession.ts`); undefined otherwise.
 */
export function memorySessionFor(gears: Gears): ClientSession | undefined {
  const shards = gears.shards;
  if (gears.topology.kind !== 'memory' || shards.length === 0) return undefined;
  if (!shards.every((shard) => shard.store instanceof MemoryStore)) return undefined;
  const sessionOf = (shard: Shard): MemorySession =>
    new MemorySession(shard.store as MemoryStore, hookedCommands(gears), repliesStatus);
  return shards.length === 1 ? sessionOf(shards[0]!) : new ShardedSession(shards, sessionOf);
}

/** The hooked commands of a transaction: the server runs them through their chains at EXEC. */
function hookedCommands(gears: Gears): OutsideCommands {
  return {
    claims: (upper) => gears.isHooked(upper),
    exec: (queue, atomically) =>
      runSplit(
        gears,
        queue.map((entry) => ({
          name: entry.name,
          args: entry.args.map(String),
          command: entry,
          hooked: entry.outside,
        })),
        async (entries) => atomically(entries),
        sessionReplyOf,
      ),
  };
}

function sessionReplyOf(reply: Reply): SessionReply {
  if (reply instanceof NullArrayReply) return NULL_ARRAY;
  if (reply instanceof SimpleString) return new Status(reply.value);
  if (reply instanceof ErrorReply) return new RedisReplyError(reply.message);
  if (Array.isArray(reply)) return (reply as Reply[]).map(sessionReplyOf);
  return reply as RedisReply;
}

/** Whether the session answers this request (its state, a transaction command, or a blocking command). */
export function sessionClaims(session: ClientSession, upper: string, request: readonly Buffer[]): boolean {
  return session.claims(upper) || isBlockingRequest(upper, request);
}

function toReply(reply: SessionReply): Reply {
  if (reply === NULL_ARRAY) return NULL_ARRAY_REPLY;
  if (reply instanceof Status) return new SimpleString(reply.status);
  if (reply instanceof RedisReplyError) return new ErrorReply(reply.message);
  if (Array.isArray(reply)) return reply.map(toReply);
  return valueReply(reply);
}

/**
 * Runs a request on the client's session and converts the reply; a transaction's or a blocking pop's writes
 * then wait for the sync registrations they triggered, as the proxy's do. `protocolAt`: EXEC's replies are in
 * several protocols (a HELLO queued in the transaction switched it), each of its own, already encoded.
 */
export async function runOnSession(
  gears: Gears,
  session: ClientSession,
  upper: string,
  request: readonly Buffer[],
  protocol: Protocol,
  protocolAt?: (index: number) => Protocol,
): Promise<Reply | Buffer> {
  const [name = '', ...args] = request.map((arg) => fromBytes(arg)); // binary bytes kept, see store/memory/bytes.ts
  const wasQueueing = session.inMulti;
  const queued = upper === 'EXEC' ? session.queued : undefined;
  const reply = await session.handle(upper, name, args);
  if ((upper === 'EXEC' && wasQueueing) || (!wasQueueing && isBlockingRequest(upper, request))) {
    await gears.settleSync().catch(() => undefined);
  }
  // Blocking pops and reads that time out answer a null array, not a null bulk string (GEOPOS: per missing member).
  const value = withNullArrays(upper, args, reply);
  if (upper === 'EXEC' && protocolAt !== undefined && Array.isArray(reply) && queued?.length === reply.length) {
    return execMixed(queued, reply, protocolAt);
  }
  if (protocol === 2) return toReply(value);
  // After HELLO 3: a blocking pop's reply (BZPOPMIN's double score), and each of EXEC's replies in its own shape.
  if (upper !== 'EXEC') return resp3Shape(upper, args, toReply(value));
  return Array.isArray(reply) && queued?.length === reply.length ? execResp3(queued, reply) : toReply(reply);
}

/** EXEC's replies after HELLO 3, each in the RESP3 shape of the command queued for it, as Redis 7 sends them. */
function execResp3(queued: readonly QueuedEntry[], replies: readonly SessionReply[]): Reply[] {
  return replies.map((reply, i) => {
    const { name, args } = queued[i]!;
    return resp3Shape(name.toUpperCase(), args.map(String), toReply(reply));
  });
}

/** EXEC's replies each encoded in the protocol in effect at its place (RESP3 ones in their RESP3 shapes). */
function execMixed(
  queued: readonly QueuedEntry[],
  replies: readonly SessionReply[],
  protocolAt: (index: number) => Protocol,
): Reply[] {
  return replies.map((reply, i) => {
    const { name, args } = queued[i]!;
    const protocol = protocolAt(i);
    const shaped = protocol === 3 ? resp3Shape(name.toUpperCase(), args.map(String), toReply(reply)) : toReply(reply);
    const encoded = encodeReply(shaped, protocol);
    return new RawReply(typeof encoded === 'string' ? Buffer.from(encoded, 'utf8') : encoded);
  });
}
