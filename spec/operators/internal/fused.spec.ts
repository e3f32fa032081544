import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Observable} from 'rxjs';
import { from, lastValueFrom, of, Subject, take, tap, toArray, type OperatorFunction } from 'rxjs';
import { fusedSteps, type FusedLink, type LinkStat } from '../../../operators/internal/fused.ts';
import { map } from '../../../operators/map.ts';
import { filter } from '../../../operators/filter.ts';
import { forEach } from '../../../operators/forEach.ts';
import { flatMap } from '../../../operators/flatMap.ts';
import { accumulate, accumulateFold } from '../../../operators/accumulate.ts';
import { localGroupBy, localGroupByFold } from '../../../operators/localGroupBy.ts';

/** A step of a generated chain: its kind, whether its callback is async (and how many ticks), where it throws. */
interface StepSpec {
  kind: 'map' | 'filter' | 'forEach' | 'flatMap' | 'accumulate' | 'localGroupBy';
  ticks: number[]; // per record value mod length: 0 = synchronous, n = resolves after n microtask hops
  throwsOn: number; // records equal to this mod 7 throw (or reject when async)
}

const stepSpec = fc.record({
  kind: fc.constantFrom('map', 'filter', 'forEach', 'flatMap', 'accumulate', 'localGroupBy') as fc.Arbitrary<
    StepSpec['kind']
  >,
  ticks: fc.array(fc.nat(3), { minLength: 1, maxLength: 4 }),
  throwsOn: fc.integer({ min: -1, max: 6 }),
});

/** Builds the callback of a step; every call is logged, so both implementations must call in the same order. */
function callbacks(spec: StepSpec, index: number, log: string[]) {
  const later = <V>(n: number, value: () => V): V | Promise<V> => {
    if (n === 0) return value();
    let p: Promise<void> = Promise.resolve();
    for (let i = 1; i < n; i++) p = p.then(() => undefined);
    return p.then(value);
  };
  const call = <V>(record: number, value: () => V): V | Promise<V> => {
    log.push(`${index}:${record}`);
    const n = spec.ticks[Math.abs(record) % spec.ticks.length]!;
    return later(n, () => {
      if (Math.abs(record) % 7 === spec.throwsOn) throw new Error(`step ${index} on ${record}`);
      return value();
    });
  };
  return {
    map: (r: number) => call(r, () => r * 2 + 1),
    filter: (r: number) => call(r, () => r % 3 !== 0),
    forEach: (r: number) => call(r, () => undefined),
    flatMap: (r: number) => call(r, () => (r % 2 === 0 ? [r, r + 1] : r)),
    accumulate: (a: number | undefined, r: number) => call(r, () => (a ?? 0) + r),
    extractor: (r: number) => r % 4,
    reducer: (_k: string, a: number | undefined, r: number) => call(r, () => (a ?? 0) + r),
  };
}

function asOperator(spec: StepSpec, index: number, log: string[], onError: (e: unknown) => void) {
  const c = callbacks(spec, index, log);
  const options = { onError, concurrency: 3 };
  switch (spec.kind) {
    case 'map':
      return map(c.map, options);
    case 'filter':
      return filter(c.filter, options);
    case 'forEach':
      return forEach(c.forEach, options);
    case 'flatMap':
      return flatMap(c.flatMap, options);
    case 'accumulate':
      return accumulate(c.accumulate, options);
    case 'localGroupBy':
      return localGroupBy(c.extractor, c.reducer, options);
  }
}

function asLink(spec: StepSpec, index: number, log: string[], stat: LinkStat): FusedLink {
  const c = callbacks(spec, index, log);
  switch (spec.kind) {
    case 'accumulate':
      return { kind: 'fold', open: accumulateFold(c.accumulate), stat };
    case 'localGroupBy':
      return { kind: 'fold', open: localGroupByFold(c.extractor, c.reducer), stat };
    default:
      return { kind: spec.kind, fn: c[spec.kind], stat };
  }
}

interface Outcome {
  results: unknown[];
  errors: string[];
  calls: string[];
  stats: LinkStat[];
}

async function viaOperators(input: number[], specs: StepSpec[]): Promise<Outcome> {
  const calls: string[] = [];
  const errors: string[] = [];
  const stats = specs.map(() => ({ recordsIn: 0, recordsOut: 0 }));
  let stream: Observable<unknown> = from(input);
  specs.forEach((spec, k) => {
    const operator = asOperator(spec, k, calls, (e) => errors.push(String(e))) as OperatorFunction<unknown, unknown>;
    stream = stream.pipe(
      tap(() => stats[k]!.recordsIn++),
      operator,
      tap(() => stats[k]!.recordsOut++),
    );
  });
  const results = await lastValueFrom(stream.pipe(toArray()));
  return { results, errors, calls, stats };
}

