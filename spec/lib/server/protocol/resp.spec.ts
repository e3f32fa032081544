import { connect as netConnect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Gears } from '../../../../lib/index.ts';
import {
  argsOf,
  commandName,
  FramedRequest,
  RespParser,
  RespProtocolError,
  rawFrameOf,
  type ParsedRequest,
} from '../../../../lib/server/protocol/resp.ts';
import {
  encodeCommand,
  encodeReply,
  ErrorReply,
  MapReply,
  OK,
  SimpleString,
  VerbatimString,
} from '../../../../lib/server/protocol/replies.ts';
import { ReplyParser } from '../../../../lib/server/protocol/client.ts';
import { createServer, type RxgearsServer } from '../../../../lib/server/Server.ts';
import { sendRaw } from '../helpers.ts';

const text = (requests: ParsedRequest[]): (string[] | string)[] =>
  requests.map((r) => (r instanceof RespProtocolError ? `error: ${r.message}` : r.map((a) => a.toString('utf8'))));

function parseAll(input: string | Buffer, chunkSizes: number[] = []): ParsedRequest[] {
  const parser = new RespParser();
  const bytes = typeof input === 'string' ? Buffer.from(input) : input;
  const out: ParsedRequest[] = [];
  let offset = 0;
  for (const size of chunkSizes) {
    out.push(...parser.push(bytes.subarray(offset, offset + size)));
    offset += size;
  }
  out.push(...parser.push(bytes.subarray(offset)));
  return out;
}

describe('RespParser', () => {
  it('parses a multibulk request', () => {
    expect(text(parseAll('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n'))).toEqual([['SET', 'k', 'hello']]);
  });

  it('returns every request of a pipelined chunk, in order', () => {
    expect(text(parseAll('*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nPING\r\n'))).toEqual([
      ['PING'],
      ['ECHO', 'hi'],
      ['PING'],
    ]);
  });

  it('keeps a request split at any byte for the next chunk', () => {
    const frame = '*2\r\n$4\r\nECHO\r\n$11\r\nhello world\r\n';
    for (let cut = 1; cut < frame.length; cut++) {
      expect(text(parseAll(frame, [cut]))).toEqual([['ECHO', 'hello world']]);
    }
  });

  it('parses inline commands with redis-cli quoting, with or without CR, and skips empty lines', () => {
    expect(text(parseAll('PING\r\n\r\nSET k "a b"\nECHO \'x y\'\r\n'))).toEqual([
      ['PING'],
      ['SET', 'k', 'a b'],
      ['ECHO', 'x y'],
    ]);
  });

  it('keeps binary and multi-byte bulk arguments intact', () => {
    const value = Buffer.from([0, 13, 10, 255, 0xe2, 0x82, 0xac]);
    const [request] = parseAll(encodeCommand(['SET', 'k', value]));
    expect([...(request as Buffer[])]).toEqual([Buffer.from('SET'), Buffer.from('k'), value]);
  });

  it('skips empty multibulk requests (*0, *-1) as Redis does', () => {
    expect(text(parseAll('*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n'))).toEqual([['PING']]);
  });

  it('joins a large bulk argument that arrives in many small chunks', () => {
    const big = Buffer.alloc(1024 * 1024, 'x');
    const frame = encodeCommand(['SET', 'big', big]);
    const parser = new RespParser();
    const out: ParsedRequest[] = [];
    for (let i = 0; i < frame.length; i += 1000) out.push(...parser.push(frame.subarray(i, i + 1000)));
    expect(out).toHaveLength(1);
    expect((out[0] as Buffer[])[2]!.equals(big)).toBe(true);
  });

  it.each([
    ['a bulk length over 512 MB', '*1\r\n$536870913\r\n', 'ERR Protocol error: invalid bulk length'],
    ['a negative bulk length', '*1\r\n$-1\r\n', 'ERR Protocol error: invalid bulk length'],
    ['a bulk length that is not a number', '*1\r\n$abc\r\n', 'ERR Protocol error: invalid bulk length'],
    ['more than 1M arguments', '*1048577\r\n', 'ERR Protocol error: invalid multibulk length'],
    ['a multibulk count that is not a number', '*x\r\n', 'ERR Protocol error: invalid multibulk length'],
    ['a bulk without $', '*1\r\n:1\r\n', "ERR Protocol error: expected '$', got ':'"],
    ['unbalanced quotes inline', 'SET k "oops\r\n', 'ERR Protocol error: unbalanced quotes in request'],
  ])('answers %s with Redis’ protocol error and stops', (_what, input, message) => {
    const parser = new RespParser();
    expect(text(parser.push(Buffer.from(input)))).toEqual([`error: ${message}`]);
    expect(parser.broken).toBe(true);
    expect(parser.push(Buffer.from('PING\r\n'))).toEqual([]);
  });

  it('rejects an inline request or header line longer than 64 KB without a newline', () => {
    expect(text(parseAll(Buffer.alloc(70 * 1024, 'a')))).toEqual(['error: ERR Protocol error: too big inline request']);
    expect(text(parseAll(`*1\r\n$${'1'.repeat(70 * 1024)}`))).toEqual([
      'error: ERR Protocol error: too big bulk count string',
    ]);
  });

  it('applies smaller limits when given', () => {
    const parser = new RespParser({ maxBulkLength: 10, maxMultibulkLength: 2 });
    expect(text(parser.push(Buffer.from('*1\r\n$11\r\n')))).toEqual(['error: ERR Protocol error: invalid bulk length']);
    expect(text(new RespParser({ maxMultibulkLength: 2 }).push(Buffer.from('*3\r\n')))).toEqual([
      'error: ERR Protocol error: invalid multibulk length',
    ]);
  });
});

