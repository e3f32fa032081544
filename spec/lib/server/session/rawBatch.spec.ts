/**
 * The raw path's batches on a real Redis Cluster when a node does not own a request's slot (a reshard the server
 * has not seen yet): the node's `MOVED` never reaches the client, the request is answered through the engine's
 * path, and the replies of the same batch that the nodes gave stand as they are.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connect, type Gears } from '../../../../lib/index.ts';
import { SwapGate, type Deployments } from '../../../../lib/server/rg/Deployments.ts';
import { proxyCommand } from '../../../../lib/server/session/proxy.ts';
import { forwardRaw, type RawRequest } from '../../../../lib/server/session/rawBatch.ts';
import { rawFrameOf, RespParser } from '../../../../lib/server/protocol/resp.ts';
import { WireProxy } from '../../../../lib/server/session/WireProxy.ts';
import { deleteKeys, uniquePrefix } from '../../../support/backends.ts';
import { splitReplies } from '../helpers.ts';
import { hashSlot } from '../../../../lib/cluster/slots.ts';

describe('raw batches on a real Redis Cluster', () => {
  const prefix = uniquePrefix('rawBatch');
  let gears: Gears;
  let wire: WireProxy;

  beforeAll(async () => {
    gears = await connect({ redis: inject('clusterUrls')[0]! });
    wire = WireProxy.for(gears)!;
  });

  afterAll(async () => {
    wire?.close();
    if (gears) await deleteKeys(gears, `${prefix}*`);
    await gears?.close();
  });

  it('answers a request a node redirects (MOVED) through the engine, the rest of the batch as the nodes sent it', async () => {
    const key = `${prefix}k`;
    const owner = wire.endpointOfSlot(hashSlot(key))!;
    const other = wire.allEndpoints().find((endpoint) => endpoint !== owner)!;
    const text = [
      ['SET', key, 'v1'],
      ['GET', key],
      ['INCR', key],
      ['GET', key],
    ]
      .map((args) => `*${args.length}\r\n${args.map((arg) => `$${arg.length}\r\n${arg}\r\n`).join('')}`)
      .join('');
    const requests = new RespParser().push(Buffer.from(text)) as Buffer[][];
    // The first and the last go to the owner; the two in the middle to a node that answers MOVED.
    const batch: RawRequest[] = requests.map((args, i) => ({
      frame: rawFrameOf(args)!,
      upper: args[0]!.toString(),
      endpoint: i === 0 || i === 3 ? owner : other,
      request: args,
    }));
    const engineAnswered: string[] = [];
    const host = { gears, deployments: { gate: new SwapGate() } as unknown as Deployments };
    const replies = await forwardRaw(host, wire, 2, batch, async (args) => {
      const [name, ...rest] = args.map(String);
      engineAnswered.push(name!);
      return proxyCommand(gears, name!, rest);
    });
    expect(engineAnswered).toEqual(['GET', 'INCR']);
    const [set, get, incr, last, ...more] = splitReplies(replies);
    expect([set, get, last, more]).toEqual(['+OK\r\n', '$2\r\nv1\r\n', '$2\r\nv1\r\n', []]);
    expect(incr).toMatch(/^-ERR value is not an integer/);
  });
});
