import { inject, it, expect } from 'vitest';
import { createConnection } from 'node:net';

function ask(url: string, command: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = createConnection(Number(port), hostname, () => socket.write(command));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString());
    });
    socket.once('error', reject);
  });
}

it('starts a standalone redis-server of its own on a free port', async () => {
  const url = inject('redisUrl');
  expect(url).not.toMatch(/:6379$/);
  expect(await ask(url, 'PING\r\n')).toBe('+PONG\r\n');
});

it('starts a 3-master cluster whose slots split like redis-cli --cluster create', async () => {
  const urls = inject('clusterUrls');
  expect(urls).toHaveLength(3);
  const info = await ask(urls[0]!, 'CLUSTER INFO\r\n');
  expect(info).toContain('cluster_state:ok');
  expect(info).toContain('cluster_known_nodes:3');
});
