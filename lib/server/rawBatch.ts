import type { Gears } from '../Gears.ts';
import { errorStartsWith, isErrorFrame, requestFrame } from '../store/redis/frames.ts';
import type { WireEndpoint } from '../store/redis/wire.ts';
import { countProxied } from '../metrics/proxyCount.ts';
import type { Deployments } from './deployments.ts';
import { readOnly } from './proxy.ts';
import { ErrorReply, encodeReply, type Protocol, type Reply } from './replies.ts';
import { rawFrameOf, type RequestArgs } from './resp.ts';
import type { WireProxy } from './wireProxy.ts';

const readOnlyByName = new Map<string, boolean>();

/** `readOnly`, remembered per command name (a hot path: every proxied request asks). */
function readOnlyCached(upper: string): boolean {
  let known = readOnlyByName.get(upper);
  if (known === undefined) {
    known = readOnly(upper);
    if (readOnlyByName.size < 1024) readOnlyByName.set(upper, known);
  }
  return known;
}

/** One request the raw path takes: its arguments, its upper-case name, and the node it goes to. */
export interface RawRequest {
  readonly args: RequestArgs;
  readonly upper: string;
  readonly endpoint: WireEndpoint;
}

/** What a batch needs from the server. */
export interface RawHost {
  readonly gears: Gears;
  readonly deployments: Deployments;
}

/**
 * Sends a client's pipelined requests to their nodes at once (each node's share in one write, on the shared
 * connection of the client's protocol) and gives back every reply, in order, as one Buffer to write. A node's
 * `MOVED` / `ASK` (a reshard the server has not seen yet) and a lost connection are answered through
 * `fallback` — the engine's path, which follows redirections and reconnects — so the client never sees them.
 * After a batch that may write, the replies wait for the `sync` registrations it triggered, as on the engine's
 * path; writes take the deployments gate so that an `UPGRADE` never sees them half-applied.
 */
export async function forwardRaw(
  host: RawHost,
  wire: WireProxy,
  protocol: Protocol,
  batch: readonly RawRequest[],
  fallback: (args: RequestArgs) => Promise<Reply>,
): Promise<Buffer> {
  const writes = batch.some((request) => !readOnlyCached(request.upper));
  const send = (): Promise<(Buffer | Error)[]> =>
    new Promise((resolve) => {
      const replies = new Array<Buffer | Error>(batch.length);
      let remaining = batch.length;
      // One lookup per node in the batch, not per request (a standalone Redis: one for the whole batch).
      let endpoint: WireEndpoint | undefined;
      let connection: ReturnType<WireProxy['pool']['shared']> | undefined;
      batch.forEach((request, i) => {
        const frame = rawFrameOf(request.args) ?? requestFrame(request.args);
        if (request.endpoint !== endpoint || connection === undefined) {
          endpoint = request.endpoint;
          connection = wire.pool.shared(endpoint, protocol);
        }
        connection.request(frame, (reply) => {
          replies[i] = reply;
          if (--remaining === 0) resolve(replies);
        });
      });
    });
  const replies = writes ? await host.deployments.gate.shared(send) : await send();
  const out: Buffer[] = [];
  for (let i = 0; i < batch.length; i++) {
    const request = batch[i]!;
    let reply = replies[i]!;
    if (reply instanceof Error || errorStartsWith(reply, 'MOVED ') || errorStartsWith(reply, 'ASK ')) {
      const answer = await fallback(request.args).catch((error: unknown) => new ErrorReply(`ERR ${String(error)}`));
      reply = Buffer.from(encodeReply(answer, protocol));
    }
    countProxied(host.gears, request.upper, isErrorFrame(reply));
    out.push(reply);
  }
  if (writes) await host.gears.settleSync().catch(() => undefined);
  return out.length === 1 ? out[0]! : Buffer.concat(out);
}
