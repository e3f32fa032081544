import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { GearsError } from '../../lib/errors.ts';
import { freePort, startRedis, startRedisCluster } from '../../lib/testing/index.ts';
import { redisCli } from '../lib/server/helpers.ts';

const listen = (port: number): Promise<Server> =>
  new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });

describe('rxgears/testing servers', { timeout: 120_000 }, () => {
  it('finds ports below the ephemeral range; for a cluster node one whose bus port is valid and free', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThanOrEqual(23_000);
    expect(port).toBeLessThanOrEqual(32_767);
    const node = await freePort({ cluster: true });
    expect(node).toBeGreaterThanOrEqual(10_000);
    expect(node).toBeLessThanOrEqual(22_767);
    const bus = await listen(node + 10_000); // free: this does not throw
    await new Promise((r) => bus.close(r));
  });

  it('starts a cluster on the ports the user passes', async () => {
    const ports: number[] = [];
    while (ports.length < 3) {
      const port = await freePort({ cluster: true });
      if (!ports.includes(port)) ports.push(port);
    }
    const cluster = await startRedisCluster({ ports });
    try {
      expect(cluster.nodes.map((n) => n.port)).toEqual(ports);
      expect(await redisCli(ports[0]!, ['CLUSTER', 'INFO'])).toEqual(
        expect.arrayContaining([expect.stringContaining('cluster_state:ok')]),
      );
    } finally {
      await cluster.stop();
    }
  });

  it('refuses a cluster port whose bus port cannot exist, before starting anything', async () => {
    await expect(startRedisCluster({ ports: [60_000, 10_001, 10_002] })).rejects.toThrow(
      new GearsError('cluster node port 60000 must be an integer from 1 to 55535 (its bus port is +10000)'),
    );
  });

  it('says so, without waiting, when the port the user passes is taken by something that is not Redis', async () => {
    const port = await freePort();
    const taken = await listen(port);
    try {
      await expect(startRedis({ port })).rejects.toThrow(/Address already in use/);
    } finally {
      taken.close();
    }
  });
});
