/**
 * Redis glob matching, byte for byte as Redis 7.0's `stringmatchlen` (util.c) does it for KEYS and SCAN MATCH:
 * `*` (any run, crossing `/`), `?` (one byte), `[abc]`, `[a-z]` (reversed ranges allowed), `[^x]`, `\` escapes
 * inside and outside brackets. Redis' own quirks are kept on purpose, because users' patterns were written
 * against Redis: an unterminated `[abc` is a class that ends with the pattern, `[a-]` is the range `a`..`]`,
 * ranges compare bytes as C `char` (signed, so bytes ≥ 0x80 sort before ASCII), and `?` matches one *byte* of
 * the UTF-8 encoding, not one character.
 *
 * Patterns are compiled once to a predicate (a prefix test, an equality or a RegExp) and cached.
 */

/** Cached compiled patterns; cleared wholesale when it grows past this many (patterns are few in practice). */
const CACHE_LIMIT = 1000;
const cache = new Map<string, (subject: string) => boolean>();

// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

/** The UTF-8 bytes of `s` as a string of code units 0–255, so a RegExp works on bytes as Redis does. */
function toByteString(s: string): string {
  return NON_ASCII.test(s) ? Buffer.from(s, 'utf8').toString('latin1') : s;
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

function escapeForClass(code: number): string {
  return `\\x${code.toString(16).padStart(2, '0')}`;
}

/** Signed-char value of a byte, as Redis' `int c = string[0]` sees it. */
function signedByte(b: number): number {
  return b >= 128 ? b - 256 : b;
}

/** The bytes whose signed value lies in [lo, hi], as RegExp class ranges. */
function signedRange(a: number, b: number): string {
  let lo = signedByte(a);
  let hi = signedByte(b);
  if (lo > hi) [lo, hi] = [hi, lo];
  const range = (x: number, y: number): string =>
    x === y ? escapeForClass(x) : `${escapeForClass(x)}-${escapeForClass(y)}`;
  if (hi < 0) return range(lo + 256, hi + 256);
  if (lo >= 0) return range(lo, hi);
  return range(lo + 256, 255) + range(0, hi);
}

/**
 * Translates the pattern (as bytes) to a RegExp source by walking it exactly as `stringmatchlen` does. Every
 * token except `*` consumes exactly one subject byte, so the backtracking of the C code and of the RegExp agree.
 */
function toRegExpSource(p: string): string {
  let out = '';
  let i = 0;
  const n = p.length;
  while (i < n) {
    const c = p.charCodeAt(i);
    if (c === 0x2a /* * */) {
      while (i + 1 < n && p.charCodeAt(i + 1) === 0x2a) i++;
      out += '[\\s\\S]*';
    } else if (c === 0x3f /* ? */) {
      out += '[\\s\\S]';
    } else if (c === 0x5b /* [ */) {
      i++;
      let not = false;
      if (i < n && p.charCodeAt(i) === 0x5e /* ^ */) {
        not = true;
        i++;
      }
      let cls = '';
      for (;;) {
        const left = n - i;
        const pc = p.charCodeAt(i);
        if (left >= 2 && pc === 0x5c /* \ */) {
          i++;
          cls += escapeForClass(p.charCodeAt(i));
        } else if (left > 0 && pc === 0x5d /* ] */) {
          break;
        } else if (left === 0) {
          i--; // the C code steps back so its shared `pattern++` lands on the end
          break;
        } else if (left >= 3 && p.charCodeAt(i + 1) === 0x2d /* - */) {
          cls += signedRange(pc, p.charCodeAt(i + 2));
          i += 2;
        } else {
          cls += escapeForClass(pc);
        }
        i++;
      }
      if (cls === '') out += not ? '[\\s\\S]' : '[]';
      else out += not ? `[^${cls}]` : `[${cls}]`;
    } else if (c === 0x5c /* \ */ && i + 1 < n) {
      i++;
      out += escapeForClass(p.charCodeAt(i));
    } else {
      out += escapeForClass(c);
    }
    i++;
  }
  return out;
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
  const re = new RegExp(`^${toRegExpSource(toByteString(pattern))}$`);
  return (s) => s.length > 0 && re.test(toByteString(s));
}
