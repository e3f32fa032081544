import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { byteLength, canonical, fromBytes, toBytes } from '../../../../lib/store/memory/bytes.ts';
import { compareBytes, stringAt, wireArgs } from '../../../../lib/store/bytes.ts';

describe('the store strings of bytes', () => {
  it('decode valid UTF-8 as its text and escape every other byte as one lone surrogate', () => {
    expect(fromBytes(Buffer.from('héllo 😀', 'utf8'))).toBe('héllo 😀');
    expect(fromBytes(Buffer.of(0x61, 0xff, 0xc3, 0xa9, 0xc3))).toBe('a\udcffé\udcc3');
    expect(fromBytes(Buffer.of(0xed, 0xa0, 0x80))).toBe('\udced\udca0\udc80'); // an encoded surrogate is not UTF-8
    expect(fromBytes(Buffer.of(0xe0, 0x80, 0x80))).toBe('\udce0\udc80\udc80'); // nor an overlong form
  });

  it('give back every byte string exactly, and count its bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (array) => {
        const bytes = Buffer.from(array);
        const s = fromBytes(bytes);
        expect(toBytes(s).equals(bytes)).toBe(true);
        expect(byteLength(s)).toBe(bytes.length);
        expect(canonical(s)).toBe(s);
      }),
    );
  });

  it('order store strings as their bytes (compareBytes), not as UTF-16 units', () => {
    expect(compareBytes('\uffff', '\u{10000}')).toBeLessThan(0);
    expect(compareBytes('a\udcff', 'a\u00e9')).toBeGreaterThan(0); // byte ff after c3 a9
    expect(compareBytes('\u{1F600}', '\u{1F601}')).toBeLessThan(0); // same high surrogate, low halves differ
    // Bytes and valid UTF-8 both: short runs of a few values, so that ties, prefixes and shared heads are common.
    const piece = fc.oneof(
      fc.constantFrom(...[0x00, 0x61, 0x62, 0x7f, 0x80, 0xbf, 0xc3, 0xa9, 0xef, 0xf0, 0x9f, 0xff].map((b) => [b])),
      fc.constantFrom('é', '\uffff', '\ue000', '😀', '😁', '\ud7ff').map((t) => [...Buffer.from(t)]),
    );
    const bytes = fc.array(piece, { maxLength: 6 }).map((parts) => Buffer.from(parts.flat()));
    fc.assert(
      fc.property(bytes, bytes, (a, b) => {
        expect(Math.sign(compareBytes(fromBytes(a), fromBytes(b)))).toBe(Buffer.compare(a, b));
      }),
      { numRuns: 2000 },
    );
  });

  it('join escaped halves of a character into that character', () => {
    expect(canonical(fromBytes(Buffer.of(0xc3)) + fromBytes(Buffer.of(0xa9)))).toBe('é');
  });

  it('read a slice of a reply as fromBytes does (stringAt), and send escaped strings as their bytes (wireArgs)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat(40), fc.nat(40), (array, a, b) => {
        const bytes = Buffer.from(array);
        const [start, end] = [Math.min(a, b, bytes.length), Math.min(Math.max(a, b), bytes.length)];
        expect(stringAt(bytes, start, end)).toBe(fromBytes(bytes.subarray(start, end)));
        const [sent] = wireArgs([fromBytes(bytes)]);
        expect(Buffer.from(sent as string | Buffer)).toEqual(bytes);
      }),
    );
    expect(stringAt(Buffer.from('a\ufffdb'), 0, 5)).toBe('a\ufffdb'); // a real U+FFFD stays one
    const plain = ['a', 1];
    expect(wireArgs(plain)).toBe(plain);
  });
});
