import { of, type Observable } from 'rxjs';
import type { ReaderContext } from './types.ts';

/**
 * One record per shard: its 40-hex id.
 *
 * @example
 * GB('ShardsIDReader').run() // ['a1b2…', 'c3d4…', 'e5f6…'] on a 3-master cluster
 */
export function shardsIdReader(context: ReaderContext): Observable<string> {
  return of(context.shard.id);
}