async function viaFused(input: number[], specs: StepSpec[]): Promise<Outcome> {
  const calls: string[] = [];
  const errors: string[] = [];
  const stats = specs.map(() => ({ recordsIn: 0, recordsOut: 0 }));
  const links = specs.map((spec, k) => asLink(spec, k, calls, stats[k]!));
  const fused = fusedSteps<number, unknown>(links, { onError: (e) => errors.push(String(e)), concurrency: 3 });
  const results = await lastValueFrom(from(input).pipe(fused, toArray()));
  return { results, errors, calls, stats };
}

describe('fusedSteps', () => {
  it('computes what the chain of operators computes: records, order, errors, calls and counters', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: -20, max: 40 }), { maxLength: 30 }),
        fc.array(stepSpec, { minLength: 1, maxLength: 5 }),
        async (input, specs) => {
          expect(await viaFused(input, specs)).toEqual(await viaOperators(input, specs));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('counts records in and out of each link and touches once per record from the source', async () => {
    const stats = [
      { recordsIn: 0, recordsOut: 0 },
      { recordsIn: 0, recordsOut: 0 },
    ];
    let touched = 0;
    const fused = fusedSteps<number, number>(
      [
        { kind: 'map', fn: (n: number) => n + 1, stat: stats[0]! },
        { kind: 'filter', fn: (n: number) => n % 2 === 0, stat: stats[1]! },
      ],
      { touch: () => touched++ },
    );
    expect(await lastValueFrom(of(1, 2, 3, 4).pipe(fused, toArray()))).toEqual([2, 4]);
    expect(stats).toEqual([
      { recordsIn: 4, recordsOut: 4 },
      { recordsIn: 4, recordsOut: 2 },
    ]);
    expect(touched).toBe(4);
  });

  it('touches when a Promise settles, so a slow async record counts as activity', async () => {
    let touched = 0;
    const fused = fusedSteps<number, number>(
      [
        { kind: 'map', fn: async (n: number) => n + 1 },
        { kind: 'fold', open: accumulateFold(async (a: number | undefined, n: number) => (a ?? 0) + n) },
      ],
      { touch: () => touched++ },
    );
    expect(await lastValueFrom(of(1, 2).pipe(fused, toArray()))).toEqual([5]);
    // 2 records from the source, 2 settled maps, 2 settled folds, the fold's end
    expect(touched).toBe(7);
  });

  it('errors the stream when a callback throws and there is no onError', async () => {
    const fused = fusedSteps<number, number>([
      {
        kind: 'map',
        fn: (n: number) => {
          if (n === 2) throw new Error('bad record');
          return n;
        },
      },
    ]);
    await expect(lastValueFrom(of(1, 2, 3).pipe(fused, toArray()))).rejects.toThrow('bad record');
  });

  it('hands a source error to sourceError and ends the input there, after sourceDone', async () => {
    const seen: string[] = [];
    const source = new Subject<number>();
    const fused = fusedSteps<number, number>([{ kind: 'map', fn: (n: number) => n * 10 }], {
      sourceError: (e) => seen.push(`error ${String(e)}`),
      sourceDone: () => seen.push('done'),
    });
    const results = lastValueFrom(source.pipe(fused, toArray()));
    source.next(1);
    source.error(new Error('reader failed'));
    expect(await results).toEqual([10]);
    expect(seen).toEqual(['error Error: reader failed', 'done']);
  });

  it('stops a synchronous source once the subscriber unsubscribes', () => {
    let pulled = 0;
    function* numbers(): Generator<number> {
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield i;
      }
    }
    const received: number[] = [];
    from(numbers())
      .pipe(fusedSteps<number, number>([{ kind: 'map', fn: (n: number) => n }]), take(3))
      .subscribe((n) => received.push(n));
    expect(received).toEqual([0, 1, 2]);
    expect(pulled).toBeLessThan(5);
  });

  it('runs the source callbacks through wrap (the engine enters its runtime context there)', async () => {
    let inside = false;
    const seen: boolean[] = [];
    const fused = fusedSteps<number, number>([{ kind: 'forEach', fn: () => seen.push(inside) }], {
      wrap:
        <A, B>(fn: (a: A, b: B) => void) =>
        (a: A, b: B) => {
          inside = true;
          try {
            fn(a, b);
          } finally {
            inside = false;
          }
        },
    });
    expect(await lastValueFrom(of(1, 2).pipe(fused, toArray()))).toEqual([1, 2]);
    expect(seen).toEqual([true, true]);
  });
});
