/**
 * Redis glob matching, byte for byte as Redis 7.0's `stringmatchlen` (util.c) does it for KEYS and SCAN MATCH:
 * `*` (any run, crossing `/`), `?` (one byte), `[abc]`, `[a-z]` (reversed ranges allowed), `[^x]`, `\` escapes
 * inside and outside brackets. Redis' own quirks are kept on purpose, because users' patterns were written
 * against Redis: an unterminated `[abc` is a class that ends with the pattern, `[a-]` is the range `a`..`]`,
 * ranges compare bytes as C `char` (signed, so bytes ≥ 0x80 sort before ASCII), and `?` matches one *byte* of
 * the UTF-8 encoding, not one character.
 *
 * Patterns are compiled once to a predicate (a prefix test, an equality or a token list) and cached.
 */

import { toBytes } from './bytes.ts';

/** Cached compiled patterns; cleared wholesale when it grows past this many (patterns are few in practice). */
const CACHE_LIMIT = 1000;
const cache = new Map<string, (subject: string) => boolean>();

// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

/** The UTF-8 bytes of `s` as a string of code units 0–255, so matching works on bytes as Redis does. */
function toByteString(s: string): string {
  return NON_ASCII.test(s) ? toBytes(s).toString('latin1') : s;
}

/**
 * Does `subject` match the Redis glob `pattern`? Same answer as `KEYS pattern` / `SCAN … MATCH pattern` gives
 * for a key named `subject` — including the one special case those commands add: the pattern `*` alone
 * matches every key, even the empty one.
 *
 * @example
 * globMatch('user:*', 'user:42')   // true
 * globMatch('h[ae]llo', 'hillo')   // false
 */
export function globMatch(pattern: string, subject: string): boolean {
  return compileGlob(pattern)(subject);
}

/**
 * Compiles a Redis glob once into a predicate; the compiled form is cached, so calling this per SCAN step is
 * cheap.
 *
 * @example
 * const isUser = compileGlob('user:*');
 * keys.filter(isUser);
 */
export function compileGlob(pattern: string): (subject: string) => boolean {
  let fn = cache.get(pattern);
  if (fn === undefined) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    fn = compile(pattern);
    cache.set(pattern, fn);
  }
  return fn;
}

/** A pattern token: a literal byte, a class (which bytes it takes), `?` or `*`. */
type Token = number | Uint8Array;
const STAR = -1;
const ANY = -2;

/** Signed-char value of a byte, as Redis' `int c = string[0]` sees it. */
function signedByte(b: number): number {
  return b >= 128 ? b - 256 : b;
}

/** Adds the bytes whose signed value lies between those of `a` and `b` (either order) to a class. */
function addSignedRange(cls: Uint8Array, a: number, b: number): void {
  let lo = signedByte(a);
  let hi = signedByte(b);
  if (lo > hi) [lo, hi] = [hi, lo];
  for (let v = lo; v <= hi; v++) cls[(v + 256) & 0xff] = 1;
}

/**
 * Tokenizes the pattern (as bytes) by walking it exactly as `stringmatchlen` does. Every token except `*`
 * consumes exactly one subject byte, which is what lets {@link matchTokens} backtrack to the last `*` only.
 */
function toTokens(p: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = p.length;
  while (i < n) {
    const c = p.charCodeAt(i);
    if (c === 0x2a /* * */) {
      while (i + 1 < n && p.charCodeAt(i + 1) === 0x2a) i++;
      out.push(STAR);
    } else if (c === 0x3f /* ? */) {
      out.push(ANY);
    } else if (c === 0x5b /* [ */) {
      i++;
      let not = false;
      if (i < n && p.charCodeAt(i) === 0x5e /* ^ */) {
        not = true;
        i++;
      }
      const cls = new Uint8Array(256);
      for (;;) {
        const left = n - i;
        const pc = p.charCodeAt(i);
        if (left >= 2 && pc === 0x5c /* \ */) {
          i++;
          cls[p.charCodeAt(i)] = 1;
        } else if (left > 0 && pc === 0x5d /* ] */) {
          break;
        } else if (left === 0) {
          i--; // the C code steps back so its shared `pattern++` lands on the end
          break;
        } else if (left >= 3 && p.charCodeAt(i + 1) === 0x2d /* - */) {
          addSignedRange(cls, pc, p.charCodeAt(i + 2));
          i += 2;
        } else {
          cls[pc] = 1;
        }
        i++;
      }
      if (not) for (let b = 0; b < 256; b++) cls[b] = cls[b] ? 0 : 1;
      out.push(cls);
    } else if (c === 0x5c /* \ */ && i + 1 < n) {
      i++;
      out.push(p.charCodeAt(i));
    } else {
      out.push(c);
    }
    i++;
  }
  return out;
}

/**
 * Glob matching with one backtracking point, the last `*` (every other token takes exactly one byte): at most
 * pattern × subject steps, so `a*a*a*…*b` cannot stall the server as it did Redis before 7.0.9 (CVE-2022-36021).
 */
function matchTokens(tokens: readonly Token[], s: string): boolean {
  const n = tokens.length;
  let p = 0;
  let i = 0;
  let starP = -1;
  let starI = 0;
  while (i < s.length) {
    const t = p < n ? tokens[p]! : undefined;
    if (t === STAR) {
      starP = p++;
      starI = i;
      continue;
    }
    if (t !== undefined) {
      const b = s.charCodeAt(i);
      if (t === ANY || (typeof t === 'number' ? t === b : t[b] === 1)) {
        p++;
        i++;
        continue;
      }
    }
    if (starP < 0) return false;
    p = starP + 1;
    i = ++starI;
  }
  while (p < n && tokens[p] === STAR) p++;
  return p === n;
}

function compile(pattern: string): (subject: string) => boolean {
  // KEYS and SCAN skip matching altogether for the lone `*`.
  if (pattern === '*') return () => true;
  // `stringmatchlen` never enters its loop for an empty subject: "" matches only the empty pattern.
  if (pattern === '') return (s) => s === '';
  const special = /[*?[\\]/;
  const firstSpecial = pattern.search(special);
  if (firstSpecial === -1) return (s) => s === pattern;
  if (firstSpecial === pattern.length - 1 && pattern.endsWith('*')) {
    const prefix = pattern.slice(0, -1);
    return (s) => s.length > 0 && s.startsWith(prefix);
  }
  const tokens = toTokens(toByteString(pattern));
  return (s) => s.length > 0 && matchTokens(tokens, toByteString(s));
}
