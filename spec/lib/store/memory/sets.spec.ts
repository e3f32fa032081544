import { describe, expect, it } from 'vitest';
import { clockedStore } from './helpers.ts';

describe('set commands', () => {
  it('lists integer-only sets in numeric order, as a Redis intset', () => {
    const { run } = clockedStore();
    run('SADD', 's', '10', '-3', '2', '9007199254740993', '9007199254740992');
    expect(run('SMEMBERS', 's')).toEqual(['-3', '2', '10', '9007199254740992', '9007199254740993']);
  });

  it('lists other sets in insertion order, and stays so after removing the non-integer', () => {
    const { run } = clockedStore();
    run('SADD', 's', '3', 'a', '1');
    run('SREM', 's', 'a');
    expect(run('SMEMBERS', 's')).toEqual(['3', '1']);
  });

  it('raises sadd only when something was added and del when emptied', () => {
    const { run, events } = clockedStore();
    run('SADD', 's', 'a');
    run('SADD', 's', 'a');
    run('SREM', 's', 'zz');
    run('SREM', 's', 'a');
    expect(events()).toEqual(['sadd s', 'srem s', 'del s']);
  });
});
