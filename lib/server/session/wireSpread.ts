import { elementsOf, isErrorFrame, requestFrame } from '../../store/redis/frames.ts';
import type { WireEndpoint } from '../../store/redis/wire.ts';
import type { Protocol } from '../protocol/replies.ts';
import type { WireProxy } from './WireProxy.ts';
import { slotOfBytes } from '../../cluster/slots.ts';

/** Multi-key commands split per slot over a cluster, their integer replies summed. */
const PER_KEY_SUM = new Set(['DEL', 'UNLINK', 'EXISTS', 'TOUCH']);

/** Keyless commands about the whole keyspace, asked of every node and combined. */
const EVERY_NODE = new Set(['KEYS', 'DBSIZE', 'FLUSHALL', 'FLUSHDB', 'SCAN', 'RANDOMKEY']);

/** Commands of this module that write (they take the deployments gate and wait for sync registrations). */
export const SPREAD_WRITES = new Set(['DEL', 'UNLINK', 'FLUSHALL', 'FLUSHDB']);

/** SCAN over several nodes: the node's index lives in the low bits of the cursor the client sees (as proxy.ts). */
const NODE_BITS = 14n;

const CRLF = Buffer.from('\r\n');

/** Whether `spread` answers this request on a cluster (not hooked: hooks take the engine's path). */
export function spreads(upper: string, args: readonly Buffer[]): boolean {
  if (EVERY_NODE.has(upper)) return true;
  if (upper !== 'MGET' && !PER_KEY_SUM.has(upper)) return false;
  return args.length > 2;
}

function ask(wire: WireProxy, endpoint: WireEndpoint, protocol: Protocol, args: readonly Buffer[]): Promise<Buffer> {
  return new Promise((resolve) =>
    wire.pool.shared(endpoint, protocol).request(requestFrame(args), (reply) => {
      resolve(reply instanceof Error ? Buffer.from(`-ERR ${reply.message.replace(/[\r\n]/g, ' ')}\r\n`) : reply);
    }),
  );
}

/** The number in an integer reply (`:12\r\n`), or undefined for anything else. */
function integerOf(frame: Buffer): number | undefined {
  if (frame[0] !== 0x3a) return undefined;
  return Number(frame.toString('latin1', 1, frame.length - 2));
}

const arrayOf = (elements: readonly Buffer[]): Buffer =>
  Buffer.concat([Buffer.from(`*${elements.length}\r\n`), ...elements]);

const bulk = (text: string): Buffer => Buffer.concat([Buffer.from(`$${Buffer.byteLength(text)}\r\n${text}`), CRLF]);

/**
 * Cluster commands over several slots or the whole keyspace, done on the raw connections so that keys and
 * values stay bytes: `DEL`/`UNLINK`/`EXISTS`/`TOUCH` and `MGET` are split per slot (each part atomic, the whole
 * not, as the engine's path does), `KEYS`, `DBSIZE`, `FLUSHALL`, `FLUSHDB` ask every master, `SCAN` walks them
 * one after the other (the cursor carries the master), `RANDOMKEY` asks them in a random order until one has a
 * key. Every reply is put together from the nodes' reply bytes; a node's error is the reply.
 */
export async function spread(
  wire: WireProxy,
  protocol: Protocol,
  upper: string,
  args: readonly Buffer[],
): Promise<Buffer> {
  const endpoints = wire.allEndpoints();
  if (upper === 'SCAN') return scan(wire, protocol, endpoints, args);
  if (EVERY_NODE.has(upper)) {
    const order = upper === 'RANDOMKEY' ? [...endpoints].sort(() => Math.random() - 0.5) : endpoints;
    if (upper === 'RANDOMKEY') {
      let last: Buffer = Buffer.from('$-1\r\n');
      for (const endpoint of order) {
        last = await ask(wire, endpoint, protocol, args);
        const nil = last[0] === 0x5f || (last[0] === 0x24 && last[1] === 0x2d);
        if (!nil) return last;
      }
      return last;
    }
    const replies = await Promise.all(order.map((endpoint) => ask(wire, endpoint, protocol, args)));
    const failed = replies.find(isErrorFrame);
    if (failed) return failed;
    if (upper === 'DBSIZE')
      return Buffer.from(`:${replies.reduce((sum, reply) => sum + (integerOf(reply) ?? 0), 0)}\r\n`);
    if (upper === 'KEYS') return arrayOf(replies.flatMap((reply) => elementsOf(reply) ?? []));
    return replies[0]!; // FLUSHALL / FLUSHDB: OK from each
  }
  // Keys grouped by slot, in the order they came; each group one request to the slot's master.
  const groups = new Map<number, number[]>();
  for (let i = 1; i < args.length; i++) {
    const slot = slotOfBytes(args[i]!);
    const group = groups.get(slot);
    if (group) group.push(i);
    else groups.set(slot, [i]);
  }
  const parts = [...groups];
  const replies = await Promise.all(
    parts.map(([slot, indexes]) => {
      const endpoint = wire.endpointOfSlot(slot);
      if (endpoint === undefined) return Buffer.from('-CLUSTERDOWN Hash slot not served\r\n');
      return ask(wire, endpoint, protocol, [args[0]!, ...indexes.map((i) => args[i]!)]);
    }),
  );
  const failed = replies.find(isErrorFrame);
  if (failed) return failed;
  if (upper !== 'MGET') return Buffer.from(`:${replies.reduce((sum, reply) => sum + (integerOf(reply) ?? 0), 0)}\r\n`);
  const values = new Array<Buffer>(args.length - 1);
  parts.forEach(([, indexes], part) => {
    const elements = elementsOf(replies[part]!) ?? [];
    indexes.forEach((index, i) => (values[index - 1] = elements[i] ?? Buffer.from('$-1\r\n')));
  });
  return arrayOf(values);
}

async function scan(
  wire: WireProxy,
  protocol: Protocol,
  endpoints: readonly WireEndpoint[],
  args: readonly Buffer[],
): Promise<Buffer> {
  let combined: bigint;
  try {
    combined = BigInt(args[1]?.toString('latin1') ?? '');
    if (combined < 0n) throw new RangeError();
  } catch {
    return Buffer.from('-ERR invalid cursor\r\n');
  }
  const index = Number(combined & ((1n << NODE_BITS) - 1n));
  const endpoint = endpoints[index];
  if (endpoint === undefined) return Buffer.from('-ERR invalid cursor\r\n');
  const cursor = Buffer.from(String(combined >> NODE_BITS));
  const reply = await ask(wire, endpoint, protocol, [args[0]!, cursor, ...args.slice(2)]);
  const parts = elementsOf(reply);
  if (parts === undefined || parts.length !== 2) return reply;
  const [cursorFrame, keys] = parts as [Buffer, Buffer];
  const next = BigInt(cursorFrame.toString('latin1', cursorFrame.indexOf(0x0a) + 1, cursorFrame.length - 2));
  let nextCombined: bigint;
  if (next !== 0n) nextCombined = (next << NODE_BITS) | BigInt(index);
  else nextCombined = index + 1 < endpoints.length ? BigInt(index + 1) : 0n;
  return arrayOf([bulk(String(nextCombined)), keys]);
}