describe('encodeReply', () => {
  it('writes RESP2', () => {
    expect(encodeReply(['a', 1, null, [], OK, new ErrorReply('ERR x')], 2)).toBe(
      '*6\r\n$1\r\na\r\n:1\r\n$-1\r\n*0\r\n+OK\r\n-ERR x\r\n',
    );
    expect(encodeReply('é', 2)).toBe('$2\r\né\r\n');
    expect(encodeReply(44.6, 2)).toBe('$4\r\n44.6\r\n');
    expect(encodeReply(true, 2)).toBe(':1\r\n');
    expect(encodeReply(new MapReply([['k', 'v']]), 2)).toBe('*2\r\n$1\r\nk\r\n$1\r\nv\r\n');
    expect(encodeReply(new VerbatimString('a:1'), 2)).toBe('$3\r\na:1\r\n');
    expect(encodeReply(9223372036854775807n, 2)).toBe(':9223372036854775807\r\n');
  });

  it('writes RESP3 types after HELLO 3', () => {
    expect(encodeReply(null, 3)).toBe('_\r\n');
    expect(encodeReply(44.6, 3)).toBe(',44.6\r\n');
    expect(encodeReply(Infinity, 3)).toBe(',inf\r\n');
    expect(encodeReply(false, 3)).toBe('#f\r\n');
    expect(encodeReply(12345678901234567890n, 3)).toBe('(12345678901234567890\r\n');
    expect(encodeReply(-9223372036854775808n, 3)).toBe(':-9223372036854775808\r\n');
    expect(encodeReply(new MapReply([['proto', 3]]), 3)).toBe('%1\r\n$5\r\nproto\r\n:3\r\n');
    expect(encodeReply(new VerbatimString('a:1'), 3)).toBe('=7\r\ntxt:a:1\r\n');
  });

  it('keeps status and error replies on one line', () => {
    expect(encodeReply(new ErrorReply('ERR a\r\nb'), 2)).toBe('-ERR a b\r\n');
    expect(encodeReply(new SimpleString('x\ny'), 2)).toBe('+x y\r\n');
  });

  it('round-trips through the client reply parser', () => {
    const reply = ['a', 1, null, ['b', ['c']], new ErrorReply('ERR e')];
    for (const protocol of [2, 3] as const) {
      expect(new ReplyParser().push(Buffer.from(encodeReply(reply, protocol)))).toEqual([reply]);
    }
  });
});

