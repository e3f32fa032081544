import { afterEach, describe, expect, it, vi } from 'vitest';
import { connect, GearsError, log, type Gears } from '../../lib/index.ts';
import { childLogger, jsonLinesLogger, stderrLogger, validateLogger } from '../../lib/logger.ts';
import { recordingLogger } from '../support/logger.ts';

let gears: Gears | undefined;
afterEach(async () => {
  await gears?.close();
  gears = undefined;
  vi.restoreAllMocks();
});

describe('connect({ logger })', () => {
  it('refuses what is not a pino-style logger, naming what was passed', async () => {
    await expect(connect({ logger: ((_l: string, _m: string) => undefined) as never })).rejects.toThrow(
      new GearsError(
        "connect(): 'logger' must be an object with debug, info, warn and error methods (pino, console, …); got a function",
      ),
    );
    await expect(connect({ logger: { info: () => undefined } as never })).rejects.toThrow(
      /got object without debug, warn, error$/,
    );
    await expect(connect({ logger: null as never })).rejects.toThrow(/got null$/);
  });

  it('calls the methods on the logger itself (pino methods need their this) with fields first', async () => {
    const calls: [unknown, string][] = [];
    const logger = {
      prefix: 'p',
      debug(this: { prefix: string }, fields: object, message: string) {
        calls.push([fields, `${this.prefix}:debug:${message}`]);
      },
      info(this: { prefix: string }, fields: object, message: string) {
        calls.push([fields, `${this.prefix}:info:${message}`]);
      },
      warn(this: { prefix: string }, fields: object, message: string) {
        calls.push([fields, `${this.prefix}:warn:${message}`]);
      },
      error(this: { prefix: string }, fields: object, message: string) {
        calls.push([fields, `${this.prefix}:error:${message}`]);
      },
    };
    gears = await connect({ logger });
    const [shard] = gears.shards;
    await gears
      .GB('ShardsIDReader')
      .forEach(() => log('hi', 'warning'))
      .run();
    expect(calls).toEqual([[{ shardId: shard!.id }, 'p:warn:hi']]);
  });

  it('goes on when the logger throws', async () => {
    const broken = {
      debug: () => undefined,
      info: () => undefined,
      warn: () => {
        throw new Error('logger down');
      },
      error: () => undefined,
    };
    gears = await connect({ logger: broken });
    const result = await gears
      .GB('ShardsIDReader')
      .forEach(() => log('x', 'warning'))
      .run();
    expect(result.errors).toEqual([]);
    expect(result.results).toHaveLength(1);
  });

  it('accepts console', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    gears = await connect({ logger: console });
    await gears
      .GB('ShardsIDReader')
      .forEach(() => log('to console', 'warning'))
      .run();
    expect(warn).toHaveBeenCalledWith({ shardId: gears.shards[0]!.id }, 'to console');
  });
});

describe('childLogger', () => {
  it("uses the logger's own child() and merges bindings itself where there is none", () => {
    const recorded = recordingLogger();
    childLogger(recorded.logger, { component: 'server' }).info({ port: 1 }, 'up');
    const { child: _none, ...plain } = recorded.logger;
    childLogger(plain, { component: 'cli' }).warn({}, 'careful');
    expect(recorded.entries).toEqual([
      { level: 'info', message: 'up', fields: { component: 'server', port: 1 } },
      { level: 'warn', message: 'careful', fields: { component: 'cli' } },
    ]);
  });
});

describe('stderrLogger', () => {
  it('writes one line with the short shard id and the other fields as JSON', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    stderrLogger.warn({ shardId: 'abcdef0123456789', err: new Error('boom'), n: 1 }, 'lost');
    expect(write).toHaveBeenCalledWith('[rxgears abcdef01] warn: lost {"err":"Error: boom","n":1}\n');
  });

  it('validateLogger accepts it', () => {
    expect(validateLogger(stderrLogger, 'x')).toBe(stderrLogger);
  });
});

describe('jsonLinesLogger', () => {
  it("writes pino's line shape: numeric level, time, name, the bindings and fields, msg", () => {
    const lines: string[] = [];
    const logger = childLogger(jsonLinesLogger((line) => lines.push(line)), { component: 'server' });
    logger.warn({ shardId: 'abc', err: new Error('boom') }, 'connection lost');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    expect(JSON.parse(lines[0]!)).toEqual({
      level: 40,
      time: expect.any(Number),
      name: 'rxgears',
      component: 'server',
      shardId: 'abc',
      err: 'Error: boom',
      msg: 'connection lost',
    });
  });
});
