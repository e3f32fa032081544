import { describe, expect, it } from 'vitest';
import { clockedStore, errorOf } from './helpers.ts';

describe('admin commands of the memory store', () => {
  it('trims streams by the configured node size (stream-node-max-entries)', () => {
    const { run } = clockedStore();
    run('CONFIG', 'SET', 'stream-node-max-entries', '10');
    for (let i = 1; i <= 35; i++) run('XADD', 's', `${i}-0`, 'f', 'v');
    // Whole nodes of 10 only: 35 entries trimmed "~ 12" keep the last two nodes and the partial one.
    expect(run('XTRIM', 's', 'MAXLEN', '~', '12')).toBe(20);
    expect(run('XLEN', 's')).toBe(15);
    // The default LIMIT of `~` is 100 nodes' worth: with nodes of 1 entry, one XTRIM drops at most 100.
    run('CONFIG', 'SET', 'stream-node-max-entries', '1');
    for (let i = 100; i < 400; i++) run('XADD', 't', `${i}-0`, 'f', 'v');
    expect(run('XTRIM', 't', 'MAXLEN', '~', '0')).toBe(100);
  });

  it('answers CONFIG GET for aliases under both names and keeps a failed multi-set unapplied', () => {
    const { run } = clockedStore();
    run('CONFIG', 'SET', 'hash-max-ziplist-entries', '7');
    expect(run('CONFIG', 'GET', 'hash-max-*-entries')).toEqual([
      'hash-max-listpack-entries',
      '7',
      'hash-max-ziplist-entries',
      '7',
    ]);
    expect(errorOf(() => run('CONFIG', 'SET', 'hash-max-listpack-entries', '9', 'maxmemory', 'x'))).toContain(
      "argument 'maxmemory'",
    );
    expect(run('CONFIG', 'GET', 'hash-max-listpack-entries')).toEqual(['hash-max-listpack-entries', '7']);
    expect(errorOf(() => run('CONFIG', 'SET', 'requirepass', 'secret'))).toBe(
      "ERR CONFIG SET failed (possibly related to argument 'requirepass') - not supported by the rxgears embedded store",
    );
  });

  it('stops the active expiry sweep with DEBUG SET-ACTIVE-EXPIRE 0', () => {
    const { store, run, advance } = clockedStore();
    run('SET', 'k', 'v', 'PX', 10);
    run('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    advance(20);
    expect(store.sweep()).toBe(0);
    expect(run('DBSIZE')).toBe(1);
    run('DEBUG', 'SET-ACTIVE-EXPIRE', '1');
    expect(store.sweep()).toBe(1);
    expect(errorOf(() => run('DEBUG', 'JMAP'))).toBe("ERR unknown subcommand 'JMAP'. Try DEBUG HELP.");
    expect(run('DEBUG', 'RELOAD')).toBe('OK');
  });

  it('parks only the caller for DEBUG SLEEP', async () => {
    const { store } = clockedStore();
    const started = store.call('DEBUG', 'SLEEP', '0.05');
    expect(await store.call('PING')).toBe('PONG');
    expect(await started).toBe('OK');
    expect(store.callSync('DEBUG', 'SLEEP', '10')).toBe('OK'); // no blocking in callSync, as inside MULTI
  });

  it('describes a key with DEBUG OBJECT and estimates MEMORY USAGE', () => {
    const { run } = clockedStore();
    run('SET', 'n', '20000');
    expect(run('DEBUG', 'OBJECT', 'n')).toMatch(/^Value at:\S+ refcount:1 encoding:int /);
    expect(errorOf(() => run('DEBUG', 'OBJECT', 'none'))).toBe('ERR no such key');
    run('HSET', 'h', 'f', 'x'.repeat(1000));
    expect(run('MEMORY', 'USAGE', 'h')).toBeGreaterThan(1000);
    expect(run('MEMORY', 'USAGE', 'none')).toBeNull();
  });

  it('works on bit offsets beyond 2^31 and refuses strings JS cannot hold', () => {
    const { run } = clockedStore();
    expect(run('GETBIT', 'none', '4294967295')).toBe(0);
    run('CONFIG', 'SET', 'proto-max-bulk-len', '2gb');
    expect(errorOf(() => run('SETBIT', 'k', '8589934591', '1'))).toBe(
      'ERR string exceeds the maximum size of a string in the rxgears memory store',
    );
    expect(run('EXISTS', 'k')).toBe(0);
  });
});