const command = fc.array(
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
  { minLength: 1, maxLength: 6 },
);

/** Cuts `bytes` at random places. */
const chunked = (bytes: Buffer) =>
  fc.array(fc.nat({ max: bytes.length }), { maxLength: 8 }).map((cuts) => {
    const points = [...new Set([0, ...cuts.sort((a, b) => a - b), bytes.length])];
    return points.slice(1).map((end, i) => bytes.subarray(points[i], end));
  });

/** Valid frames with random edits: flipped, inserted and deleted bytes. */
const mutatedFrames = fc
  .tuple(
    fc.array(command, { minLength: 1, maxLength: 4 }),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'insert', 'delete')), {
      minLength: 1,
      maxLength: 6,
    }),
  )
  .map(([commands, edits]) => {
    const bytes = [...Buffer.concat(commands.map((c) => encodeCommand(c)))];
    for (const [at, byte, kind] of edits) {
      const i = at % (bytes.length + 1);
      if (kind === 'flip') bytes[i % bytes.length] = byte;
      else if (kind === 'insert') bytes.splice(i, 0, byte);
      else bytes.splice(i % bytes.length, 1);
    }
    return Buffer.from(bytes);
  });

const garbage = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  mutatedFrames,
  fc
    .constantFrom(
      '*99999999999999999999\r\n',
      '*1\r\n$999999999999\r\n',
      '$5\r\nhello\r\n',
      '*2\r\n$3\r\nGET\r\n',
      '\r\n\r\n\r\n',
      '"unterminated\r\n',
    )
    .map((s) => Buffer.from(s)),
);

