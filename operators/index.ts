/**
 * rxgears operations as RxJS operators. On a single stream they compute what a plan computes on one shard;
 * through `GB()` the same operations run distributed over shards.
 */
export { map } from './map.ts';
export { flatMap, type FlatMapResult } from './flatMap.ts';
export { forEach } from './forEach.ts';
export { filter } from './filter.ts';
export { accumulate, type AccumulateOptions } from './accumulate.ts';
export { localGroupBy, type Group, type LocalGroupByOptions } from './localGroupBy.ts';
export { limit } from './limit.ts';
export { groupBy } from './groupBy.ts';
export { batchGroupBy } from './batchGroupBy.ts';
export { aggregate } from './aggregate.ts';
export { aggregateBy } from './aggregateBy.ts';
export { count } from './count.ts';
export { countBy } from './countBy.ts';
export { avg } from './avg.ts';
export { sort, defaultCompare, type SortOptions } from './sort.ts';
export { distinct } from './distinct.ts';
export { keyOf, canonicalJson } from './internal/keys.ts';
export type { StepOptions } from './internal/options.ts';
