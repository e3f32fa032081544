import { afterEach, describe, expect, it } from 'vitest';
import { NEVER } from 'rxjs';
import { connect, type Gears, type GearsEvent } from '../../../lib/index.ts';
import { recordingLogger } from '../../support/logger.ts';

describe('gears.addObserver', () => {
  let gears: Gears | undefined;
  afterEach(async () => {
    await gears?.close();
    gears = undefined;
  });

  const summary = (event: GearsEvent) =>
    event.type === 'executionStarted'
      ? [event.type, event.execution.id]
      : [event.type, event.execution.id, event.status, event.durationMs >= 0];

  it('sees every execution start and finish, with done, failed and aborted', async () => {
    const log = recordingLogger();
    const warnings = log.entries;
    gears = await connect({ shards: 3, logger: log.logger });
    const events: GearsEvent[] = [];
    const stop = gears.addObserver((event) => events.push(event));
    await gears.execute('SET', 'k', 'v');
    await gears.GB().run();
    await gears
      .GB()
      .map(() => {
        throw new TypeError('no');
      })
      .run();
    const id = (await gears.GB('GeneratorReader').run(() => NEVER, { unblocking: true })) as string;
    gears.abortExecution(id);
    const ids = [...new Set(events.map((e) => e.execution.id))];
    expect(ids).toHaveLength(3);
    expect(events.map(summary)).toEqual([
      ['executionStarted', ids[0]],
      ['executionFinished', ids[0], 'done', true],
      ['executionStarted', ids[1]],
      ['executionFinished', ids[1], 'failed', true],
      ['executionStarted', ids[2]],
      ['executionFinished', ids[2], 'aborted', true],
    ]);
    stop();
    await gears.GB().run();
    expect(events).toHaveLength(6);
    expect(warnings).toEqual([]);
  });

  it('logs an observer that throws and goes on: the execution and the other observers are not affected', async () => {
    const log = recordingLogger();
    gears = await connect({ logger: log.logger });
    gears.addObserver(() => {
      throw new Error('observer bug');
    });
    const seen: string[] = [];
    gears.addObserver((event) => seen.push(event.type));
    await gears.execute('SET', 'k', 'v');
    expect(
      await gears
        .GB()
        .map((r) => r.key)
        .run(),
    ).toEqual({ results: ['k'], errors: [] });
    expect(seen).toEqual(['executionStarted', 'executionFinished']);
    expect(log.entries.map((e) => `${e.level}: ${e.message}`)).toEqual([
      'warn: an observer failed: Error: observer bug',
      'warn: an observer failed: Error: observer bug',
    ]);
    expect(log.entries[0]?.fields['err']).toBeInstanceOf(Error);
  });
});