describe('RespParser fuzz', () => {
  it('parses valid frames the same however they are chunked', () => {
    fc.assert(
      fc.property(
        fc
          .array(command, { minLength: 1, maxLength: 5 })
          .chain((commands) =>
            chunked(Buffer.concat(commands.map((c) => encodeCommand(c)))).map((chunks) => ({ commands, chunks })),
          ),
        ({ commands, chunks }) => {
          const parser = new RespParser();
          const out = chunks.flatMap((chunk) => parser.push(chunk));
          expect(out.map((request) => [...(request as Buffer[])])).toEqual(commands);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('parses requests of many arguments over many chunks, arguments parsed earlier left intact', () => {
    const many = fc.array(fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b)), { minLength: 1, maxLength: 300 });
    fc.assert(
      fc.property(
        fc.array(many, { minLength: 1, maxLength: 3 }).chain((commands) => {
          const bytes = Buffer.concat(commands.map((c) => encodeCommand(c)));
          const cuts = fc.array(fc.nat({ max: bytes.length }), { maxLength: 60 });
          return cuts.map((at) => {
            const points = [...new Set([0, ...at.sort((a, b) => a - b), bytes.length])];
            return { commands, chunks: points.slice(1).map((end, i) => Buffer.from(bytes.subarray(points[i], end))) };
          });
        }),
        ({ commands, chunks }) => {
          const parser = new RespParser();
          const out = chunks.flatMap((chunk) => parser.push(chunk));
          expect(out.map((request) => [...(request as Buffer[])])).toEqual(commands);
          out.forEach((request, i) => expect(rawFrameOf(request as Buffer[])).toEqual(encodeCommand(commands[i]!)));
        },
      ),
      { numRuns: 200 },
    );
    // A 60 002-argument GEOADD (1.3 MB) in 16 KB reads, then a PING in its last read.
    const geoadd = ['GEOADD', 'g', ...Array.from({ length: 20_000 }, (_, i) => [`${i % 180}`, '1.5', `m${i}`]).flat()];
    const bytes = Buffer.concat([encodeCommand(geoadd.map((a) => Buffer.from(a))), Buffer.from('PING\r\n')]);
    const parser = new RespParser();
    const out: unknown[] = [];
    for (let at = 0; at < bytes.length; at += 16 * 1024) out.push(...parser.push(bytes.subarray(at, at + 16 * 1024)));
    expect(out.map((request) => (request as Buffer[]).map(String))).toEqual([geoadd, ['PING']]);
  });

  it('never throws on random bytes or mutated frames, and an error is always the last thing returned', () => {
    fc.assert(
      fc.property(garbage.chain(chunked), (chunks) => {
        const parser = new RespParser();
        const out = chunks.flatMap((chunk) => parser.push(chunk));
        const errorAt = out.findIndex((r) => r instanceof RespProtocolError);
        expect(errorAt === -1 || errorAt === out.length - 1).toBe(true);
        for (const request of out)
          if (!(request instanceof RespProtocolError)) expect(request.length).toBeGreaterThan(0);
      }),
      { numRuns: 1000 },
    );
  });
});

/** What `pushFramed` returned, as `push` returns it: framed requests read in full (frames kept), errors as they are. */
function framedAsPushed(chunks: Buffer[], accept: (upper: string) => boolean): unknown[] {
  const parser = new RespParser();
  return chunks
    .flatMap((chunk) => parser.pushFramed(chunk, accept))
    .map((request) => {
      if (request instanceof RespProtocolError) return request.message;
      const args = request instanceof FramedRequest ? argsOf(request) : request;
      if (request instanceof FramedRequest) expect(request.upper).toBe(args[0]!.toString('latin1').toUpperCase());
      return { args: [...args], frame: rawFrameOf(args) };
    });
}

function pushedAll(chunks: Buffer[]): unknown[] {
  const parser = new RespParser();
  return chunks
    .flatMap((chunk) => parser.push(chunk))
    .map((request) =>
      request instanceof RespProtocolError ? request.message : { args: [...request], frame: rawFrameOf(request) },
    );
}

describe('RespParser.pushFramed (the raw path reads requests only up to their name)', () => {
  it('reads a pipelined chunk as framed requests whose bytes and arguments are what push reads', () => {
    const chunk = Buffer.from('*3\r\n$3\r\nset\r\n$1\r\nk\r\n$2\r\nv1\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n');
    const out = new RespParser().pushFramed(chunk, (upper) => upper !== 'PING');
    expect(out.map((r) => (r instanceof FramedRequest ? [r.upper, r.frame.toString()] : r))).toEqual([
      ['SET', '*3\r\n$3\r\nset\r\n$1\r\nk\r\n$2\r\nv1\r\n'],
      ['GET', '*2\r\n$3\r\nGET\r\n$1\r\nk\r\n'],
      [Buffer.from('PING')],
    ]);
    expect(argsOf(out[0] as FramedRequest).map(String)).toEqual(['set', 'k', 'v1']);
  });

  it('gives what push gives, however the bytes are chunked: valid frames, random bytes, mutated frames', () => {
    const valid = fc.array(command, { minLength: 1, maxLength: 5 }).map((commands) =>
      Buffer.concat(commands.map((c) => encodeCommand(c))),
    );
    fc.assert(
      fc.property(fc.oneof(valid, garbage).chain(chunked), fc.boolean(), (chunks, all) => {
        // Names accepted: all of them, or only some (the others are read in full, in between).
        const accept = (upper: string): boolean => all || upper.length % 2 === 0;
        expect(framedAsPushed(chunks, accept)).toEqual(pushedAll(chunks));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('server fuzz', () => {
  let gears: Gears;
  let server: RxgearsServer;

  beforeAll(async () => {
    gears = await connect({ shards: 3 });
    server = await createServer(gears, { port: 0 });
  });
  afterAll(async () => {
    await server.close();
    await gears.close();
  });

  it('survives garbage on real sockets: every connection is answered or closed, a fresh one still gets +PONG', async () => {
    await fc.assert(
      fc.asyncProperty(garbage.chain(chunked), async (chunks) => {
        const reply = await sendRaw(server.port, chunks);
        // Whatever came back is well-formed RESP.
        expect(() => new ReplyParser().push(reply)).not.toThrow();
      }),
      { numRuns: 150 },
    );
    expect((await sendRaw(server.port, [Buffer.from('PING\r\n')])).toString()).toBe('+PONG\r\n');
  });

  it('closes the connection after a protocol error, answering the requests before it', async () => {
    const reply = await sendRaw(server.port, [Buffer.from('PING\r\n*1\r\n$536870913\r\nPING\r\n')]);
    expect(reply.toString()).toBe('+PONG\r\n-ERR Protocol error: invalid bulk length\r\n');
  });

  it('closes the connection for good after a protocol error while the client keeps sending, as Redis does', async () => {
    // An inline request that never ends: past 64 KB Redis answers the error and closes its socket, so the
    // client's next writes fail instead of going on forever into a half-closed connection.
    const received = await new Promise<string>((resolve) => {
      // Half-open allowed, as a client that ignores the server's FIN (Redis' TCL suite) is.
      const socket = netConnect({ port: server.port, host: '127.0.0.1', allowHalfOpen: true });
      let text = '';
      const junk = Buffer.alloc(16 * 1024, 0x41);
      const send = (): void => {
        while (!socket.destroyed && socket.write(junk));
      };
      socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
      socket.on('drain', send);
      socket.on('error', () => undefined); // EPIPE / ECONNRESET: what this checks for
      socket.on('close', () => resolve(text));
      socket.on('connect', () => {
        socket.write('\x00');
        send();
      });
    });
    expect(received).toBe('-ERR Protocol error: too big inline request\r\n');
  });
});

describe('commandName', () => {
  it('upper-cases a name as latin1, the same on every call, whatever the case of its bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), (bytes) => {
        const name = Buffer.from(bytes);
        const expected = name.toString('latin1').toUpperCase();
        expect(commandName(name)).toBe(expected);
        expect(commandName(Buffer.from(name))).toBe(expected);
      }),
      { numRuns: 500 },
    );
    expect([commandName(Buffer.from('get')), commandName(Buffer.from('GeT')), commandName(Buffer.from('GET'))]).toEqual([
      'GET',
      'GET',
      'GET',
    ]);
  });
});

describe('RespParser raw frames', () => {
  it('gives each multibulk request its own bytes however it was chunked, and none for inline commands', () => {
    fc.assert(
      fc.property(
        fc
          .array(command, { minLength: 1, maxLength: 5 })
          .chain((commands) =>
            chunked(Buffer.concat(commands.map((c) => encodeCommand(c)))).map((chunks) => ({ commands, chunks })),
          ),
        ({ commands, chunks }) => {
          const parser = new RespParser({ maxInlineLength: 64 * 1024 });
          const out = chunks.flatMap((chunk) => parser.push(chunk));
          out.forEach((request, i) => {
            const raw = rawFrameOf(request as Buffer[]);
            // Bodies of 64 KB and more are gathered in pieces: those requests are encoded again instead.
            if (raw !== undefined) expect(raw).toEqual(encodeCommand(commands[i]!));
          });
        },
      ),
      { numRuns: 300 },
    );
    expect(rawFrameOf(new RespParser().push(Buffer.from('PING\r\n'))[0] as Buffer[])).toBeUndefined();
    const [request] = new RespParser().push(Buffer.from('*1\r\n$4\r\nPING\r\n'));
    expect(rawFrameOf(request as Buffer[])).toEqual(Buffer.from('*1\r\n$4\r\nPING\r\n'));
  });
});
