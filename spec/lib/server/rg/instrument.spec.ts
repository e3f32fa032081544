import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { guardName, instrument } from '../../../../lib/server/rg/instrument.ts';

/** Runs `source` as it is and instrumented, with a guard that only counts its checks. */
function both(source: string): { plain: unknown; instrumented: unknown; checks: number; code: string } {
  const guard = {
    n: 0,
    checks: 0,
    check() {
      this.checks++;
      this.n = 0;
    },
  };
  const code = instrument(source, 'G');
  return {
    plain: runInNewContext(source),
    instrumented: runInNewContext(code, { G: guard }),
    checks: guard.checks,
    code,
  };
}

describe('instrument', () => {
  it('puts a check at every loop body and function entry, without a line break', () => {
    expect(instrument('while (true) {}', 'G')).toBe('while (true) {if(--G.n<0)G.check();}');
    expect(instrument('for (;;) x++', 'G')).toBe('for (;;) {if(--G.n<0)G.check();x++}');
    expect(instrument('const f = (x) => ({ x })', 'G')).toBe('const f = (x) => ((--G.n<0&&G.check(),{ x }))');
    const source = 'function f(n) {\n  if (n > 0) return f(n - 1)\n  throw new Error("deep")\n}\nf(3)';
    expect(instrument(source, 'G').split('\n')).toHaveLength(source.split('\n').length);
  });

  it.each([
    ['single-statement bodies and ASI', 'let s = 0, i = 0\nwhile (i < 5) i++\ndo s += i--\nwhile (i > 0)\ns'],
    [
      'for-in, for-of, labels and continue',
      'let s = 0; outer: for (const a of [1, 2, 3]) { for (const k in { x: 1, y: 2 }) { if (k === "y") continue outer; s += a } } s',
    ],
    ['arrows returning objects and sequences', 'const f = (x) => ({ x }), g = (a, b) => (a, b); [f(1).x, g(1, 2)]'],
    ['a strict-mode directive stays one', 'function f() { "use strict"\n return this } f() === undefined'],
    [
      'classes, getters, generators, super',
      'class A { get v() { return 1 } } class B extends A { constructor() { super(); this.w = 2 } *g() { for (let i = 0; i < 3; i++) yield i } } const b = new B(); [b.v, b.w, [...b.g()]]',
    ],
    ['empty loop bodies', 'let i = 0; for (; i < 10; i++); while (i-- > 5); i'],
  ])('keeps the meaning of %s', (_name, source) => {
    const { plain, instrumented, checks } = both(source);
    expect(instrumented).toEqual(plain);
    expect(checks).toBeGreaterThan(0);
  });

  it('keeps line numbers in stack traces', () => {
    const source = 'function f(n) {\n  if (n > 0) return f(n - 1)\n  throw new Error("deep")\n}\nf(3)';
    const line = (code: string): string | undefined => {
      try {
        runInNewContext(code, { G: { n: 1e9, check() {} } }, { filename: 'gear.js' });
      } catch (error) {
        return /gear\.js:(\d+)/.exec((error as Error).stack ?? '')?.[1];
      }
      return undefined;
    };
    expect(line(instrument(source, 'G'))).toBe('3');
    expect(line(source)).toBe('3');
  });

  it('throws a SyntaxError for source that does not parse', () => {
    expect(() => instrument('while (', 'G')).toThrow(SyntaxError);
  });

  it('names the guard with a name the source does not use', () => {
    expect(guardName('GB().run()')).toBe('__rxgearsGuard');
    expect(guardName('let __rxgearsGuard = 1')).toBe('__rxgearsGuard1');
  });
});
