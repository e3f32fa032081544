import { EMPTY, of, type Observable } from 'rxjs';
import type { ReaderContext } from './types.ts';
import { scanPages, DEFAULT_SCAN_COUNT } from './scanKeys.ts';

export interface KeysOnlyReaderOptions {
  /** SCAN COUNT per page (default 1000). */
  count?: number;
  /** Treat the argument as one key name: the owning shard emits it (whether or not it exists), no SCAN. */
  noScan?: boolean;
  /**
   * Makes the pattern on each shard, called in the shard's runtime context (so `hashtag()` works), e.g.
   * `() => \`{${hashtag()}}:*\``. Overrides the run's argument.
   */
  patternGenerator?: (shardId: string) => string;
}

/**
 * Key names only, no reads: the cheapest way to walk a keyspace.
 *
 * @example
 * GB('KeysOnlyReader').count().run('session:*', { count: 5000 })
 */
export function keysOnlyReader(
  context: ReaderContext,
  pattern: string,
  options: KeysOnlyReaderOptions = {},
): Observable<string> {
  const generator = options.patternGenerator;
  const match = generator ? context.invoke(() => generator(context.shard.id)) : pattern;
  if (options.noScan) return context.owns(match) ? of(match) : EMPTY;
  return scanPages(context.shard.store, match, options.count ?? DEFAULT_SCAN_COUNT, (keys) => keys, context.demand);
}
