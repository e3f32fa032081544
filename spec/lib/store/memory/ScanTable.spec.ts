import { describe, expect, it } from 'vitest';
import { hashKey, ScanTable } from '../../../../lib/store/memory/ScanTable.ts';

function fullScan(table: ScanTable, between?: (step: number) => void): string[] {
  const seen: string[] = [];
  let cursor = 0;
  let step = 0;
  do {
    cursor = table.scanStep(cursor, (k) => seen.push(k));
    between?.(step++);
  } while (cursor !== 0);
  return seen;
}

describe('ScanTable', () => {
  it('visits every key once in a full iteration without changes', () => {
    const table = new ScanTable();
    for (let i = 0; i < 1000; i++) table.add(`k${i}`);
    const seen = fullScan(table);
    expect(seen).toHaveLength(1000);
    expect(new Set(seen).size).toBe(1000);
  });

  it('ends at once on an empty table', () => {
    expect(new ScanTable().scanStep(0, () => undefined)).toBe(0);
  });

  it('keeps the SCAN guarantee across growth and shrinking between steps', () => {
    const table = new ScanTable();
    for (let i = 0; i < 300; i++) table.add(`stay${i}`);
    const seen = new Set(
      fullScan(table, (step) => {
        if (step < 10) for (let i = 0; i < 500; i++) table.add(`tmp${step}:${i}`);
        else if (step < 20) for (let i = 0; i < 500; i++) table.remove(`tmp${step - 10}:${i}`);
      }),
    );
    for (let i = 0; i < 300; i++) expect(seen.has(`stay${i}`)).toBe(true);
  });

  it('counts adds and removes, ignoring unknown keys, and clears', () => {
    const table = new ScanTable();
    table.add('a');
    table.add('b');
    table.remove('zz');
    table.remove('a');
    expect(table.size).toBe(1);
    table.clear();
    expect(table.size).toBe(0);
    expect(fullScan(table)).toEqual([]);
  });

  it('hashes with FNV-1a to unsigned 32-bit values', () => {
    expect(hashKey('')).toBe(0x811c9dc5);
    expect(hashKey('a')).toBe(0xe40c292c);
  });
});
