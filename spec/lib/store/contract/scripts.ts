/**
 * The store contract: command scripts every `ShardStore` must answer exactly as Redis 7.0 does. The contract
 * specs run each script against a real redis-server (the oracle) and against each store under test, and compare
 * replies — error messages included — step by step, then the keyspace events the scripts raised.
 */
import { keyScripts } from './scripts/keys.ts';
import { hashScripts, listScripts, setScripts } from './scripts/collections.ts';
import { stringScripts } from './scripts/strings.ts';
import { groupScripts } from './scripts/groups.ts';
import { streamScripts } from './scripts/streams.ts';
import { zsetScripts } from './scripts/zsets.ts';
import { randomScripts } from './scripts/random.ts';
import { popScripts } from './scripts/pops.ts';
import { keyspaceExtraScripts } from './scripts/keyspaceExtra.ts';
import { streamSetIdScripts } from './scripts/streamSetId.ts';
import { zsetAlgebraScripts } from './scripts/zsetAlgebra.ts';
import { adminScripts } from './scripts/admin.ts';
import { bitScripts } from './scripts/bits.ts';
import { streamInfoScripts } from './scripts/streamInfo.ts';
import { sortScripts } from './scripts/sort.ts';
import { geoScripts } from './scripts/geo.ts';
import { dumpScripts } from './scripts/dump.ts';
import { hyperLogLogScripts } from './scripts/hyperloglog.ts';
import type { Script } from './scripts/types.ts';

export type { Normalizer, Script, Step } from './scripts/types.ts';

export const scripts: Script[] = [
  ...stringScripts,
  ...keyScripts,
  ...hashScripts,
  ...listScripts,
  ...setScripts,
  ...zsetScripts,
  ...streamScripts,
  ...groupScripts,
  ...randomScripts,
  ...zsetAlgebraScripts,
  ...popScripts,
  ...keyspaceExtraScripts,
  ...streamSetIdScripts,
  ...bitScripts,
  ...adminScripts,
  ...streamInfoScripts,
  ...sortScripts,
  ...geoScripts,
  ...dumpScripts,
  ...hyperLogLogScripts,
];
