import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { byteLength, canonical, fromBytes, toBytes } from '../../../../lib/store/memory/bytes.ts';
import { stringAt, wireArgs } from '../../../../lib/store/bytes.ts';

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
