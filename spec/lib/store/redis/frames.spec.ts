import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameError, errorStartsWith, frameEnd, requestFrame } from '../../../../lib/store/redis/frames.ts';

/** Replies of every RESP2 and RESP3 type, nested, as Redis writes them. */
const reply: fc.Arbitrary<string> = fc.letrec<{ reply: string }>((tie) => ({
  reply: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('+OK\r\n', '-ERR no\r\n', ':-42\r\n', '_\r\n', ',3.14\r\n', '#t\r\n', '(12345678901234567890\r\n'),
    fc.string({ unit: 'binary' }).map((s) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`),
    fc.constant('$-1\r\n'),
    fc.constant('*-1\r\n'),
    fc.string().map((s) => `=${Buffer.byteLength(s) + 4}\r\ntxt:${s}\r\n`),
    fc.array(tie('reply'), { maxLength: 4 }).map((items) => `*${items.length}\r\n${items.join('')}`),
    fc.array(tie('reply'), { maxLength: 3 }).map((items) => `~${items.length}\r\n${items.join('')}`),
    fc.array(tie('reply'), { maxLength: 3 }).map((items) => `>${items.length}\r\n${items.join('')}`),
    fc
      .array(fc.tuple(tie('reply'), tie('reply')), { maxLength: 3 })
      .map((pairs) => `%${pairs.length}\r\n${pairs.map(([k, v]) => k + v).join('')}`),
    fc.tuple(tie('reply'), tie('reply'), tie('reply')).map(([k, v, r]) => `|1\r\n${k}${v}${r}`),
  ),
})).reply;

describe('frameEnd', () => {
  it('finds where each of several concatenated replies ends, and says -1 for every proper prefix', () => {
    fc.assert(
      fc.property(fc.array(reply, { minLength: 1, maxLength: 5 }), (replies) => {
        const buffers = replies.map((r) => Buffer.from(r, 'utf8'));
        const all = Buffer.concat(buffers);
        let offset = 0;
        for (const buffer of buffers) {
          const end = frameEnd(all, offset);
          expect(end).toBe(offset + buffer.length);
          for (let cut = offset; cut < end; cut += Math.max(1, Math.floor(buffer.length / 7))) {
            expect(frameEnd(all.subarray(0, cut), offset)).toBe(-1);
          }
          offset = end;
        }
      }),
    );
  });

  it('keeps binary bodies that contain CR LF and RESP type bytes', () => {
    const body = Buffer.from([0x2a, 0x0d, 0x0a, 0x24, 0xff, 0x00]);
    const frame = Buffer.concat([Buffer.from(`$${body.length}\r\n`), body, Buffer.from('\r\n:1\r\n')]);
    expect(frameEnd(frame, 0)).toBe(frame.length - 4);
  });

  it('throws a FrameError on bytes that are not RESP', () => {
    expect(() => frameEnd(Buffer.from('hello\r\n'), 0)).toThrow(FrameError);
    expect(() => frameEnd(Buffer.from('$x\r\n'), 0)).toThrow('invalid bulk length in a reply');
    expect(() => frameEnd(Buffer.from('*-5\r\n'), 0)).toThrow('invalid aggregate length in a reply');
  });
});

describe('requestFrame', () => {
  it('encodes strings as UTF-8 and Buffers as they are', () => {
    expect(requestFrame(['SET', 'é', Buffer.from([0xff, 0x00])])).toEqual(
      Buffer.concat([Buffer.from('*3\r\n$3\r\nSET\r\n$2\r\né\r\n$2\r\n'), Buffer.from([0xff, 0x00]), Buffer.from('\r\n')]),
    );
  });

  it('tells redirections apart from other errors', () => {
    expect(errorStartsWith(Buffer.from('-MOVED 3999 127.0.0.1:7001\r\n'), 'MOVED ')).toBe(true);
    expect(errorStartsWith(Buffer.from('$6\r\nMOVED \r\n'), 'MOVED ')).toBe(false);
  });
});
