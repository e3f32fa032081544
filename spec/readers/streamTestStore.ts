import type { ShardStore } from '../../lib/store/ShardStore.ts';

/**
 * A store that forwards everything to `real` except the methods in `overrides`: lets a StreamReader spec hold,
 * count or fail single commands (an XACK, a SCAN) on an otherwise working store.
 */
export function storeWith(real: ShardStore, overrides: Partial<Omit<ShardStore, 'kind'>>): ShardStore {
  return {
    kind: real.kind,
    scan: overrides.scan ?? ((cursor, options) => real.scan(cursor, options)),
    readKeys: overrides.readKeys ?? ((keys, options) => real.readKeys(keys, options)),
    xrange: overrides.xrange ?? ((key, start, end, count) => real.xrange(key, start, end, count)),
    call: overrides.call ?? ((command, ...args) => real.call(command, ...args)),
    keyspaceEvents: overrides.keyspaceEvents ?? (() => real.keyspaceEvents()),
    keyspaceReady: overrides.keyspaceReady ?? (() => real.keyspaceReady()),
    keyspaceBarrier: overrides.keyspaceBarrier ?? (() => real.keyspaceBarrier()),
    transaction: overrides.transaction ?? (() => real.transaction()),
    close: overrides.close ?? (() => real.close()),
  };
}
