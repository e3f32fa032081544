import type { Gears } from '../../Gears.ts';
import { errorStartsWith, frameEnd, isErrorFrame } from '../../store/redis/frames.ts';
import type { RunReplies, WireEndpoint } from '../../store/redis/wire.ts';
import { countProxied, proxyCounterOf } from '../../metrics/proxyCount.ts';
import type { Deployments } from '../rg/Deployments.ts';
import { readOnly } from './proxy.ts';
import { ErrorReply, encodeReply, type Protocol, type Reply } from '../protocol/replies.ts';
import { argsOf, FramedRequest, type RequestArgs } from '../protocol/resp.ts';
import type { WireProxy } from './WireProxy.ts';

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

/**
 * One request the raw path takes: its bytes (a framed request's are found through it, no Buffer of their own),
 * its upper-case name, the node it goes to, and the request itself.
 */
export interface RawRequest {
  readonly frame: Buffer | undefined;
  readonly upper: string;
  readonly endpoint: WireEndpoint;
  /** Its arguments, or the framed request they are read from when needed (the engine's path). */
  readonly request: RequestArgs | FramedRequest;
}

const argumentsOf = (request: RawRequest): RequestArgs =>
  request.request instanceof FramedRequest ? argsOf(request.request) : request.request;

/** What a batch needs from the server. */
export interface RawHost {
  readonly gears: Gears;
  readonly deployments: Deployments;
}

/** One node's share of a batch: consecutive requests for the same node, sent as one run. */
interface Run {
  readonly endpoint: WireEndpoint;
  /** Index in the batch of its first request. */
  readonly first: number;
  count: number;
  /** The requests' bytes: adjacent frames (one chunk the client sent) joined as one slice of it. */
  readonly frames: Buffer[];
  replies?: RunReplies;
}

/**
 * The batch cut into runs by node, each request's bytes appended to its run — adjacent bytes (one chunk the client
 * sent) as one slice: framed requests by their place in the buffer they were read from, others by their memory.
 */
function runsOf(batch: readonly RawRequest[]): Run[] {
  const runs: Run[] = [];
  let run: Run | undefined;
  // The pending slice: `source[start, end)` for framed requests, else `bytes` grown to `bytesEnd` (absolute).
  let source: Buffer | undefined;
  let start = 0;
  let end = 0;
  let bytes: Buffer | undefined;
  let bytesEnd = 0;
  const close = (): void => {
    if (run !== undefined && source !== undefined) run.frames.push(source.subarray(start, end));
    if (run !== undefined && bytes !== undefined) {
      run.frames.push(
        bytes.byteOffset + bytes.length === bytesEnd
          ? bytes
          : Buffer.from(bytes.buffer, bytes.byteOffset, bytesEnd - bytes.byteOffset),
      );
    }
    source = bytes = undefined;
  };
  for (let i = 0; i < batch.length; i++) {
    const request = batch[i]!;
    if (run === undefined || request.endpoint !== run.endpoint) {
      close();
      run = { endpoint: request.endpoint, first: i, count: 0, frames: [] };
      runs.push(run);
    }
    run.count++;
    const frame = request.frame;
    if (frame === undefined) {
      const framed = request.request as FramedRequest;
      if (source === framed.source && framed.start === end) {
        end = framed.end;
        continue;
      }
      close();
      source = framed.source;
      start = framed.start;
      end = framed.end;
      continue;
    }
    if (bytes !== undefined && frame.buffer === bytes.buffer && frame.byteOffset === bytesEnd) {
      bytesEnd += frame.length;
      continue;
    }
    close();
    bytes = frame;
    bytesEnd = frame.byteOffset + frame.length;
  }
  close();
  return runs;
}

/** Whether a run's replies can be written as they came: all there, none a redirection. */
const clean = (run: Run): boolean =>
  run.replies !== undefined && run.replies.failure === undefined && !run.replies.redirected;

/**
 * Sends a client's pipelined requests to their nodes at once (consecutive requests for one node as one run on the
 * shared connection of the client's protocol, their bytes as the client sent them) and gives back every reply,
 * in order, as one Buffer to write — the bytes Redis sent, a slice of what was read when a run's replies came in
 * one read. A node's `MOVED` / `ASK` (a reshard the server has not seen yet) and a lost connection are answered
 * through `fallback` — the engine's path, which follows redirections and reconnects — so the client never sees
 * them. After a batch that may write, the replies wait for the `sync` registrations it triggered, as on the
 * engine's path; writes take the deployments gate so that an `UPGRADE` never sees them half-applied.
 */
export async function forwardRaw(
  host: RawHost,
  wire: WireProxy,
  protocol: Protocol,
  batch: readonly RawRequest[],
  fallback: (args: RequestArgs) => Promise<Reply>,
): Promise<Buffer> {
  let writes = false;
  for (const request of batch) if (!readOnlyCached(request.upper)) writes = true;
  const runs = runsOf(batch);
  const send = (): Promise<void> =>
    new Promise((resolve) => {
      let remaining = runs.length;
      for (const run of runs) {
        wire.pool.shared(run.endpoint, protocol).requestRun(run.frames, run.count, (replies) => {
          run.replies = replies;
          if (--remaining === 0) resolve();
        });
      }
    });
  await (writes ? host.deployments.gate.shared(send) : send());
  const counter = proxyCounterOf(host.gears);
  let out: Buffer;
  if (runs.every(clean)) {
    if (counter !== undefined) {
      for (const run of runs) {
        const errors = run.replies!.errors;
        for (let i = 0; i < run.count; i++)
          counter.countProxied(batch[run.first + i]!.upper, errors?.includes(i) === true);
      }
    }
    out = runs.length === 1 ? runs[0]!.replies!.replies : Buffer.concat(runs.map((run) => run.replies!.replies));
  } else {
    out = await oneByOne(host, protocol, batch, runs, fallback);
  }
  if (writes) await host.gears.settleSync().catch(() => undefined);
  return out;
}

/** The replies of a batch one request at a time: the node's where it answered, the engine's path's otherwise. */
async function oneByOne(
  host: RawHost,
  protocol: Protocol,
  batch: readonly RawRequest[],
  runs: readonly Run[],
  fallback: (args: RequestArgs) => Promise<Reply>,
): Promise<Buffer> {
  const out: Buffer[] = [];
  for (const run of runs) {
    const bytes = run.replies?.replies ?? Buffer.alloc(0);
    let offset = 0;
    for (let i = 0; i < run.count; i++) {
      const request = batch[run.first + i]!;
      const end = offset < bytes.length ? frameEnd(bytes, offset) : -1;
      let reply = end === -1 ? undefined : bytes.subarray(offset, end);
      if (end !== -1) offset = end;
      if (reply === undefined || errorStartsWith(reply, 'MOVED ') || errorStartsWith(reply, 'ASK ')) {
        const answer = await fallback(argumentsOf(request)).catch(
          (error: unknown) => new ErrorReply(`ERR ${String(error)}`),
        );
        reply = Buffer.from(encodeReply(answer, protocol));
      }
      countProxied(host.gears, request.upper, isErrorFrame(reply));
      out.push(reply);
    }
  }
  return Buffer.concat(out);
}
