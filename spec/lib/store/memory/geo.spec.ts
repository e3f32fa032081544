import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../../lib/store/memory/index.ts';
import { formatDistance } from '../../../../lib/store/memory/geo/geoArgs.ts';
import { clockedStore } from './helpers.ts';

describe('GEO commands', () => {
  it('take a GEOADD of 20 000 points (60 002 arguments) through MemoryStore.call', async () => {
    const store = new MemoryStore({ activeExpireInterval: 0 });
    const args: string[] = [];
    for (let i = 0; i < 20_000; i++) args.push(String((i % 360) - 180), String((i % 170) - 85), `p${i}`);
    try {
      expect(await store.call('GEOADD', 'points', ...args)).toBe(20_000);
      expect(await store.call('ZCARD', 'points')).toBe(20_000);
    } finally {
      await store.close();
    }
  });

  it('raise zadd for GEOADD, georadiusstore / geosearchstore for their destinations, del when emptied', () => {
    const { run, events } = clockedStore();
    run('GEOADD', 'g', '13.361389', '38.115556', 'Palermo');
    run('GEOADD', 'g', '13.361389', '38.115556', 'Palermo');
    run('GEORADIUS', 'g', '13', '38', '100', 'km', 'STORE', 'd');
    run('GEOSEARCHSTORE', 'd', 'g', 'FROMLONLAT', '13', '38', 'BYRADIUS', '100', 'km');
    run('GEOSEARCHSTORE', 'd', 'g', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km');
    expect(events()).toEqual(['zadd g', 'georadiusstore d', 'geosearchstore d', 'del d']);
  });

  it('round distances half to even at 4 decimals, as llrint does', () => {
    expect(formatDistance(0)).toBe('0.0000');
    expect(formatDistance(0.00005)).toBe('0.0000'); // 0.5 → 0 (even)
    expect(formatDistance(0.00125)).toBe('0.0012'); // 12.5 → 12
    expect(formatDistance(0.00135)).toBe('0.0014'); // 13.5 → 14
    expect(formatDistance(1.00025)).toBe('1.0002');
    expect(formatDistance(166274.15156960033)).toBe('166274.1516');
    expect(formatDistance(0.0123)).toBe('0.0123');
  });
});
