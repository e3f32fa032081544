import { describe, expect, it } from 'vitest';
import { compileGlob, globMatch } from '../../../../lib/store/memory/index.ts';

// Every expectation below was checked against redis-server 7.0 with KEYS.
const keys = ['é', 'a', ']', 'b', '^', '\\', 'ab', '', 'x/y', '-'];
const matching = (pattern: string): string[] => keys.filter((k) => globMatch(pattern, k)).sort();

describe('globMatch', () => {
  it('matches one byte with ?, so a two-byte character needs ??', () => {
    expect(matching('?')).toEqual(['-', '\\', ']', '^', 'a', 'b'].sort());
    expect(matching('??')).toEqual(['ab', 'é']);
  });

  it('lets * cross / and match the empty key only as the lone pattern *', () => {
    expect(matching('*')).toEqual([...keys].sort());
    expect(matching('**')).toEqual(keys.filter((k) => k !== '').sort());
    expect(matching('*/*')).toEqual(['x/y']);
    expect(globMatch('x*y', 'x/y')).toBe(true);
  });

  it('reads [a-] as the range a..] and accepts reversed ranges', () => {
    expect(matching('[a-]')).toEqual([']', '^', 'a']);
    expect(matching('[b-a]')).toEqual(['a', 'b']);
    expect(matching('[-a]')).toEqual(['-', 'a']);
  });

  it('ends an unterminated class with the pattern', () => {
    expect(matching('[abc')).toEqual(['a', 'b']);
    expect(matching('[^')).toEqual(['-', '\\', ']', '^', 'a', 'b'].sort());
    expect(matching('[')).toEqual([]);
    expect(matching('a[')).toEqual([]);
  });

  it('escapes with backslash inside and outside classes', () => {
    expect(matching('\\')).toEqual(['\\']);
    expect(matching('[\\]')).toEqual([']']);
    expect(matching('[a\\-c]')).toEqual(['-', 'a']);
    expect(globMatch('\\*', '*')).toBe(true);
    expect(globMatch('\\*', 'a')).toBe(false);
  });

  it('treats [] as matching nothing and [^] as any byte', () => {
    expect(matching('[]')).toEqual([]);
    expect(matching('[^]')).toEqual(['-', '\\', ']', '^', 'a', 'b'].sort());
  });

  it('compares class ranges as signed C chars, so bytes from 0x80 sort below ASCII', () => {
    // é is 0xC3 0xA9: both bytes are negative as signed chars, inside the range [\x01-a] reversed to them.
    expect(globMatch('[a-\u00ff]?', 'é')).toBe(true);
    expect(globMatch('[a-z]?', 'é')).toBe(false);
  });

  it('uses prefix and equality fast paths with the same answers', () => {
    expect(globMatch('user:*', 'user:1')).toBe(true);
    expect(globMatch('user:*', 'user')).toBe(false);
    expect(globMatch('user', 'user')).toBe(true);
    expect(globMatch('', '')).toBe(true);
    expect(globMatch('', 'a')).toBe(false);
  });
});

describe('compileGlob', () => {
  it('returns the same cached predicate for the same pattern', () => {
    expect(compileGlob('a*b?')).toBe(compileGlob('a*b?'));
    expect(compileGlob('a*b?')('aXXbY')).toBe(true);
  });

  it('keeps answering correctly after its cache is cleared by many patterns', () => {
    for (let i = 0; i < 1500; i++) compileGlob(`p${i}*[ab]`);
    expect(compileGlob('p3*[ab]')('p3xb')).toBe(true);
  });
});
