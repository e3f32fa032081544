import { describe, expect, it } from 'vitest';
import { connect } from '../../lib/index.ts';
import { startRedis } from '../../lib/testing/index.ts';
import { recordingLogger } from '../support/logger.ts';
import { until } from '../support/until.ts';

describe('connection lost and regained', { timeout: 60_000 }, () => {
  it('are logged with the shard, the address and the error', async () => {
    const redis = await startRedis();
    const log = recordingLogger();
    const gears = await connect({ redis: redis.url, logger: log.logger });
    const address = `127.0.0.1:${redis.port}`;
    try {
      redis.process.kill('SIGKILL');
      await until(() => log.messages('warn').includes(`connection to Redis ${address} lost`), 'lost logged');
      await redis.restart();
      await until(() => log.messages('info').includes(`connection to Redis ${address} regained`), 'regained logged');
      const lost = log.entries.find((e) => e.message.endsWith('lost'));
      expect(lost?.fields).toMatchObject({ shardId: gears.shards[0]!.id, address });
    } finally {
      await gears.close();
      await redis.stop();
    }
    expect(log.messages().filter((m) => m.includes('lost'))).toHaveLength(1); // not for close()
  });
});
